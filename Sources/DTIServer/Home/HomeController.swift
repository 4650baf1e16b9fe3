import Fluent
import Vapor

/// The front page and operations endpoints.
struct HomeController: RouteCollection {
    /// Nil when the operator turned metrics off (`DTI_METRICS=off`).
    let metrics: RequestMetrics?

    func boot(routes: any RoutesBuilder) throws {
        // Public.
        routes.get(use: home).kept(.listing)
        routes.get("healthz", use: health)
        routes.get("metrics", use: metricsText)
        routes.get("api", "openapi.yaml", use: openAPI)
    }

    /// Prometheus metrics. Public like /healthz: counters only, no data;
    /// restrict it in the reverse proxy where needed (docs/DEPLOY.md).
    @Sendable func metricsText(req: Request) async throws -> Response {
        guard let metrics else { throw Abort(.notFound, reason: "Số đo đã được tắt trên máy chủ này (DTI_METRICS=off).") }
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(string: metrics.exposition()))
    }

    /// The OpenAPI document kept in the repository.
    @Sendable func openAPI(req: Request) async throws -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml", subdirectory: "Resources"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw Abort(.internalServerError, reason: "Thiếu tài liệu OpenAPI.")
        }
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "yaml", parameters: ["charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }

    @Sendable func home(req: Request) async throws -> Response {
        // After a password reset the account's to-do list waits for its new password, as every
        // signed-in page does.
        if let user = req.user, let waiting = try RoleGuard.awaitingPasswordChange(req, user) { return waiting }
        let filter = (try? req.query.get(String.self, at: "status")).flatMap { $0.isEmpty ? nil : String($0.prefix(40)) }
        var todo: TodoList?
        if let user = req.user { todo = try await TodoList.load(for: user, ctx: req.context, filter: filter) }
        let page = HomePage(
            layout: Layout(req, title: req.user == nil ? "OpenDTI" : "Việc cần làm — OpenDTI"),
            // Units as they are today: not the huyện dissolved in 2025 nor the units known only from an old table.
            unitCount: try await UnitModel.query(on: req.db).group(.or) { $0.filter(\.$validUntil == nil).filter(\.$validUntil > req.today) }
                .group(.or) { $0.filter(\.$validFrom == nil).filter(\.$validFrom <= req.today) }.count(),
            frameworkCount: try await FrameworkVersion.query(on: req.db).count(),
            periods: req.user == nil ? [] : try await PeriodController.all(on: req.db, today: req.today),
            todo: todo)
        return try await req.view.render("home", page).encodeResponse(for: req)
    }

    struct Health: Content {
        var status: String
        var database: String
    }

    /// 200 when the database answers, 503 otherwise.
    @Sendable func health(req: Request) async throws -> Response {
        do {
            _ = try await UnitModel.query(on: req.db).count()
            return try await Health(status: "ok", database: "ok").encodeResponse(for: req)
        } catch {
            let response = try await Health(status: "unavailable", database: "error").encodeResponse(for: req)
            response.status = .serviceUnavailable
            return response
        }
    }
}
