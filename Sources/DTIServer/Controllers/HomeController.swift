import Fluent
import Vapor

/// The front page and operations endpoints.
struct HomeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Public.
        routes.get(use: home)
        routes.get("healthz", use: health)
    }

    @Sendable func home(req: Request) async throws -> View {
        let page = HomePage(
            layout: Layout(req, title: "OpenDTI"),
            unitCount: try await UnitModel.query(on: req.db).count(),
            frameworkCount: try await FrameworkVersion.query(on: req.db).count(),
            periods: req.user == nil ? [] : try await PeriodController.all(on: req.db))
        return try await req.view.render("home", page)
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
