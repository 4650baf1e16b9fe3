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
        admin.get("admin", "periods", ":id", "edit", use: editPage)
        admin.post("admin", "periods", ":id", use: updateForm)
        admin.post("admin", "periods", ":id", "lock", use: lockForm)
        admin.post("admin", "periods", ":id", "exceptions", use: exceptionForm)
        admin.post("api", "v1", "periods", use: create)
        admin.patch("api", "v1", "periods", ":id", use: update)
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
        let period = try await PeriodService.find(req)
        let d = try detail(period, today: req.today)
        // The units whose self-assessment this account may open.
        var units = try await Participation.units(period, on: req.db).map(\.unit)
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
        let links = units.map { PeriodPage.UnitLink(code: $0.code, name: $0.name, group: $0.groupName) }
        let message = req.takeFlash("period-flash")
        return try await req.view.render("period", PeriodPage(layout: Layout(req, title: d.period.title), period: d.period,
                                                              phases: d.phases.map(PeriodPage.PhaseLine.init),
                                                              frameworks: d.frameworks, units: links,
                                                              editable: !period.locked && !period.resultsOnly, message: message,
                                                              phaseOptions: Phase.allCases.map { LevelOption(value: $0.rawValue, label: $0.label, selected: false) }))
    }

    @Sendable func list(req: Request) async throws -> [PeriodSummary] { try await Self.all(on: req.db, today: req.today) }

    @Sendable func show(req: Request) async throws -> PeriodDetail { try detail(try await PeriodService.find(req), today: req.today) }

    @Sendable func create(req: Request) async throws -> Response {
        switch try await PeriodService.create(try req.content.decode(PeriodInput.self), in: req.context) {
        case .success(let period):
            return try await detail(try await PeriodService.load(period.id!, on: req.db, cache: req.application.periodCache)!, today: req.today).encodeResponse(status: .created, for: req)
        case .failure(let problems): throw problems.abort
        }
    }

    /// The blank form, or (`?from=ID`) last year's period copied: its
    /// units, the newest versions of its frameworks, its dates a year on.
    @Sendable func newPage(req: Request) async throws -> Response {
        guard let from = req.query[UUID.self, at: "from"], let source = try await PeriodService.load(from, on: req.db, cache: req.application.periodCache) else {
            // ?year=: the units of that year (the form asks again when the year typed changes).
            var form = PeriodForm.blank
            if let year = req.query[Int.self, at: "year"], (2000...2100).contains(year) { form.year = String(year) }
            return try await formPage(req, form: form)
        }
        var frameworks: [String: String] = [:]
        for link in source.frameworks {
            let newest = try await FrameworkVersion.query(on: req.db).filter(\.$key == link.frameworkVersion.key).sort(\.$version, .descending).first()
            let v = newest ?? link.frameworkVersion
            frameworks[link.level] = "\(v.key)@\(v.version)"
        }
        var dates: [String: (String, String)] = [:]
        for p in source.phases { dates[p.phase] = (DateText.yearLater(p.startsOn), DateText.yearLater(p.endsOn)) }
        let year = source.year + 1
        let title = source.title.replacingOccurrences(of: String(source.year), with: String(year))
        let units = Set(try await Participation.units(source, on: req.db).map(\.unit).filter { $0.exists(in: year) }.map(\.code))
        return try await formPage(req, form: PeriodForm(year: String(year), title: title, dates: dates, frameworks: frameworks, units: units),
                                  notice: "Đã sao chép từ \"\(source.title)\": kiểm tra lại ngày, bộ chỉ số và đơn vị rồi bấm Tạo kỳ đánh giá.")
    }

    /// The period form, to create (`period` nil) or to change a period.
    func formPage(_ req: Request, form: PeriodForm, period: Period? = nil, errors: [String] = [], notice: String? = nil,
                  status: HTTPStatus = .ok) async throws -> Response {
        let versions = try await FrameworkVersion.query(on: req.db).sort(\.$year, .descending).all()
        let levels = Levels.all.map { level in
            let fixed = period.flatMap { p in p.frameworks.first { $0.level == level.value } }.map { "\($0.frameworkVersion.title) — phiên bản \($0.frameworkVersion.version)" }
            return PeriodFormPage.LevelChoice(level: level.value, label: level.label, field: "fw_" + level.value, options:
                [LevelOption(value: "", label: "— không đánh giá cấp này —", selected: form.framework(level.value).isEmpty)] +
                versions.filter { $0.level == level.value }.map {
                    let value = "\($0.key)@\($0.version)"
                    return LevelOption(value: value, label: "\($0.title) — phiên bản \($0.version)", selected: form.framework(level.value) == value)
                }, fixed: period == nil ? nil : (fixed ?? "không đánh giá cấp này"))
        }
        let phases = Phase.allCases.map {
            PeriodFormPage.PhaseField(phase: $0.rawValue, label: $0.label, from: form.dates[$0.rawValue]?.0 ?? "", to: form.dates[$0.rawValue]?.1 ?? "")
        }
        let year = Int(form.year) ?? Calendar.current.component(.year, from: req.context.now)
        let unitLevels = period.map { Set($0.frameworks.map(\.level)) } ?? Set(Levels.all.map(\.value))
        let eligible = try await Participation.eligible(year: year, levels: unitLevels, on: req.db)
        let groups = Levels.all.compactMap { level -> PeriodFormPage.UnitGroup? in
            let units = eligible.filter { $0.level == level.value }
            guard !units.isEmpty else { return nil }
            return PeriodFormPage.UnitGroup(id: "units-" + level.value, label: level.label, units: units.map {
                PeriodFormPage.UnitChoice(code: $0.code, name: $0.name + ($0.lasts(through: year) ? "" : " (hết hiệu lực từ \($0.validUntil.map(DateText.display) ?? ""))"),
                                          checked: form.units?.contains($0.code) ?? $0.lasts(through: year), locked: false)
            })
        }
        let editing = period != nil
        let page = PeriodFormPage(layout: Layout(req, title: editing ? "Sửa kỳ đánh giá" : "Tạo kỳ đánh giá"),
                                  heading: editing ? "Sửa kỳ đánh giá \(period!.title)" : "Tạo kỳ đánh giá",
                                  action: period.map { "/admin/periods/\($0.id!)" } ?? "/admin/periods",
                                  button: editing ? "Lưu thay đổi" : "Tạo kỳ đánh giá", editing: editing,
                                  year: form.year, title: form.title, phases: phases, levels: levels, unitGroups: groups,
                                  unitsLocked: period.map { !PeriodService.unitsChangeable($0, today: req.today) } ?? false,
                                  reason: form.reason, errors: errors, notice: notice)
        return try await req.view.render("period-form", page).encodeResponse(status: status, for: req)
    }

    func levelOf(_ req: Request) async throws -> [String: String] {
        Dictionary(try await UnitModel.query(on: req.db).all().map { ($0.code, $0.level) }, uniquingKeysWith: { a, _ in a })
    }

    @Sendable func createForm(req: Request) async throws -> Response {
        let form = try PeriodForm(req.content)
        switch try await PeriodService.create(form.input(levelOf: try await levelOf(req)), in: req.context) {
        case .success(let period):
            req.session.data["period-flash"] = "Đã tạo kỳ đánh giá \"\(period.title)\"."
            return req.redirect(to: "/periods/\(period.id!)")
        case .failure(let problems): return try await formPage(req, form: form, errors: problems.messages, status: .unprocessableEntity)
        }
    }

    @Sendable func editPage(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        if period.locked || period.resultsOnly { throw Abort(.conflict, reason: "Kỳ đánh giá đã khóa; không thể thay đổi.") }
        var dates: [String: (String, String)] = [:]
        for p in period.phases { dates[p.phase] = (p.startsOn, p.endsOn) }
        let units = Set(try await Participation.units(period, on: req.db).map(\.unit.code))
        return try await formPage(req, form: PeriodForm(year: String(period.year), title: period.title, dates: dates, frameworks: [:], units: units), period: period)
    }

    @Sendable func updateForm(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let form = try PeriodForm(req.content)
        let change = PeriodUpdate(title: form.title, phases: form.phaseInputs,
                                  units: PeriodService.unitsChangeable(period, today: req.today) ? form.units.map { $0.sorted() } : nil, reason: form.reason)
        switch try await PeriodService.update(period, with: change, in: req.context) {
        case .success:
            req.session.data["period-flash"] = "Đã lưu thay đổi của kỳ đánh giá."
            return req.redirect(to: "/periods/\(period.id!)")
        case .failure(let problems):
            var shown = form
            shown.year = String(period.year)
            return try await formPage(req, form: shown, period: period, errors: problems.messages, status: .unprocessableEntity)
        }
    }

    @Sendable func update(req: Request) async throws -> PeriodDetail {
        let period = try await PeriodService.find(req)
        switch try await PeriodService.update(period, with: try req.content.decode(PeriodUpdate.self), in: req.context) {
        case .success(let updated): return try detail(updated, today: req.today)
        case .failure(let problems): throw problems.abort
        }
    }

    @Sendable func lockForm(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        try await PeriodService.lock(period, in: req.context)
        return req.redirect(to: "/periods/\(period.id!)")
    }

    struct ExceptionInput: Content { var phase: String; var until: String; var reason: String }
    struct ExceptionGranted: Content { var unit: String; var phase: String; var until: String; var reason: String; var grantedBy: String }

    /// A late unit may still act in a phase until a date; the reason is recorded.
    @Sendable func grantException(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let granted = try await exception(req, period: period, code: req.parameters.get("code") ?? "", input: try req.content.decode(ExceptionInput.self))
        return try await granted.encodeResponse(status: .created, for: req)
    }

    /// The period page's "reopen a phase for one unit" form.
    @Sendable func exceptionForm(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let code = (try? req.content.get(String.self, at: "unit")) ?? ""
        let input = ExceptionInput(phase: (try? req.content.get(String.self, at: "phase")) ?? "", until: (try? req.content.get(String.self, at: "until")) ?? "",
                                   reason: (try? req.content.get(String.self, at: "reason")) ?? "")
        do {
            let granted = try await exception(req, period: period, code: code, input: input)
            req.session.data["period-flash"] = "Đã mở lại giai đoạn \"\(Phase(rawValue: granted.phase)?.label ?? granted.phase)\" cho đơn vị \(granted.unit) đến hết ngày \(DateText.display(granted.until))."
        } catch let error as AbortError {
            req.session.data["period-flash"] = "Chưa mở lại được: \(error.reason)"
        }
        return req.redirect(to: "/periods/\(period.id!)#reopen")
    }

    func exception(_ req: Request, period: Period, code: String, input: ExceptionInput) async throws -> ExceptionGranted {
        guard let unit = try await UnitModel.query(on: req.db).filter(\.$code == code).first(),
              try await Participation.includes(period, unit: unit, on: req.db) else {
            throw Abort(.notFound, reason: "Đơn vị mã \"\(code.excerpt())\" không tham gia kỳ đánh giá này.")
        }
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
        return ExceptionGranted(unit: unit.code, phase: phase.rawValue, until: input.until, reason: reason, grantedBy: user.username)
    }

    @Sendable func lock(req: Request) async throws -> PeriodSummary {
        let period = try await PeriodService.find(req)
        try await PeriodService.lock(period, in: req.context)
        return Self.summary(period, phases: period.phases, today: req.today)
    }
}

struct PeriodsPage: Encodable {
    var layout: Layout
    var periods: [PeriodSummary]
}
