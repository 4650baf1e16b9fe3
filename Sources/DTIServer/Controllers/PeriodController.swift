import Fluent
import Vapor

/// Periods (Kỳ đánh giá): their phases, dates, frameworks and lock.
struct PeriodController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Signed in.
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.get("periods", use: listPage)
        signedIn.get("periods", ":id", use: showPage)
        signedIn.get("api", "v1", "periods", use: list)
        signedIn.get("api", "v1", "periods", ":id", use: show)
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.post("api", "v1", "periods", use: create)
        admin.post("api", "v1", "periods", ":id", "lock", use: lock)
    }

    static func summary(_ period: Period, phases: [PeriodPhase], today: String = DateText.todayISO()) -> PeriodSummary {
        let current = phases.first { $0.startsOn <= today && today <= $0.endsOn }.flatMap { Phase(rawValue: $0.phase)?.label }
        return PeriodSummary(id: period.id, year: period.year, title: period.title, locked: period.locked, currentPhase: current)
    }

    static func all(on db: any Database) async throws -> [PeriodSummary] {
        try await Period.query(on: db).with(\.$phases).sort(\.$year, .descending).all().map { summary($0, phases: $0.phases) }
    }

    func find(_ req: Request) async throws -> Period {
        guard let id = req.parameters.get("id", as: UUID.self),
              let period = try await Period.query(on: req.db).filter(\.$id == id).with(\.$phases).with(\.$frameworks, { $0.with(\.$frameworkVersion) }).first()
        else { throw Abort(.notFound, reason: "Không có kỳ đánh giá này.") }
        return period
    }

    struct PeriodDetail: Content {
        var period: PeriodSummary
        var phases: [PhaseRow]
        var frameworks: [FrameworkSummary]
    }

    func detail(_ period: Period) throws -> PeriodDetail {
        let today = DateText.todayISO()
        let order = Dictionary(uniqueKeysWithValues: Phase.allCases.enumerated().map { ($1.rawValue, $0) })
        let phases = period.phases.sorted { (order[$0.phase] ?? 9) < (order[$1.phase] ?? 9) }.map {
            PhaseRow(phase: $0.phase, label: Phase(rawValue: $0.phase)?.label ?? $0.phase,
                     startsOn: DateText.display($0.startsOn), endsOn: DateText.display($0.endsOn),
                     current: $0.startsOn <= today && today <= $0.endsOn)
        }
        return PeriodDetail(period: Self.summary(period, phases: period.phases), phases: phases,
                            frameworks: try period.frameworks.map { try FrameworkCatalog.summary($0.frameworkVersion) })
    }

    @Sendable func listPage(req: Request) async throws -> View {
        try await req.view.render("periods", PeriodsPage(layout: Layout(req, title: "Kỳ đánh giá"), periods: try await Self.all(on: req.db)))
    }

    @Sendable func showPage(req: Request) async throws -> View {
        let d = try detail(try await find(req))
        return try await req.view.render("period", PeriodPage(layout: Layout(req, title: d.period.title), period: d.period, phases: d.phases, frameworks: d.frameworks))
    }

    @Sendable func list(req: Request) async throws -> [PeriodSummary] { try await Self.all(on: req.db) }

    @Sendable func show(req: Request) async throws -> PeriodDetail { try detail(try await find(req)) }

    struct PeriodInput: Content {
        struct PhaseInput: Content { var phase: String; var startsOn: String; var endsOn: String }
        struct FrameworkRef: Content { var level: String; var key: String; var version: Int }
        var year: Int
        var title: String
        var phases: [PhaseInput]
        var frameworks: [FrameworkRef]
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(PeriodInput.self)
        var problems: [String] = []
        if !(2000...2100).contains(input.year) { problems.append("Năm \(input.year) không hợp lệ.") }
        if input.title.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("Tên kỳ đánh giá không được để trống.") }
        var seenPhases = Set<String>()
        for p in input.phases {
            if Phase(rawValue: p.phase) == nil { problems.append("Giai đoạn \"\(p.phase)\" không hợp lệ; dùng \(Phase.allCases.map(\.rawValue).joined(separator: ", ")).") }
            if !seenPhases.insert(p.phase).inserted { problems.append("Giai đoạn \"\(p.phase)\" lặp lại.") }
            guard DateText.parseISO(p.startsOn) != nil, DateText.parseISO(p.endsOn) != nil else {
                problems.append("Ngày của giai đoạn \"\(p.phase)\" không hợp lệ; dùng yyyy-mm-dd.")
                continue
            }
            if p.startsOn > p.endsOn { problems.append("Giai đoạn \"\(p.phase)\": ngày bắt đầu sau ngày kết thúc.") }
        }
        var versions: [(String, FrameworkVersion)] = []
        for ref in input.frameworks {
            if let v = try await FrameworkVersion.query(on: req.db).filter(\.$key == ref.key).filter(\.$version == ref.version).first() {
                if v.level != ref.level { problems.append("Bộ chỉ số \"\(ref.key)\" dành cho cấp \(v.level), không phải \(ref.level).") }
                versions.append((ref.level, v))
            } else {
                problems.append("Không có bộ chỉ số \"\(ref.key)\" phiên bản \(ref.version).")
            }
        }
        if Set(input.frameworks.map(\.level)).count != input.frameworks.count { problems.append("Mỗi cấp chỉ dùng một bộ chỉ số.") }
        if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        let period = Period(year: input.year, title: input.title.trimmingCharacters(in: .whitespaces))
        let chosen = versions
        try await req.db.transaction { tx in
            try await period.create(on: tx)
            for p in input.phases {
                try await PeriodPhase(periodID: period.id!, phase: Phase(rawValue: p.phase)!, startsOn: p.startsOn, endsOn: p.endsOn).create(on: tx)
            }
            for (level, v) in chosen { try await PeriodFramework(periodID: period.id!, level: level, frameworkVersionID: v.id!).create(on: tx) }
            try await AuditLog.record(req, actor: req.user, action: "period_created", target: "\(period.year)", detail: period.title, on: tx)
        }
        let response = try await detail(try await Period.query(on: req.db).filter(\.$id == period.id!).with(\.$phases)
            .with(\.$frameworks, { $0.with(\.$frameworkVersion) }).first()!).encodeResponse(for: req)
        response.status = .created
        return response
    }

    @Sendable func lock(req: Request) async throws -> PeriodSummary {
        let period = try await find(req)
        period.locked = true
        try await period.save(on: req.db)
        try await AuditLog.record(req, actor: req.user, action: "period_locked", target: "\(period.year)")
        return Self.summary(period, phases: period.phases)
    }
}

struct PeriodsPage: Encodable {
    var layout: Layout
    var periods: [PeriodSummary]
}
