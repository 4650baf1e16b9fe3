import DTICore
import Fluent
import Vapor

/// Frameworks: the public methodology (every version, its tree with each
/// criterion's rule, evidence and maximum) and import for administrators.
struct FrameworkController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Public: the methodology is public so units can recompute their scores.
        routes.get("frameworks", use: listPage)
        routes.get("frameworks", ":key", ":version", use: showPage)
        routes.get("api", "v1", "frameworks", use: list)
        routes.get("api", "v1", "frameworks", ":key", ":version", use: show)
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
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

    func page(_ req: Request, _ version: FrameworkVersion) throws -> FrameworkPage {
        let framework = try FrameworkCatalog.framework(version)
        return FrameworkPage(
            layout: Layout(req, title: version.title), framework: try FrameworkCatalog.summary(version),
            source: framework.source, provenance: framework.provenance, methodLabel: framework.method.label,
            bands: framework.bands.map { "\($0.name): từ \(FrameworkCatalog.text($0.minPercent))%" },
            nodes: FrameworkCatalog.nodes(framework))
    }

    @Sendable func showPage(req: Request) async throws -> View {
        try await req.view.render("framework", try page(req, try await find(req)))
    }

    struct FrameworkDetail: Content {
        var framework: FrameworkSummary
        var source: String?
        var provenance: String?
        var methodLabel: String
        var bands: [String]
        var nodes: [FrameworkNodeRow]
    }

    @Sendable func show(req: Request) async throws -> FrameworkDetail {
        let p = try page(req, try await find(req))
        return FrameworkDetail(framework: p.framework, source: p.source, provenance: p.provenance, methodLabel: p.methodLabel, bands: p.bands, nodes: p.nodes)
    }

    struct ImportPage: Encodable {
        var layout: Layout
        var yaml: String
        var errors: [String]
    }

    struct ImportForm: Content { var yaml: String }

    func importPage(_ req: Request, yaml: String, errors: [String], status: HTTPStatus) async throws -> Response {
        let response = try await req.view.render("framework-import", ImportPage(layout: Layout(req, title: "Nhập bộ chỉ số"), yaml: yaml, errors: errors))
            .encodeResponse(for: req)
        response.status = status
        return response
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

    /// Imports a framework version and its audit entry in one transaction.
    static func importAudited(_ req: Request, _ text: String, file: String) async throws -> FrameworkCatalog.ImportOutcome {
        try await req.db.retryingTransaction { tx in
            let outcome = try await FrameworkCatalog.importYAML(text, file: file, on: tx)
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
