import Fluent
import Vapor

/// What an administrator submits to create a period (JSON).
struct PeriodInput: Content {
    struct PhaseInput: Content { var phase: String; var startsOn: String; var endsOn: String }
    struct FrameworkRef: Content { var level: String; var key: String; var version: Int }
    var year: Int
    var title: String
    var phases: [PhaseInput]
    var frameworks: [FrameworkRef]
}

/// The period form: one pair of dates per phase and one framework per level.
struct PeriodForm {
    var year: String
    var title: String
    /// Phase → (from, to), ISO dates as typed.
    var dates: [String: (String, String)]
    /// Level → "key@version".
    var frameworks: [String: String]

    static let blank = PeriodForm(year: "", title: "", dates: [:], frameworks: [:])

    init(year: String, title: String, dates: [String: (String, String)], frameworks: [String: String]) {
        self.year = year; self.title = title; self.dates = dates; self.frameworks = frameworks
    }

    init(_ content: any ContentContainer) throws {
        year = (try? content.get(String.self, at: "year")) ?? ""
        title = (try? content.get(String.self, at: "title")) ?? ""
        dates = [:]
        for phase in Phase.allCases {
            let from = (try? content.get(String.self, at: "\(phase.rawValue)_from")) ?? ""
            let to = (try? content.get(String.self, at: "\(phase.rawValue)_to")) ?? ""
            if !from.isEmpty || !to.isEmpty { dates[phase.rawValue] = (from, to) }
        }
        frameworks = [:]
        for level in Levels.all {
            if let v = try? content.get(String.self, at: "fw_\(level.value)"), !v.isEmpty { frameworks[level.value] = v }
        }
    }

    func framework(_ level: String) -> String { frameworks[level] ?? "" }

    /// The same submission in the API's shape; unreadable parts become values
    /// the service refuses with a message.
    var input: PeriodInput {
        PeriodInput(
            year: Int(year.trimmingCharacters(in: .whitespaces)) ?? 0, title: title,
            phases: Phase.allCases.compactMap { p in dates[p.rawValue].map { .init(phase: p.rawValue, startsOn: $0.0, endsOn: $0.1) } },
            frameworks: frameworks.sorted { $0.key < $1.key }.map { level, value in
                let parts = value.split(separator: "@")
                return .init(level: level, key: parts.first.map(String.init) ?? "", version: parts.count == 2 ? Int(parts[1]) ?? 0 : 0)
            })
    }
}

struct PeriodFormPage: Encodable {
    struct PhaseField: Encodable { var phase: String; var label: String; var from: String; var to: String }
    struct LevelChoice: Encodable { var level: String; var label: String; var field: String; var options: [LevelOption] }
    var layout: Layout
    var year: String
    var title: String
    var phases: [PhaseField]
    var levels: [LevelChoice]
    var errors: [String]
}

/// Periods: creation with every check first, locking.
enum PeriodService {
    static func load(_ id: UUID, on db: any Database) async throws -> Period? {
        try await Period.query(on: db).filter(\.$id == id).with(\.$phases).with(\.$frameworks, { $0.with(\.$frameworkVersion) }).first()
    }

    static func create(_ input: PeriodInput, in ctx: ServiceContext) async throws -> Result<Period, Problems> {
        var problems: [String] = []
        if !(2000...2100).contains(input.year) { problems.append("Năm \(input.year == 0 ? "" : String(input.year)) không hợp lệ; cần năm từ 2000 đến 2100.") }
        let title = input.title.trimmingCharacters(in: .whitespaces)
        if title.isEmpty || title.count > 200 { problems.append("Tên kỳ đánh giá không được để trống (tối đa 200 ký tự).") }
        if input.phases.isEmpty { problems.append("Cần ít nhất một giai đoạn với ngày bắt đầu và kết thúc.") }
        var seenPhases = Set<String>()
        for p in input.phases {
            let label = Phase(rawValue: p.phase)?.label ?? p.phase
            if Phase(rawValue: p.phase) == nil { problems.append("Giai đoạn \"\(p.phase)\" không hợp lệ; dùng \(Phase.allCases.map(\.rawValue).joined(separator: ", ")).") }
            if !seenPhases.insert(p.phase).inserted { problems.append("Giai đoạn \"\(label)\" lặp lại.") }
            guard DateText.parseISO(p.startsOn) != nil, DateText.parseISO(p.endsOn) != nil else {
                problems.append("Ngày của giai đoạn \"\(label)\" không hợp lệ; dùng yyyy-mm-dd.")
                continue
            }
            if p.startsOn > p.endsOn { problems.append("Giai đoạn \"\(label)\": ngày bắt đầu sau ngày kết thúc.") }
        }
        var versions: [(String, FrameworkVersion)] = []
        for ref in input.frameworks {
            if let v = try await FrameworkVersion.query(on: ctx.db).filter(\.$key == ref.key).filter(\.$version == ref.version).first() {
                if v.level != ref.level { problems.append("Bộ chỉ số \"\(ref.key)\" dành cho cấp \(v.level), không phải \(ref.level).") }
                versions.append((ref.level, v))
            } else {
                problems.append("Không có bộ chỉ số \"\(ref.key)\" phiên bản \(ref.version).")
            }
        }
        if Set(input.frameworks.map(\.level)).count != input.frameworks.count { problems.append("Mỗi cấp chỉ dùng một bộ chỉ số.") }
        guard problems.isEmpty else { return .failure(Problems(messages: problems)) }
        let period = Period(year: input.year, title: title)
        let chosen = versions
        try await ctx.db.retryingTransaction { tx in
            try await period.create(on: tx)
            for p in input.phases {
                try await PeriodPhase(periodID: period.id!, phase: Phase(rawValue: p.phase)!, startsOn: p.startsOn, endsOn: p.endsOn).create(on: tx)
            }
            for (level, v) in chosen { try await PeriodFramework(periodID: period.id!, level: level, frameworkVersionID: v.id!).create(on: tx) }
            try await AuditLog.record(ctx, actor: ctx.actor, action: "period_created", target: "\(period.year)", detail: period.title, on: tx)
        }
        return .success(period)
    }

    static func lock(_ period: Period, in ctx: ServiceContext) async throws {
        guard !period.locked else { return }
        period.locked = true
        try await ctx.db.retryingTransaction { tx in
            try await period.save(on: tx)
            try await AuditLog.record(ctx, actor: ctx.actor, action: "period_locked", target: "\(period.year)", detail: period.title, on: tx)
        }
    }
}
