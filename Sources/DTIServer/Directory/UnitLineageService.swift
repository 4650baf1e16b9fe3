import DTICore
import Fluent
import Vapor

struct LineageInput: Content {
    var kind: String
    var predecessors: [String]
    var successors: [String]
    var effectiveOn: String
    var note: String?
}

/// Merges, splits and renames with an effective date, so that results of
/// 2023 units can be followed to the units of 2026.
enum UnitLineageService {
    /// Records the step (one link per predecessor–successor pair); a merged
    /// or renamed unit stops existing on the effective date.
    static func record(_ input: LineageInput, in ctx: ServiceContext) async throws -> Result<Int, Problems> {
        var problems: [String] = []
        let kind = UnitLineage.Kind(rawValue: input.kind)
        if kind == nil { problems.append("Loại \"\(input.kind)\" không hợp lệ; dùng merge, split hoặc rename.") }
        if DateText.parseISO(input.effectiveOn) == nil { problems.append("Ngày hiệu lực \"\(input.effectiveOn)\" không hợp lệ; dùng yyyy-mm-dd.") }
        switch kind {
        case .merge where input.predecessors.count < 2 || input.successors.count != 1:
            problems.append("Sáp nhập cần ít nhất hai đơn vị cũ và đúng một đơn vị mới.")
        case .split where input.predecessors.count != 1 || input.successors.count < 2:
            problems.append("Chia tách cần đúng một đơn vị cũ và ít nhất hai đơn vị mới.")
        case .rename where input.predecessors.count != 1 || input.successors.count != 1:
            problems.append("Đổi tên cần đúng một đơn vị cũ và một đơn vị mới.")
        default: break
        }
        if (input.note ?? "").count > 500 { problems.append("Căn cứ quá dài (tối đa 500 ký tự).") }
        let codes = Set(input.predecessors + input.successors)
        let units = try await UnitModel.query(on: ctx.db).filter(\.$code ~~ Array(codes)).all()
        let byCode = Dictionary(uniqueKeysWithValues: units.map { ($0.code, $0) })
        for code in codes.sorted() where byCode[code] == nil { problems.append("Không có đơn vị mã \"\(code)\".") }
        if !Set(input.predecessors).isDisjoint(with: input.successors) { problems.append("Một đơn vị không thể vừa là đơn vị cũ vừa là đơn vị mới.") }
        guard problems.isEmpty, let kind else { return .failure(Problems(messages: problems)) }
        try await ctx.db.retryingTransaction { tx in
            for p in input.predecessors {
                for s in input.successors {
                    try await UnitLineage(predecessorID: byCode[p]!.id!, successorID: byCode[s]!.id!, kind: kind,
                                          effectiveOn: input.effectiveOn, note: input.note).create(on: tx)
                }
                byCode[p]!.validUntil = input.effectiveOn
                try await byCode[p]!.save(on: tx)
            }
            try await AuditLog.record(ctx, actor: ctx.actor, action: "unit_lineage", target: input.successors.joined(separator: ","),
                                      detail: "\(kind.rawValue) từ \(input.predecessors.joined(separator: ",")) ngày \(input.effectiveOn)", on: tx)
        }
        return .success(input.predecessors.count * input.successors.count)
    }

    /// Vietnamese sentences describing where the unit came from and went to.
    static func describe(_ unit: UnitModel, on db: any Database) async throws -> [String] {
        let links = try await UnitLineage.query(on: db).group(.or) {
            $0.filter(\.$predecessor.$id == unit.id!).filter(\.$successor.$id == unit.id!)
        }.with(\.$predecessor).with(\.$successor).all()
        let verb: [String: String] = ["merge": "sáp nhập vào", "split": "chia tách thành", "rename": "đổi tên thành"]
        return links.sorted { $0.effectiveOn < $1.effectiveOn }.map { link in
            let date = DateText.display(link.effectiveOn)
            let note = link.note.map { " (\($0))" } ?? ""
            return "Từ \(date): \(link.predecessor.name) \(verb[link.kind] ?? link.kind) \(link.successor.name)\(note)."
        }
    }
}
