import DTICore
import DTIFormats
import Fluent
import Foundation

/// The season board: every participating unit of a period with where it
/// stands — status, answered criteria, evidence, open correction requests,
/// last activity, overdue marks — for the administrator, evaluators (their
/// units) and the council; the home page's "Việc cần làm" counts from it.
struct SeasonBoard: Sendable {
    /// Where a unit stands, in the order of the cycle.
    enum Status: String, CaseIterable, Sendable {
        case none, draft, returned
        case awaitingApproval = "awaiting_approval"
        case submitted, evaluating, corrections, appraised
        case notReporting = "not_reporting"

        var label: String {
            switch self {
            case .none: return "Chưa nhập"
            case .draft: return "Đang nhập"
            case .returned: return "Lãnh đạo trả lại"
            case .awaitingApproval: return "Chờ lãnh đạo duyệt"
            case .submitted: return "Đã gửi, chờ thẩm định"
            case .evaluating: return "Đang thẩm định"
            case .corrections: return "Yêu cầu bổ sung"
            case .appraised: return "Hội đồng đã thẩm định"
            case .notReporting: return "Không báo cáo"
            }
        }
    }

    struct Row: Sendable {
        var unit: UnitModel
        var status: Status
        var answered: Int
        var applicable: Int
        var evidence: Int
        /// The unit's correction requests not yet closed (sent, or answered by the unit).
        var corrections: [CorrectionRequest]
        var councilScored: Int
        var lastActivity: Date?
        /// Why the unit is late, or nil.
        var overdue: String?
        var notReporting: String?

        var openCorrections: Int { corrections.count }
    }

    /// One phase's progress: how many of the units it concerns are past it.
    struct Progress: Sendable { var phase: String; var done: Int; var of: Int }

    var period: Period
    var rows: [Row]

    var progress: [Progress] {
        let reporting = rows.filter { $0.status != .notReporting }
        let sent = reporting.filter { [.submitted, .evaluating, .corrections, .appraised].contains($0.status) }
        return [
            Progress(phase: Phase.selfAssessment.label, done: sent.count, of: reporting.count),
            Progress(phase: Phase.evaluation.label, done: sent.filter { $0.status == .evaluating || $0.status == .appraised }.count, of: sent.count),
            Progress(phase: Phase.corrections.label, done: sent.filter { $0.openCorrections == 0 }.count, of: sent.count),
            Progress(phase: Phase.councilAppraisal.label, done: sent.filter { $0.status == .appraised }.count, of: sent.count),
        ]
    }

    /// The board of `period`, limited to an evaluator's units when `user` is one.
    static func load(_ period: Period, for user: UserAccount?, today: String, on db: any Database) async throws -> SeasonBoard {
        let scope = user?.role == .evaluator ? AccountDirectory.list(user!.scopeUnits) : []
        let participants = try await Participation.units(period, on: db).filter { scope.isEmpty || scope.contains($0.unit.code) }
        let submissions = try await Submission.query(on: db).filter(\.$period.$id == period.id!).all()
        let byUnit = Dictionary(submissions.map { ($0.$unit.id, $0) }, uniquingKeysWith: { a, _ in a })
        let ids = submissions.compactMap(\.id)
        var answers: [UUID: [Answer]] = [:], corrections: [UUID: [CorrectionRequest]] = [:], evidence: [UUID: Int] = [:]
        if !ids.isEmpty {
            for a in try await Answer.query(on: db).filter(\.$submission.$id ~~ ids).all() { answers[a.$submission.id, default: []].append(a) }
            for r in try await CorrectionRequest.query(on: db).filter(\.$submission.$id ~~ ids)
                .filter(\.$status != CorrectionRequest.Status.closed.rawValue).sort(\.$criterion).all() { corrections[r.$submission.id, default: []].append(r) }
            for e in try await EvidenceFile.query(on: db).filter(\.$submission.$id ~~ ids).all() { evidence[e.$submission.id, default: 0] += 1 }
        }
        var exceptions: [UUID: [String: String]] = [:]
        for e in try await PhaseException.query(on: db).filter(\.$period.$id == period.id!).all() {
            exceptions[e.$unit.id, default: [:]][e.phase] = max(exceptions[e.$unit.id]?[e.phase] ?? "", e.until)
        }
        var frameworks: [String: CompiledFramework] = [:]
        for link in period.frameworks { frameworks[link.level] = try FrameworkCatalog.compiled(link.frameworkVersion) }
        let phaseEnd = Dictionary(period.phases.map { ($0.phase, $0.endsOn) }, uniquingKeysWith: { a, _ in a })

        let rows = participants.map { p -> Row in
            let unit = p.unit
            let submission = byUnit[unit.id!]
            let mine = submission.flatMap { answers[$0.id!] } ?? []
            let byCode = Dictionary(mine.map { ($0.criterion, $0) }, uniquingKeysWith: { a, _ in a })
            var applicable = 0, answered = 0, council = 0, evaluated = 0
            if let fw = frameworks[unit.level] {
                let tags = Set(unit.tagList)
                for leaf in fw.leaves where fw.nodes[leaf].applicability.applies(toUnitTagged: tags) {
                    applicable += 1
                    guard let a = byCode[fw.nodes[leaf].code] else { continue }
                    if !a.value.isEmpty { answered += 1 }
                    if a.councilPoints != nil { council += 1 }
                    if a.evaluatorPoints != nil { evaluated += 1 }
                }
            }
            let threads = submission.flatMap { corrections[$0.id!] } ?? []
            let open = threads.count
            let status: Status
            if p.notReporting != nil {
                status = .notReporting
            } else {
                switch submission?.state {
                case nil: status = mine.isEmpty ? .none : .draft
                case .draft?: status = mine.isEmpty ? .none : .draft
                case .awaitingApproval?: status = .awaitingApproval
                case .returned?: status = .returned
                case .submitted?:
                    if open > 0 { status = .corrections }
                    else if applicable > 0 && council >= applicable { status = .appraised }
                    else if evaluated > 0 || council > 0 { status = .evaluating }
                    else { status = .submitted }
                }
            }
            func end(_ phase: Phase) -> String? {
                let base = phaseEnd[phase.rawValue]
                let extra = exceptions[unit.id!]?[phase.rawValue]
                return [base, extra].compactMap { $0 }.max()
            }
            var overdue: String?
            if [.none, .draft, .returned, .awaitingApproval].contains(status), let e = end(.selfAssessment), e < today {
                overdue = "Quá hạn tự đánh giá (\(DateText.display(e)))"
            } else if status == .corrections, let e = end(.corrections), e < today {
                overdue = "Quá hạn bổ sung (\(DateText.display(e)))"
            }
            let last = ([submission?.updatedAt] + mine.map(\.updatedAt)).compactMap { $0 }.max()
            return Row(unit: unit, status: status, answered: answered, applicable: applicable, evidence: submission.flatMap { evidence[$0.id!] } ?? 0,
                       corrections: threads, councilScored: council, lastActivity: last, overdue: overdue, notReporting: p.notReporting)
        }
        return SeasonBoard(period: period, rows: rows)
    }

    /// The rows a filter keeps: level, group, status, and a search on the
    /// name or code without diacritics ("dak lak" finds "Đắk Lắk").
    func filtered(level: String?, group: String?, status: String?, query: String?) -> [Row] {
        let key = query.map(VietnameseText.searchKey) ?? ""
        return rows.filter { row in
            (level.map { $0.isEmpty || row.unit.level == $0 } ?? true)
                && (group.map { $0.isEmpty || row.unit.groupName == $0 } ?? true)
                && (status.map { $0.isEmpty || row.status.rawValue == $0 || ($0 == "overdue" && row.overdue != nil) } ?? true)
                && (key.isEmpty || VietnameseText.searchKey(row.unit.name).contains(key) || row.unit.code.lowercased().contains(key))
        }
    }

    /// The board as a workbook, one row per unit, as filtered.
    static func workbook(_ period: Period, rows: [Row]) -> Data {
        var table: [[Workbook.Cell]] = [[.text("Mã đơn vị"), .text("Đơn vị"), .text("Cấp"), .text("Nhóm"), .text("Trạng thái"),
                                         .text("Tiêu chí đã nhập"), .text("Tiêu chí áp dụng"), .text("Tài liệu kiểm chứng"),
                                         .text("Yêu cầu bổ sung đang mở"), .text("Hoạt động gần nhất"), .text("Quá hạn"), .text("Lý do không báo cáo")]]
        for r in rows {
            table.append([.text(r.unit.code), .text(r.unit.name), .text(Levels.label(r.unit.level)), .text(r.unit.groupName), .text(r.status.label),
                          .integer(r.answered), .integer(r.applicable), .integer(r.evidence), .integer(r.openCorrections),
                          .text(r.lastActivity.map(DateText.dateTime) ?? ""), .text(r.overdue ?? ""), .text(r.notReporting ?? "")])
        }
        return Workbook(sheets: [.init(name: "Bảng theo dõi", rows: table, widths: [14, 44, 18, 22, 22, 10, 10, 10, 10, 18, 28, 40], boldRows: [0])]).data()
    }
}
