import DTICore
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
        admin.get("admin", "periods", "new", use: newPage)
        admin.post("admin", "periods", use: createForm)
        admin.post("admin", "periods", ":id", "lock", use: lockForm)
        admin.post("api", "v1", "periods", use: create)
        admin.post("api", "v1", "periods", ":id", "lock", use: lock)
        admin.post("api", "v1", "periods", ":id", "units", ":code", "exceptions", use: grantException)
    }

    static func summary(_ period: Period, phases: [PeriodPhase], today: String) -> PeriodSummary {
        let current = phases.first { $0.startsOn <= today && today <= $0.endsOn }.flatMap { Phase(rawValue: $0.phase)?.label }
        return PeriodSummary(id: period.id, year: period.year, title: period.title, locked: period.locked, currentPhase: current)
    }

    static func all(on db: any Database, today: String) async throws -> [PeriodSummary] {
        try await Period.query(on: db).with(\.$phases).sort(\.$year, .descending).all().map { summary($0, phases: $0.phases, today: today) }
    }

    func find(_ req: Request) async throws -> Period {
        guard let id = req.parameters.get("id", as: UUID.self), let period = try await PeriodService.load(id, on: req.db)
        else { throw Abort(.notFound, reason: "Không có kỳ đánh giá này.") }
        return period
    }

    struct PeriodDetail: Content {
        var period: PeriodSummary
        var phases: [PhaseRow]
        var frameworks: [FrameworkSummary]
    }

    func detail(_ period: Period, today: String) throws -> PeriodDetail {
        let order = Dictionary(uniqueKeysWithValues: Phase.allCases.enumerated().map { ($1.rawValue, $0) })
        let phases = period.phases.sorted { (order[$0.phase] ?? 9) < (order[$1.phase] ?? 9) }.map {
            PhaseRow(phase: $0.phase, label: Phase(rawValue: $0.phase)?.label ?? $0.phase,
                     startsOn: $0.startsOn, endsOn: $0.endsOn,
                     current: $0.startsOn <= today && today <= $0.endsOn)
        }
        return PeriodDetail(period: Self.summary(period, phases: period.phases, today: today), phases: phases,
                            frameworks: try period.frameworks.map { try FrameworkCatalog.summary($0.frameworkVersion) })
    }

    @Sendable func listPage(req: Request) async throws -> View {
        try await req.view.render("periods", PeriodsPage(layout: Layout(req, title: "Kỳ đánh giá"), periods: try await Self.all(on: req.db, today: req.today)))
    }

    @Sendable func showPage(req: Request) async throws -> View {
        let period = try await find(req)
        let d = try detail(period, today: req.today)
        // The units whose self-assessment this account may open.
        let levels = Set(period.frameworks.map(\.level))
        var units = try await UnitModel.query(on: req.db).all().filter { levels.contains($0.level) }
        if let user = req.user {
            switch user.role {
            case .focalPoint, .unitLeader: units = units.filter { $0.id == user.$unit.id }
            case .viewer: units = []
            case .evaluator:
                let scope = AccountDirectory.list(user.scopeUnits)
                if !scope.isEmpty { units = units.filter { scope.contains($0.code) } }
            case .administrator, .councilMember: break
            }
        }
        let links = units.sorted { a, b in a.groupName != b.groupName ? a.groupName < b.groupName : VietnameseText.precedes(a.name, b.name) }
            .map { PeriodPage.UnitLink(code: $0.code, name: $0.name, group: $0.groupName) }
        return try await req.view.render("period", PeriodPage(layout: Layout(req, title: d.period.title), period: d.period,
                                                              phases: d.phases.map(PeriodPage.PhaseLine.init),
                                                              frameworks: d.frameworks, units: links))
    }

    @Sendable func list(req: Request) async throws -> [PeriodSummary] { try await Self.all(on: req.db, today: req.today) }

    @Sendable func show(req: Request) async throws -> PeriodDetail { try detail(try await find(req), today: req.today) }

    @Sendable func create(req: Request) async throws -> Response {
        switch try await PeriodService.create(try req.content.decode(PeriodInput.self), in: req.context) {
        case .success(let period):
            return try await detail(try await PeriodService.load(period.id!, on: req.db)!, today: req.today).encodeResponse(status: .created, for: req)
        case .failure(let problems): throw problems.abort
        }
    }

    @Sendable func newPage(req: Request) async throws -> Response { try await formPage(req, form: PeriodForm.blank) }

    func formPage(_ req: Request, form: PeriodForm, errors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        let versions = try await FrameworkVersion.query(on: req.db).sort(\.$year, .descending).all()
        let levels = Levels.all.map { level in
            PeriodFormPage.LevelChoice(level: level.value, label: level.label, field: "fw_" + level.value, options:
                [LevelOption(value: "", label: "— không đánh giá cấp này —", selected: form.framework(level.value).isEmpty)] +
                versions.filter { $0.level == level.value }.map {
                    let value = "\($0.key)@\($0.version)"
                    return LevelOption(value: value, label: "\($0.title) — phiên bản \($0.version)", selected: form.framework(level.value) == value)
                })
        }
        let phases = Phase.allCases.map {
            PeriodFormPage.PhaseField(phase: $0.rawValue, label: $0.label, from: form.dates[$0.rawValue]?.0 ?? "", to: form.dates[$0.rawValue]?.1 ?? "")
        }
        let page = PeriodFormPage(layout: Layout(req, title: "Tạo kỳ đánh giá"), year: form.year, title: form.title,
                                  phases: phases, levels: levels, errors: errors)
        let response = try await req.view.render("period-form", page).encodeResponse(for: req)
        response.status = status
        return response
    }

    @Sendable func createForm(req: Request) async throws -> Response {
        let form = try PeriodForm(req.content)
        switch try await PeriodService.create(form.input, in: req.context) {
        case .success(let period): return req.redirect(to: "/periods/\(period.id!)")
        case .failure(let problems): return try await formPage(req, form: form, errors: problems.messages, status: .unprocessableEntity)
        }
    }

    @Sendable func lockForm(req: Request) async throws -> Response {
        let period = try await find(req)
        try await PeriodService.lock(period, in: req.context)
        return req.redirect(to: "/periods/\(period.id!)")
    }

    struct ExceptionInput: Content { var phase: String; var until: String; var reason: String }
    struct ExceptionGranted: Content { var unit: String; var phase: String; var until: String; var reason: String; var grantedBy: String }

    /// A late unit may still act in a phase until a date; the reason is recorded.
    @Sendable func grantException(req: Request) async throws -> Response {
        let period = try await find(req)
        let code = req.parameters.get("code") ?? ""
        guard let unit = try await UnitModel.query(on: req.db).filter(\.$code == code).first() else {
            throw Abort(.notFound, reason: "Không có đơn vị mã \"\(code)\".")
        }
        let input = try req.content.decode(ExceptionInput.self)
        var problems: [String] = []
        let phase = Phase(rawValue: input.phase)
        if phase == nil { problems.append("Giai đoạn \"\(input.phase)\" không hợp lệ.") }
        if DateText.parseISO(input.until) == nil { problems.append("Ngày \"\(input.until)\" không hợp lệ; dùng yyyy-mm-dd.") }
        let reason = input.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.isEmpty || reason.count > 2000 { problems.append("Cần ghi lý do gia hạn (tối đa 2000 ký tự).") }
        if period.locked { throw Abort(.conflict, reason: "Kỳ đánh giá đã khóa.") }
        guard problems.isEmpty, let phase else { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        let user = req.user!
        try await req.db.retryingTransaction { tx in
            try await PhaseException(periodID: period.id!, unitID: unit.id!, phase: phase, until: input.until, reason: reason, grantedBy: user.username).create(on: tx)
            try await AuditLog.record(req, actor: user, action: "deadline_exception", target: unit.code, detail: "\(phase.rawValue) đến \(input.until): \(reason)", on: tx)
        }
        return try await ExceptionGranted(unit: unit.code, phase: phase.rawValue, until: input.until, reason: reason, grantedBy: user.username).encodeResponse(status: .created, for: req)
    }

    @Sendable func lock(req: Request) async throws -> PeriodSummary {
        let period = try await find(req)
        try await PeriodService.lock(period, in: req.context)
        return Self.summary(period, phases: period.phases, today: req.today)
    }
}

struct PeriodsPage: Encodable {
    var layout: Layout
    var periods: [PeriodSummary]
}
