import Fluent
import SQLKit
import Vapor

/// What an administrator submits to create a period (JSON).
struct PeriodInput: Content {
    struct PhaseInput: Content { var phase: String; var startsOn: String; var endsOn: String }
    struct FrameworkRef: Content { var level: String; var key: String; var version: Int }
    var year: Int
    var title: String
    var phases: [PhaseInput]
    var frameworks: [FrameworkRef]
    /// The participating units by code; absent: every unit of the
    /// frameworks' levels that exists in the period's year.
    var units: [String]?
}

/// What an administrator submits to change a period (JSON): its title,
/// phase dates and participating units; the reason is required when a phase
/// that has started is re-dated (a reopening is recorded with it).
struct PeriodUpdate: Content {
    var title: String?
    var phases: [PeriodInput.PhaseInput]?
    var units: [String]?
    var reason: String?
}

/// The period form: one pair of dates per phase, one framework per level,
/// the participating units.
struct PeriodForm {
    var year: String
    var title: String
    /// Phase → (from, to), ISO dates as typed.
    var dates: [String: (String, String)]
    /// Level → "key@version".
    var frameworks: [String: String]
    /// Codes of the ticked units; nil: every eligible unit (a blank form).
    var units: Set<String>?
    var reason: String = ""

    static let blank = PeriodForm(year: "", title: "", dates: [:], frameworks: [:], units: nil)

    init(year: String, title: String, dates: [String: (String, String)], frameworks: [String: String], units: Set<String>?) {
        self.year = year; self.title = title; self.dates = dates; self.frameworks = frameworks; self.units = units
    }

    init(_ content: any ContentContainer) throws {
        year = (try? content.get(String.self, at: "year")) ?? ""
        title = (try? content.get(String.self, at: "title")) ?? ""
        reason = (try? content.get(String.self, at: "reason")) ?? ""
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
        // The page marks that it listed the units, so that none ticked is a
        // choice (refused) rather than a form without the list (every unit).
        let listed = (try? content.get(String.self, at: "units_listed")) != nil
        let ticked = (try? content.get([String].self, at: "units")) ?? []
        units = listed || !ticked.isEmpty ? Set(ticked) : nil
    }

    func framework(_ level: String) -> String { frameworks[level] ?? "" }

    var phaseInputs: [PeriodInput.PhaseInput] {
        Phase.allCases.compactMap { p in dates[p.rawValue].map { .init(phase: p.rawValue, startsOn: $0.0, endsOn: $0.1) } }
    }

    /// The same submission in the API's shape; unreadable parts become values
    /// the service refuses with a message. Ticked units of a level left
    /// without a framework do not take part (the page says so).
    func input(levelOf: [String: String]) -> PeriodInput {
        PeriodInput(
            year: Int(year.trimmingCharacters(in: .whitespaces)) ?? 0, title: title, phases: phaseInputs,
            frameworks: frameworks.sorted { $0.key < $1.key }.map { level, value in
                let parts = value.split(separator: "@")
                return .init(level: level, key: parts.first.map(String.init) ?? "", version: parts.count == 2 ? Int(parts[1]) ?? 0 : 0)
            },
            units: units.map { $0.filter { levelOf[$0].map { frameworks[$0] != nil } ?? true }.sorted() })
    }
}

struct PeriodFormPage: Encodable {
    struct PhaseField: Encodable { var phase: String; var label: String; var from: String; var to: String }
    struct LevelChoice: Encodable { var level: String; var label: String; var field: String; var options: [LevelOption]; var fixed: String? }
    struct UnitChoice: Encodable { var code: String; var name: String; var checked: Bool; var locked: Bool }
    struct UnitGroup: Encodable { var id: String; var label: String; var units: [UnitChoice] }
    var layout: Layout
    var heading: String
    var action: String
    var button: String
    var editing: Bool
    var year: String
    var title: String
    var phases: [PhaseField]
    var levels: [LevelChoice]
    var unitGroups: [UnitGroup]
    var unitsLocked: Bool
    var reason: String
    var errors: [String]
    var notice: String?
}

/// Periods: creation and changes with every check first, locking.
enum PeriodService {
    /// The period a route's `:id` names, with its phases and frameworks, or 404.
    static func find(_ req: Request) async throws -> Period {
        guard let id = req.parameters.get("id", as: UUID.self), let period = try await load(id, on: req.db) else {
            throw Abort(.notFound, reason: "Không có kỳ đánh giá này.")
        }
        return period
    }

    /// The period with its phases and frameworks (each with its version), as
    /// Fluent's eager loading would give them, read as SQL rows (RowModel):
    /// every form view and every save asks. With `cache`, the phases and
    /// frameworks kept under the period's current revision are used instead
    /// of three more reads (PeriodCache). Never pass a cache with a database
    /// inside a transaction: what it reads may yet roll back. (`db.inTransaction`
    /// cannot tell here: Fluent's PostgreSQL driver sets it on every lent
    /// connection, so the caller decides before it takes one.)
    static func load(_ id: UUID, on db: any Database, cache: PeriodCache? = nil) async throws -> Period? {
        guard let row = try await db.sql.raw("SELECT * FROM periods WHERE id = \(bind: id)").first() else { return nil }
        return try await period(from: row, prefix: "", on: db, cache: cache)
    }

    /// The period whose row (its columns under `prefix`, revision included) another
    /// statement read: a save reads it beside the unit (`SelfAssessment.load`), then its
    /// phases and frameworks come from `cache` under that revision, or are read.
    static func period(from row: any SQLRow, prefix: String, on db: any Database, cache: PeriodCache?) async throws -> Period {
        let sql = try db.sql
        let period = try Period.decode(row: row, prefix: prefix)
        let id = try period.requireID()
        let revision = try row.decode(column: prefix + "revision", as: Int.self)
        let children: PeriodCache.Children
        if let kept = cache?.children(of: id, revision: revision) {
            children = kept
        } else {
            children = PeriodCache.Children(
                phases: try await sql.raw("SELECT * FROM period_phases WHERE period_id = \(bind: id)").all(),
                links: try await sql.raw("SELECT * FROM period_frameworks WHERE period_id = \(bind: id)").all(),
                versions: try await sql.raw("""
                    SELECT framework_versions.* FROM framework_versions JOIN period_frameworks ON period_frameworks.framework_version_id = framework_versions.id
                    WHERE period_frameworks.period_id = \(bind: id)
                    """).all())
            cache?.keep(children, of: id, revision: revision)
        }
        period.$phases.value = try children.phases.map { try PeriodPhase.decode(row: $0) }
        let links = try children.links.map { try PeriodFramework.decode(row: $0) }
        let versions = try children.versions.map { try FrameworkVersion.decode(row: $0) }
        let byID = Dictionary(versions.map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a })
        for link in links {
            guard let version = byID[link.$frameworkVersion.id] else { throw DomainError.failure("Kỳ đánh giá trỏ tới một bộ chỉ số không còn lưu trữ.") }
            link.$frameworkVersion.value = version
        }
        period.$frameworks.value = links
        return period
    }

    /// The phases' own problems: dates, duplicates, and their order
    /// (self-assessment ≤ evaluation ≤ corrections ≤ council ≤ consolidation ≤ publication).
    static func phaseProblems(_ phases: [PeriodInput.PhaseInput]) -> [String] {
        var problems: [String] = []
        if phases.isEmpty { problems.append("Cần ít nhất một giai đoạn với ngày bắt đầu và kết thúc.") }
        var seen = Set<String>()
        var valid: [(Phase, String, String)] = []
        for p in phases {
            let label = Phase(rawValue: p.phase)?.label ?? p.phase
            if Phase(rawValue: p.phase) == nil { problems.append("Giai đoạn \"\(p.phase)\" không hợp lệ; dùng \(Phase.allCases.map(\.rawValue).joined(separator: ", ")).") }
            if !seen.insert(p.phase).inserted { problems.append("Giai đoạn \"\(label)\" lặp lại.") }
            guard DateText.parseISO(p.startsOn) != nil, DateText.parseISO(p.endsOn) != nil else {
                problems.append("Ngày của giai đoạn \"\(label)\" không hợp lệ; dùng năm-tháng-ngày, ví dụ 2026-03-26.")
                continue
            }
            if p.startsOn > p.endsOn { problems.append("Giai đoạn \"\(label)\": ngày bắt đầu \(DateText.display(p.startsOn)) sau ngày kết thúc \(DateText.display(p.endsOn)).") }
            if let phase = Phase(rawValue: p.phase) { valid.append((phase, p.startsOn, p.endsOn)) }
        }
        let ordered = valid.sorted { Phase.allCases.firstIndex(of: $0.0)! < Phase.allCases.firstIndex(of: $1.0)! }
        for (before, after) in zip(ordered, ordered.dropFirst()) where before.0 != after.0 {
            if after.1 < before.1 {
                problems.append("Giai đoạn \"\(after.0.label)\" bắt đầu (\(DateText.display(after.1))) trước giai đoạn \"\(before.0.label)\" (\(DateText.display(before.1))); các giai đoạn phải theo thứ tự.")
            } else if after.2 < before.2 {
                problems.append("Giai đoạn \"\(after.0.label)\" kết thúc (\(DateText.display(after.2))) trước giai đoạn \"\(before.0.label)\" (\(DateText.display(before.2))); các giai đoạn phải theo thứ tự.")
            }
        }
        return problems
    }

    /// The participating units named by `codes` (nil: every unit of `levels`
    /// that still exists at the end of the year), or the problems with them.
    static func chooseUnits(_ codes: [String]?, year: Int, levels: Set<String>, on db: any Database) async throws -> (units: [UnitModel], problems: [String]) {
        let eligible = try await Participation.eligible(year: year, levels: levels, on: db)
        guard let codes else {
            // Not named: every unit that still exists at the end of the year.
            let lasting = eligible.filter { $0.lasts(through: year) }
            return (lasting, lasting.isEmpty && !levels.isEmpty ? ["Không có đơn vị nào thuộc các cấp đã chọn còn tồn tại trong năm \(year)."] : [])
        }
        let byCode = Dictionary(uniqueKeysWithValues: eligible.map { ($0.code, $0) })
        var problems: [String] = [], units: [UnitModel] = [], seen = Set<String>()
        for code in codes where seen.insert(code).inserted {
            if let unit = byCode[code] { units.append(unit); continue }
            if let unit = try await UnitModel.query(on: db).filter(\.$code == code).first() {
                if !levels.contains(unit.level) {
                    problems.append("Đơn vị \(unit.name) (\(code)) thuộc cấp \(Levels.label(unit.level)) nhưng kỳ đánh giá chưa có bộ chỉ số cho cấp này.")
                } else if let from = unit.validFrom, from > "\(year)-12-31" {
                    problems.append("Đơn vị \(unit.name) (\(code)) chưa tồn tại trong năm \(year) (hiệu lực từ \(DateText.display(from))).")
                } else {
                    problems.append("Đơn vị \(unit.name) (\(code)) không còn tồn tại trong năm \(year) (hiệu lực đến \(unit.validUntil.map(DateText.display) ?? "")).")
                }
            } else {
                problems.append("Không có đơn vị mã \"\(code.excerpt())\".")
            }
        }
        if units.isEmpty && problems.isEmpty { problems.append("Cần chọn ít nhất một đơn vị tham gia.") }
        return (units, problems)
    }

    static func create(_ input: PeriodInput, in ctx: ServiceContext) async throws -> Result<Period, Problems> {
        var problems: [String] = []
        if !(2000...2100).contains(input.year) { problems.append("Năm \(input.year == 0 ? "" : String(input.year)) không hợp lệ; cần năm từ 2000 đến 2100.") }
        let title = input.title.trimmingCharacters(in: .whitespaces)
        if title.isEmpty || title.count > 200 { problems.append("Tên kỳ đánh giá không được để trống (tối đa 200 ký tự).") }
        problems += phaseProblems(input.phases)
        var versions: [(String, FrameworkVersion)] = []
        if input.frameworks.isEmpty { problems.append("Cần chọn bộ chỉ số cho ít nhất một cấp đánh giá.") }
        for ref in input.frameworks {
            if let v = try await FrameworkVersion.query(on: ctx.db).filter(\.$key == ref.key).filter(\.$version == ref.version).first() {
                if v.level != ref.level { problems.append("Bộ chỉ số \"\(ref.key)\" dành cho cấp \(v.level), không phải \(ref.level).") }
                versions.append((ref.level, v))
            } else {
                problems.append("Không có bộ chỉ số \"\(ref.key)\" phiên bản \(ref.version).")
            }
        }
        if Set(input.frameworks.map(\.level)).count != input.frameworks.count { problems.append("Mỗi cấp chỉ dùng một bộ chỉ số.") }
        let chosen = try await chooseUnits(input.units, year: input.year, levels: Set(input.frameworks.map(\.level)), on: ctx.db)
        problems += chosen.problems
        guard problems.isEmpty else { return .failure(Problems(messages: problems)) }
        let period = Period(year: input.year, title: title)
        let frameworks = versions, units = chosen.units
        try await ctx.db.retryingTransaction { tx in
            try await period.create(on: tx)
            for p in input.phases {
                try await PeriodPhase(periodID: period.id!, phase: Phase(rawValue: p.phase)!, startsOn: p.startsOn, endsOn: p.endsOn).create(on: tx)
            }
            for (level, v) in frameworks { try await PeriodFramework(periodID: period.id!, level: level, frameworkVersionID: v.id!).create(on: tx) }
            try await units.map { PeriodUnit(periodID: period.id!, unitID: $0.id!) }.create(on: tx)
            try await AuditLog.record(ctx, actor: ctx.actor, action: "period_created", target: "\(period.year)",
                                      detail: "\(period.title); \(units.count) đơn vị tham gia", on: tx)
        }
        return .success(period)
    }

    /// Whether the participating units may still change: until the
    /// self-assessment phase closes.
    static func unitsChangeable(_ period: Period, today: String) -> Bool {
        guard !period.locked else { return false }
        guard let phase = period.phases.first(where: { $0.phase == Phase.selfAssessment.rawValue }) else { return true }
        return today <= phase.endsOn
    }

    /// Changes a period's title, phase dates and participating units. A
    /// phase that has started is re-dated only with a reason; moving the end
    /// of a phase that is over to a later day reopens it for everyone, and the
    /// audit log says so with the reason.
    static func update(_ period: Period, with change: PeriodUpdate, in ctx: ServiceContext) async throws -> Result<Period, Problems> {
        if period.locked { throw DomainError.conflict("Kỳ đánh giá đã khóa; không thể thay đổi.") }
        if period.resultsOnly { throw DomainError.conflict("Kỳ này chỉ gồm kết quả đã công bố trước đây; không có giai đoạn để thay đổi.") }
        var problems: [String] = []
        let title = (change.title ?? period.title).trimmingCharacters(in: .whitespaces)
        if title.isEmpty || title.count > 200 { problems.append("Tên kỳ đánh giá không được để trống (tối đa 200 ký tự).") }
        let reason = (change.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.count > 2000 { problems.append("Lý do quá dài (tối đa 2000 ký tự).") }
        let today = ctx.today
        var redated: [String] = [], reopened: [String] = []
        let old = Dictionary(period.phases.map { ($0.phase, $0) }, uniquingKeysWith: { a, _ in a })
        if let phases = change.phases {
            problems += phaseProblems(phases)
            for p in phases {
                guard let label = Phase(rawValue: p.phase)?.label else { continue }
                if let before = old[p.phase] {
                    guard before.startsOn != p.startsOn || before.endsOn != p.endsOn else { continue }
                    redated.append("\(label): \(DateText.display(before.startsOn))–\(DateText.display(before.endsOn)) → \(DateText.display(p.startsOn))–\(DateText.display(p.endsOn))")
                    if before.endsOn < today && p.endsOn >= today { reopened.append(label) }
                    if before.startsOn <= today && reason.isEmpty {
                        problems.append("Giai đoạn \"\(label)\" đã bắt đầu; cần ghi lý do khi đổi ngày hoặc mở lại giai đoạn.")
                    }
                } else {
                    redated.append("\(label): thêm \(DateText.display(p.startsOn))–\(DateText.display(p.endsOn))")
                }
            }
            for gone in period.phases where !phases.contains(where: { $0.phase == gone.phase }) {
                problems.append("Không thể bỏ giai đoạn \"\(Phase(rawValue: gone.phase)?.label ?? gone.phase)\"; hãy đổi ngày của nó.")
            }
        }
        var units: [UnitModel]? = nil
        if let codes = change.units {
            let current = try await PeriodUnit.query(on: ctx.db).filter(\.$period.$id == period.id!).all()
            let currentIDs = Set(current.map(\.$unit.id))
            let chosen = try await chooseUnits(codes, year: period.year, levels: Set(period.frameworks.map(\.level)), on: ctx.db)
            problems += chosen.problems
            let chosenIDs = Set(chosen.units.compactMap(\.id))
            if chosenIDs != currentIDs || current.isEmpty {
                if !unitsChangeable(period, today: today) {
                    problems.append("Giai đoạn tự đánh giá đã kết thúc; không thể thay đổi các đơn vị tham gia.")
                }
                // A unit that has entered answers is not dropped silently.
                let dropped = current.isEmpty ? Set(try await Participation.units(period, on: ctx.db).compactMap(\.unit.id)).subtracting(chosenIDs)
                                              : currentIDs.subtracting(chosenIDs)
                if !dropped.isEmpty {
                    for s in try await Submission.query(on: ctx.db).filter(\.$period.$id == period.id!).filter(\.$unit.$id ~~ Array(dropped)).with(\.$unit).all() {
                        problems.append("Đơn vị \(s.unit.name) đã nhập số liệu cho kỳ này; không thể bỏ khỏi danh sách tham gia.")
                    }
                }
                units = chosen.units
            }
        }
        guard problems.isEmpty else { return .failure(Problems(messages: problems)) }
        let newUnits = units, changedPhases = change.phases ?? [], redatedText = redated, reopenedText = reopened
        try await ctx.db.retryingTransaction { tx in
            if title != period.title { period.title = title; try await period.save(on: tx) }
            for p in changedPhases {
                if let row = old[p.phase] {
                    guard row.startsOn != p.startsOn || row.endsOn != p.endsOn else { continue }
                    row.startsOn = p.startsOn; row.endsOn = p.endsOn
                    try await row.save(on: tx)
                } else {
                    try await PeriodPhase(periodID: period.id!, phase: Phase(rawValue: p.phase)!, startsOn: p.startsOn, endsOn: p.endsOn).create(on: tx)
                }
            }
            if let newUnits {
                let keep = try await PeriodUnit.query(on: tx).filter(\.$period.$id == period.id!).all()
                let wanted = Set(newUnits.compactMap(\.id))
                for row in keep where !wanted.contains(row.$unit.id) { try await row.delete(on: tx) }
                let have = Set(keep.map(\.$unit.id))
                try await newUnits.filter { !have.contains($0.id!) }.map { PeriodUnit(periodID: period.id!, unitID: $0.id!) }.create(on: tx)
                try await AuditLog.record(ctx, actor: ctx.actor, action: "period_units_changed", target: "\(period.year)",
                                          detail: "\(period.title): \(newUnits.count) đơn vị tham gia", on: tx)
            }
            if !redatedText.isEmpty {
                try await AuditLog.record(ctx, actor: ctx.actor, action: reopenedText.isEmpty ? "period_redated" : "phase_reopened", target: "\(period.year)",
                                          detail: (reopenedText.isEmpty ? "" : "Mở lại: \(reopenedText.joined(separator: ", ")). ") + redatedText.joined(separator: "; ")
                                              + (reason.isEmpty ? "" : ". Lý do: \(reason)"), on: tx)
            }
        }
        return .success(try await load(period.id!, on: ctx.db)!)
    }

    /// Marks participating units as not reporting (with the reason), or
    /// clears the mark (empty reason).
    static func markNotReporting(_ period: Period, codes: [String], reason: String, in ctx: ServiceContext) async throws -> Int {
        if period.locked { throw DomainError.conflict("Kỳ đánh giá đã khóa; không thể thay đổi.") }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.count > 2000 { throw DomainError.invalid("Lý do quá dài (tối đa 2000 ký tự).") }
        if codes.isEmpty { throw DomainError.invalid("Cần chọn ít nhất một đơn vị.") }
        let participants = try await Participation.units(period, on: ctx.db)
        let byCode = Dictionary(uniqueKeysWithValues: participants.map { ($0.unit.code, $0.unit) })
        var chosen: [UnitModel] = []
        for code in codes {
            guard let unit = byCode[code] else { throw DomainError.invalid("Đơn vị mã \"\(code.excerpt())\" không tham gia kỳ đánh giá này.") }
            chosen.append(unit)
        }
        let units = chosen
        let explicit = try await PeriodUnit.query(on: ctx.db).filter(\.$period.$id == period.id!).count() > 0
        try await ctx.db.retryingTransaction { tx in
            // An older period without a recorded selection gets one now: its current units.
            if !explicit { try await participants.map { PeriodUnit(periodID: period.id!, unitID: $0.unit.id!) }.create(on: tx) }
            for unit in units {
                guard let row = try await PeriodUnit.query(on: tx).filter(\.$period.$id == period.id!).filter(\.$unit.$id == unit.id!).first() else { continue }
                row.notReportingReason = reason
                try await row.save(on: tx)
                try await AuditLog.record(ctx, actor: ctx.actor, action: reason.isEmpty ? "unit_reporting_again" : "unit_not_reporting",
                                          target: unit.code, detail: "\(period.title)" + (reason.isEmpty ? "" : ": \(reason)"), on: tx)
            }
        }
        return units.count
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
