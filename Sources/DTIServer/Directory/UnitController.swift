import DTICore
import Fluent
import Vapor

/// Units: public list and search; creation, CSV import and lineage for
/// administrators.
struct UnitController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Public: the list of assessed units is public information.
        routes.get("units", use: listPage).kept(.listing)
        routes.get("api", "v1", "units", use: list)
        routes.get("api", "v1", "units", ":code", use: show)
        routes.get("units", ":code", use: showPage)
        // Public open data: the reorganisations' lineage and a unit's published results over the years (LineageData).
        routes.get("api", "v1", "units", ":code", "lineage", use: unitLineage)
        routes.get("api", "v1", "units", ":code", "history", use: unitHistory)
        routes.get("api", "v1", "lineage", use: lineage)
        // Signed in; the handler allows the administrator and the unit's own accounts.
        routes.grouped(RoleGuard.signedIn).get("api", "v1", "units", ":code", "accounts", use: accounts)
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.get("admin", "units", "new", use: newPage)
        admin.post("admin", "units", use: createForm)
        admin.post("admin", "units", "import", use: importForm)
        admin.post("api", "v1", "units", use: create)
        admin.on(.POST, "api", "v1", "units", "import", body: .collect(maxSize: "2mb"), use: importCSV)
        admin.post("api", "v1", "units", "lineage", use: addLineage)
        admin.post("admin", "lineage", use: lineageForm)
    }

    @Sendable func listPage(req: Request) async throws -> View {
        let query = (try? req.query.get(String.self, at: "q")) ?? ""
        let units = try await UnitDirectory.search(query, on: req.db)
        return try await req.view.render("units", UnitsPage(layout: Layout(req, title: "Đơn vị"), query: query, units: units, count: units.count))
    }

    @Sendable func list(req: Request) async throws -> [UnitRow] {
        try await UnitDirectory.search((try? req.query.get(String.self, at: "q")) ?? "", on: req.db)
    }

    @Sendable func show(req: Request) async throws -> UnitRow {
        let code = req.parameters.get("code") ?? ""
        guard let unit = try await UnitModel.query(on: req.db).filter(\.$code == code).with(\.$parent).first() else {
            throw Abort(.notFound, reason: "Không có đơn vị mã \"\(code)\".")
        }
        return UnitDirectory.row(unit, parentCode: unit.parent?.code)
    }

    func formPage(_ req: Request, form: UnitInput, errors: [String], importErrors: [String] = [], importText: String = "") async throws -> View {
        let levels = Levels.all.map { LevelOption(value: $0.value, label: $0.label, selected: $0.value == form.level) }
        return try await req.view.render("unit-form", UnitFormPage(layout: Layout(req, title: "Thêm đơn vị"), form: form, errors: errors,
                                                                  levels: levels, importErrors: importErrors, importText: importText))
    }

    @Sendable func newPage(req: Request) async throws -> View {
        try await formPage(req, form: .empty, errors: [])
    }

    @Sendable func createForm(req: Request) async throws -> Response {
        let form = try req.content.decode(UnitInput.self)
        let (created, problems) = try await UnitDirectory.create([form], on: req.db, audit: Self.auditCreated(req))
        if !problems.isEmpty {
            let response = try await formPage(req, form: form, errors: problems).encodeResponse(for: req)
            response.status = .unprocessableEntity
            return response
        }
        return req.redirect(to: "/units?q=\(created[0].code)")
    }

    struct ImportForm: Content { var csv: String }

    /// Audit entries written in the units' own transaction.
    static func auditCreated(_ req: Request) -> @Sendable ([UnitModel], any Database) async throws -> Void {
        let ctx = req.context
        return { created, tx in try await AuditLog.record(ctx, actor: ctx.actor, action: "unit_created", target: created[0].code, detail: created[0].name, on: tx) }
    }

    static func auditImported(_ req: Request) -> @Sendable ([UnitModel], any Database) async throws -> Void {
        let ctx = req.context
        return { created, tx in try await AuditLog.record(ctx, actor: ctx.actor, action: "units_imported", target: "\(created.count) đơn vị", on: tx) }
    }

    @Sendable func importForm(req: Request) async throws -> Response {
        let form = try req.content.decode(ImportForm.self)
        let (inputs, lines, parseProblems) = UnitDirectory.parseCSV(form.csv)
        var problems = parseProblems
        if problems.isEmpty { problems = try await UnitDirectory.create(inputs, lines: lines, on: req.db, audit: Self.auditImported(req)).problems }
        if !problems.isEmpty {
            let response = try await formPage(req, form: .empty, errors: [], importErrors: problems, importText: form.csv).encodeResponse(for: req)
            response.status = .unprocessableEntity
            return response
        }
        return req.redirect(to: "/units")
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(UnitInput.self)
        let (created, problems) = try await UnitDirectory.create([input], on: req.db, audit: Self.auditCreated(req))
        if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        return try await UnitDirectory.row(created[0], parentCode: input.parentCode).encodeResponse(status: .created, for: req)
    }

    struct ImportResult: Content { var created: Int }

    @Sendable func importCSV(req: Request) async throws -> ImportResult {
        guard let body = req.body.string, !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Abort(.unprocessableEntity, reason: "Thiếu nội dung CSV: cần dòng tiêu đề code, name, level, group và ít nhất một đơn vị.")
        }
        let (inputs, lines, parseProblems) = UnitDirectory.parseCSV(body)
        if !parseProblems.isEmpty { throw Abort(.unprocessableEntity, reason: parseProblems.joined(separator: "\n")) }
        let (created, problems) = try await UnitDirectory.create(inputs, lines: lines, on: req.db, audit: Self.auditImported(req))
        if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        return ImportResult(created: created.count)
    }

    // MARK: Open data (JSON, or CSV with ?format=csv)

    /// `json` (the default) or `csv`; anything else refused.
    static func wantsCSV(_ req: Request) throws -> Bool {
        switch (try? req.query.get(String.self, at: "format")) ?? "json" {
        case "json": return false
        case "csv": return true
        case let other: throw DomainError.invalid("Định dạng \"\(other)\" không hỗ trợ; dùng format=json hoặc format=csv.")
        }
    }

    static func csvResponse(_ text: String, name: String) -> Response {
        let safe = name.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        return .attachment(Data(text.utf8), type: HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"]),
                           name: (safe.isEmpty ? "data" : safe) + ".csv")
    }

    @Sendable func unitLineage(req: Request) async throws -> Response {
        let csv = try Self.wantsCSV(req)
        let data = try await LineageData.ofUnit(req.parameters.get("code") ?? "", on: req.db)
        if csv { return Self.csvResponse(LineageData.csv(data.predecessors + data.successors), name: "lineage-" + data.unit.code) }
        return try await data.encodeResponse(for: req)
    }

    @Sendable func unitHistory(req: Request) async throws -> Response {
        let csv = try Self.wantsCSV(req)
        let data = try await LineageData.history(req.parameters.get("code") ?? "", on: req.db)
        if csv { return Self.csvResponse(LineageData.csv(data), name: "history-" + data.unit.code) }
        return try await data.encodeResponse(for: req)
    }

    @Sendable func lineage(req: Request) async throws -> Response {
        let csv = try Self.wantsCSV(req)
        let province = (try? req.query.get(String.self, at: "province")).flatMap { $0.isEmpty ? nil : $0 }
        let data = try await LineageData.mapping(province: province, on: req.db)
        if csv { return Self.csvResponse(LineageData.csv(data.links), name: "lineage-" + (data.province?.code ?? "all")) }
        return try await data.encodeResponse(for: req)
    }

    struct LineageResult: Content { var links: Int }

    @Sendable func addLineage(req: Request) async throws -> Response {
        switch try await UnitLineageService.record(try req.content.decode(LineageInput.self), in: req.context) {
        case .success(let links):
            return try await LineageResult(links: links).encodeResponse(status: .created, for: req)
        case .failure(let problems): throw problems.abort
        }
    }

    struct LineageForm: Content {
        var kind: String
        var predecessors: String
        var successors: String
        var effectiveOn: String
        var note: String?
    }

    @Sendable func lineageForm(req: Request) async throws -> Response {
        let form = try req.content.decode(LineageForm.self)
        let input = LineageInput(kind: form.kind, predecessors: AccountDirectory.list(form.predecessors),
                                 successors: AccountDirectory.list(form.successors), effectiveOn: form.effectiveOn,
                                 note: form.note.flatMap { $0.isEmpty ? nil : $0 })
        let back = input.predecessors.first ?? ""
        switch try await UnitLineageService.record(input, in: req.context) {
        case .success: return req.redirect(to: "/units/\(back.urlPathEncoded)")
        case .failure(let problems):
            guard let unit = try await UnitModel.query(on: req.db).filter(\.$code == back).first() else { throw problems.abort }
            return try await unitPage(req, unit, errors: problems.messages, status: .unprocessableEntity)
        }
    }

    struct UnitPage: Encodable {
        var layout: Layout
        var unit: UnitRow
        var children: [UnitRow]
        var lineage: [String]
        /// Published results of the unit and, before a reorganisation, of its predecessors.
        var history: HistoryView
        var errors: [String]
    }

    func unitPage(_ req: Request, _ unit: UnitModel, errors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        try await unit.$parent.load(on: req.db)
        let children = try await UnitModel.query(on: req.db).filter(\.$parent.$id == unit.id!).all()
            .sorted { VietnameseText.precedes($0.name, $1.name) }.map { UnitDirectory.row($0, parentCode: unit.code) }
        let page = UnitPage(layout: Layout(req, title: unit.name), unit: UnitDirectory.row(unit, parentCode: unit.parent?.code),
                            children: children, lineage: try await UnitLineageService.describe(unit, on: req.db),
                            history: HistoryView(try await Scorecard.history(code: unit.code, on: req.db)), errors: errors)
        return try await req.view.render("unit", page).encodeResponse(status: status, for: req)
    }

    func findUnit(_ req: Request) async throws -> UnitModel {
        let code = req.parameters.get("code") ?? ""
        guard let unit = try await UnitModel.query(on: req.db).filter(\.$code == code).first() else {
            throw Abort(.notFound, reason: "Không có đơn vị mã \"\(code)\".")
        }
        return unit
    }

    @Sendable func showPage(req: Request) async throws -> Response { try await unitPage(req, try await findUnit(req)) }

    /// A unit's accounts: the administrator, and the unit's own leader and
    /// focal point. Anyone else, including other units' accounts, is refused.
    @Sendable func accounts(req: Request) async throws -> [UserRow] {
        let unit = try await findUnit(req)
        guard let user = req.user else { throw Abort(.unauthorized, reason: "Cần đăng nhập.") }
        let ownUnit = user.role.isUnitRole && user.$unit.id == unit.id
        guard user.role == .administrator || ownUnit else {
            throw Abort(.forbidden, reason: "Tài khoản \(user.username) (\(user.role.label)) không có quyền xem tài khoản của đơn vị khác.")
        }
        return try await UserAccount.query(on: req.db).filter(\.$unit.$id == unit.id!).with(\.$unit).sort(\.$username).all().map(AccountDirectory.row)
    }
}
