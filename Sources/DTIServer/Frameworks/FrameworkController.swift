import DTICore
import DTIFormats
import Fluent
import Vapor

/// Frameworks: the public methodology (every version, its tree with each
/// criterion's rule, evidence and maximum) and import for administrators.
struct FrameworkController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Public: the methodology is public so units can recompute their scores.
        routes.get("frameworks", use: listPage).kept(.listing)
        routes.get("frameworks", ":key", ":version", use: showPage)
        routes.get("api", "v1", "frameworks", use: list)
        routes.get("api", "v1", "frameworks", ":key", ":version", use: show)
        // Administrator.
        routes.get("frameworks", ":key", ":version", "framework.xlsx", use: workbook)
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.on(.POST, "admin", "frameworks", "file", body: .collect(maxSize: "4mb"), use: fileForm)
        admin.get("admin", "frameworks", "new", use: importPage)
        admin.on(.POST, "admin", "frameworks", body: .collect(maxSize: "2mb"), use: importForm)
        admin.on(.POST, "api", "v1", "frameworks", body: .collect(maxSize: "1mb"), use: importFramework)
    }

    func versions(_ req: Request) async throws -> [FrameworkSummary] {
        try await FrameworkVersion.query(on: req.db).sort(\.$year, .descending).sort(\.$key).sort(\.$version, .descending).all()
            .map(FrameworkCatalog.summary)
    }

    func find(_ req: Request) async throws -> FrameworkVersion {
        let key = req.parameters.get("key") ?? ""
        guard let version = req.parameters.get("version", as: Int.self) else {
            throw Abort(.notFound, reason: "Phiên bản bộ chỉ số phải là số nguyên.")
        }
        guard let found = try await FrameworkVersion.query(on: req.db).filter(\.$key == key).filter(\.$version == version).first() else {
            throw Abort(.notFound, reason: "Không có bộ chỉ số \"\(key)\" phiên bản \(version).")
        }
        return found
    }

    @Sendable func listPage(req: Request) async throws -> View {
        try await req.view.render("frameworks", FrameworksPage(layout: Layout(req, title: "Bộ chỉ số"), frameworks: try await versions(req)))
    }

    @Sendable func list(req: Request) async throws -> [FrameworkSummary] { try await versions(req) }

    func detail(_ version: FrameworkVersion) throws -> FrameworkDetail {
        let framework = try FrameworkCatalog.framework(version)
        return FrameworkDetail(
            framework: try FrameworkCatalog.summary(version),
            source: framework.source, provenance: framework.provenance, methodLabel: framework.method.label,
            bands: framework.bands.map { "\($0.name): từ \(FrameworkCatalog.text($0.minPercent))%" },
            nodes: FrameworkCatalog.nodes(framework))
    }

    @Sendable func showPage(req: Request) async throws -> View {
        let version = try await find(req)
        return try await req.view.render("framework", FrameworkPage(layout: Layout(req, title: version.title), detail: try detail(version)))
    }

    @Sendable func show(req: Request) async throws -> FrameworkDetail { try detail(try await find(req)) }

    struct ImportPage: Encodable {
        var layout: Layout
        var yaml: String
        var errors: [String]
    }

    struct ImportForm: Content { var yaml: String }

    func importPage(_ req: Request, yaml: String, errors: [String], status: HTTPStatus) async throws -> Response {
        return try await req.view.render("framework-import", ImportPage(layout: Layout(req, title: "Nhập bộ chỉ số"), yaml: yaml, errors: errors))
            .encodeResponse(status: status, for: req)
    }

    @Sendable func importPage(req: Request) async throws -> Response { try await importPage(req, yaml: "", errors: [], status: .ok) }

    @Sendable func importForm(req: Request) async throws -> Response {
        let form = try req.content.decode(ImportForm.self)
        do {
            let version: FrameworkVersion
            switch try await Self.importAudited(req, form.yaml, file: "nội dung đã dán") {
            case .imported(let v):
                version = v
            case .alreadyPresent(let v): version = v
            }
            return req.redirect(to: "/frameworks/\(version.key)/\(version.version)")
        } catch let abort as Abort where abort.status == .unprocessableEntity || abort.status == .conflict {
            return try await importPage(req, yaml: form.yaml, errors: abort.reason.split(separator: "\n").map(String.init), status: abort.status)
        }
    }

    // MARK: Frameworks by file

    /// Any version as an Excel workbook to edit and upload back as the next version.
    @Sendable func workbook(req: Request) async throws -> Response {
        let version = try await find(req)
        return .attachment(FrameworkWorkbook.data(try FrameworkCatalog.framework(version)), type: AssessmentWorkbook.contentType,
                           name: "\(version.key)-v\(version.version).xlsx")
    }

    struct PreviewPage: Encodable {
        struct Change: Encodable { var code: String; var what: String; var before: String; var after: String }
        var layout: Layout
        var file: String
        var title: String
        var key: String
        var version: Int
        var levelLabel: String
        var maxPoints: String
        var nodes: [FrameworkNodeRow]
        var previous: String?
        var added: [FrameworkNodeRow]
        var removed: [FrameworkNodeRow]
        var changes: [Change]
        var yaml: String
        var notice: String?
    }

    struct FileForm: Content { var file: File }

    /// An uploaded framework file — the YAML, or the Excel workbook — checked
    /// all or nothing and shown before it is saved: the tree, and what changed
    /// against the newest stored version of the same framework. A workbook
    /// becomes the next version number by itself.
    @Sendable func fileForm(req: Request) async throws -> Response {
        guard let form = try? req.content.decode(FileForm.self), form.file.data.readableBytes > 0 else {
            return try await importPage(req, yaml: "", errors: ["Chưa chọn tệp bộ chỉ số (.yaml hoặc .xlsx)."], status: .unprocessableEntity)
        }
        let name = form.file.filename
        let data = Data(form.file.data.readableBytesView)
        var yaml: String
        var framework: Framework
        var notice: String?
        if data.starts(with: [0x50, 0x4B]) || name.lowercased().hasSuffix(".xlsx") {
            // Read on the spreadsheet thread, within the limits the file's size allows (SpreadsheetWork).
            let work = req.application.spreadsheetWork
            do {
                (yaml, framework) = try await work.read(data) { data, limits in try FrameworkWorkbook.read(data, limits: limits) }
                let newest = try await FrameworkVersion.query(on: req.db).filter(\.$key == framework.id).sort(\.$version, .descending).first()
                if let newest, newest.version >= framework.version {
                    guard newest.version < FrameworkLoader.maxVersion else {
                        return try await importPage(req, yaml: "", errors: ["Tệp \(name.excerpt()) chưa nhập được: bộ chỉ số \(framework.id.excerpt()) đã có phiên bản \(newest.version), số phiên bản lớn nhất."],
                                                    status: .unprocessableEntity)
                    }
                    let next = newest.version + 1
                    (yaml, framework) = try await work.read(data) { data, limits in try FrameworkWorkbook.read(data, version: next, limits: limits) }
                    notice = "Tệp ghi phiên bản đã có; bản này sẽ được lưu là phiên bản \(next)."
                }
            } catch let problems as FrameworkWorkbook.Problems {
                // Each problem a line, at most 100 of them: a broken file gets an answer of a page.
                let lines = AssessmentWorkbook.shortList(problems.problems.map { $0.description.excerpt(limit: 300) })
                return try await importPage(req, yaml: "", errors: ["Tệp \(name.excerpt()) chưa nhập được; không có gì được lưu:"] + lines,
                                            status: .unprocessableEntity)
            }
        } else {
            guard let text = String(data: data, encoding: .utf8) else {
                return try await importPage(req, yaml: "", errors: ["Tệp \(name) không phải văn bản UTF-8 (YAML) hay tệp Excel (.xlsx)."], status: .unprocessableEntity)
            }
            yaml = text
            do { framework = try FrameworkLoader.parse(text, file: name) } catch {
                return try await importPage(req, yaml: text, errors: ["Tệp \(name) chưa nhập được; không có gì được lưu:"] + error.problems.map(\.description),
                                            status: .unprocessableEntity)
            }
            if try await FrameworkVersion.query(on: req.db).filter(\.$key == framework.id).filter(\.$version == framework.version).first() != nil {
                notice = "Phiên bản \(framework.version) của bộ chỉ số này đã có: chỉ lưu được nếu nội dung giống hệt; nếu sửa, hãy tăng \"version\" trong tệp."
            }
        }
        // A criterion filled from a feed the server does not know could never be answered: refused before the preview.
        let unknown = FeedLoader.check(framework, feeds: req.application.feeds.feeds, file: name.excerpt())
        guard unknown.isEmpty else {
            return try await importPage(req, yaml: "", errors: ["Tệp \(name.excerpt()) chưa nhập được; không có gì được lưu:"] + unknown.map(\.description),
                                        status: .unprocessableEntity)
        }
        let previous = try await FrameworkVersion.query(on: req.db).filter(\.$key == framework.id).filter(\.$version < framework.version)
            .sort(\.$version, .descending).first()
        let nodes = FrameworkCatalog.nodes(framework)
        var added: [FrameworkNodeRow] = [], removed: [FrameworkNodeRow] = [], changes: [PreviewPage.Change] = []
        if let previous {
            let earlier = FrameworkCatalog.nodes(try FrameworkCatalog.framework(previous))
            let before = Dictionary(earlier.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(nodes.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            added = nodes.filter { before[$0.code] == nil }
            removed = earlier.filter { after[$0.code] == nil }
            for node in nodes {
                guard let old = before[node.code] else { continue }
                for (what, a, b) in [("Tên", old.name, node.name), ("Điểm tối đa", old.max, node.max), ("Cách tính điểm", old.rule ?? "", node.rule ?? ""),
                                     ("Áp dụng", old.applicability ?? "", node.applicability ?? ""), ("Tài liệu kiểm chứng", old.evidence ?? "", node.evidence ?? "")]
                where a != b {
                    changes.append(.init(code: node.code, what: what, before: a, after: b))
                }
            }
        }
        let page = PreviewPage(layout: Layout(req, title: "Xem trước bộ chỉ số"), file: name, title: framework.title, key: framework.id,
                               version: framework.version, levelLabel: Levels.label(framework.level), maxPoints: FrameworkCatalog.text(framework.maxPoints),
                               nodes: nodes, previous: previous.map { "phiên bản \($0.version)" }, added: added, removed: removed, changes: changes,
                               yaml: yaml, notice: notice)
        return try await req.view.render("framework-preview", page).encodeResponse(for: req)
    }

    /// Imports a framework version and its audit entry in one transaction.
    static func importAudited(_ req: Request, _ text: String, file: String) async throws -> FrameworkCatalog.ImportOutcome {
        try await req.db.retryingTransaction { tx in
            let outcome = try await FrameworkCatalog.importYAML(text, file: file, feeds: req.application.feeds.feeds, on: tx)
            if case .imported(let v) = outcome {
                try await AuditLog.record(req, actor: req.user, action: "framework_imported", target: "\(v.key)@\(v.version)", detail: v.sha256, on: tx)
            }
            return outcome
        }
    }

    @Sendable func importFramework(req: Request) async throws -> Response {
        guard let text = req.body.string, !text.isEmpty else { throw Abort(.badRequest, reason: "Thiếu nội dung tệp bộ chỉ số (YAML).") }
        switch try await Self.importAudited(req, text, file: "tệp tải lên") {
        case .imported(let version):
            return try await FrameworkCatalog.summary(version).encodeResponse(status: .created, for: req)
        case .alreadyPresent(let version):
            return try await FrameworkCatalog.summary(version).encodeResponse(for: req)
        }
    }
}
