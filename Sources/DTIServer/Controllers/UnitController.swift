import DTICore
import Fluent
import Vapor

/// Units: public list and search; creation, CSV import and lineage for
/// administrators.
struct UnitController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Public: the list of assessed units is public information.
        routes.get("units", use: listPage)
        routes.get("api", "v1", "units", use: list)
        routes.get("api", "v1", "units", ":code", use: show)
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.get("admin", "units", "new", use: newPage)
        admin.post("admin", "units", use: createForm)
        admin.post("admin", "units", "import", use: importForm)
        admin.post("api", "v1", "units", use: create)
        admin.on(.POST, "api", "v1", "units", "import", body: .collect(maxSize: "2mb"), use: importCSV)
        admin.post("api", "v1", "units", "lineage", use: addLineage)
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
        let (created, problems) = try await UnitDirectory.create([form], on: req.db)
        if !problems.isEmpty {
            let response = try await formPage(req, form: form, errors: problems).encodeResponse(for: req)
            response.status = .unprocessableEntity
            return response
        }
        try await AuditLog.record(req, actor: req.user, action: "unit_created", target: created[0].code, detail: created[0].name)
        return req.redirect(to: "/units?q=\(created[0].code)")
    }

    struct ImportForm: Content { var csv: String }

    @Sendable func importForm(req: Request) async throws -> Response {
        let form = try req.content.decode(ImportForm.self)
        let (inputs, lines, parseProblems) = UnitDirectory.parseCSV(form.csv)
        var problems = parseProblems
        var created: [UnitModel] = []
        if problems.isEmpty { (created, problems) = try await UnitDirectory.create(inputs, lines: lines, on: req.db) }
        if !problems.isEmpty {
            let response = try await formPage(req, form: .empty, errors: [], importErrors: problems, importText: form.csv).encodeResponse(for: req)
            response.status = .unprocessableEntity
            return response
        }
        try await AuditLog.record(req, actor: req.user, action: "units_imported", target: "\(created.count) đơn vị")
        return req.redirect(to: "/units")
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(UnitInput.self)
        let (created, problems) = try await UnitDirectory.create([input], on: req.db)
        if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        try await AuditLog.record(req, actor: req.user, action: "unit_created", target: created[0].code, detail: created[0].name)
        let response = try await UnitDirectory.row(created[0], parentCode: input.parentCode).encodeResponse(for: req)
        response.status = .created
        return response
    }

    struct ImportResult: Content { var created: Int }

    @Sendable func importCSV(req: Request) async throws -> ImportResult {
        guard let body = req.body.string else { throw Abort(.badRequest, reason: "Thiếu nội dung CSV.") }
        let (inputs, lines, parseProblems) = UnitDirectory.parseCSV(body)
        if !parseProblems.isEmpty { throw Abort(.unprocessableEntity, reason: parseProblems.joined(separator: "\n")) }
        let (created, problems) = try await UnitDirectory.create(inputs, lines: lines, on: req.db)
        if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        try await AuditLog.record(req, actor: req.user, action: "units_imported", target: "\(created.count) đơn vị")
        return ImportResult(created: created.count)
    }

    struct LineageInput: Content {
        var kind: String
        var predecessors: [String]
        var successors: [String]
        var effectiveOn: String
        var note: String?
    }

    struct LineageResult: Content { var links: Int }

    /// Records a merge (many → one), split (one → many) or rename (one → one).
    @Sendable func addLineage(req: Request) async throws -> Response {
        let input = try req.content.decode(LineageInput.self)
        var problems: [String] = []
        guard let kind = UnitLineage.Kind(rawValue: input.kind) else {
            throw Abort(.unprocessableEntity, reason: "Loại \"\(input.kind)\" không hợp lệ; dùng merge, split hoặc rename.")
        }
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
        let codes = Set(input.predecessors + input.successors)
        let units = try await UnitModel.query(on: req.db).filter(\.$code ~~ Array(codes)).all()
        let byCode = Dictionary(uniqueKeysWithValues: units.map { ($0.code, $0) })
        for code in codes.sorted() where byCode[code] == nil { problems.append("Không có đơn vị mã \"\(code)\".") }
        if !Set(input.predecessors).isDisjoint(with: input.successors) { problems.append("Một đơn vị không thể vừa là đơn vị cũ vừa là đơn vị mới.") }
        if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        let links = input.predecessors.count * input.successors.count
        try await req.db.transaction { tx in
            for p in input.predecessors {
                for s in input.successors {
                    try await UnitLineage(predecessorID: byCode[p]!.id!, successorID: byCode[s]!.id!, kind: kind,
                                          effectiveOn: input.effectiveOn, note: input.note).create(on: tx)
                }
            }
            if kind != .split {
                for p in input.predecessors { byCode[p]!.validUntil = input.effectiveOn; try await byCode[p]!.save(on: tx) }
            }
            try await AuditLog.record(req, actor: req.user, action: "unit_lineage", target: input.successors.joined(separator: ","),
                                      detail: "\(kind.rawValue) từ \(input.predecessors.joined(separator: ",")) ngày \(input.effectiveOn)", on: tx)
        }
        let response = try await LineageResult(links: links).encodeResponse(for: req)
        response.status = .created
        return response
    }
}
