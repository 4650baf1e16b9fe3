import DTIFormats
import Fluent
import Vapor

/// The live ranking while reviewers work, publication, and the frozen
/// snapshot of the published inputs.
struct PublicationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Evaluators, the council and the administrator.
        routes.grouped(RoleGuard(.administrator, .evaluator, .councilMember)).get("api", "v1", "periods", ":id", "ranking", use: liveRanking)
        // Administrator.
        routes.grouped(RoleGuard(.administrator)).post("api", "v1", "periods", ":id", "publish", use: publish)
        // Public once published.
        routes.get("api", "v1", "periods", ":id", "published", use: published)
    }

    func period(_ req: Request) async throws -> Period {
        guard let id = req.parameters.get("id", as: UUID.self), let period = try await PeriodService.load(id, on: req.db) else {
            throw Abort(.notFound, reason: "Không có kỳ đánh giá này.")
        }
        return period
    }

    func json(_ text: String, status: HTTPStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: status, headers: headers, body: .init(string: text))
    }

    @Sendable func liveRanking(req: Request) async throws -> Response {
        let period = try await period(req)
        return json(JSONValue.object([("period", .string(period.title)), ("live", .bool(true)),
                                      ("levels", ResultsService.rankingJSON(try await ResultsService.compute(period, on: req.db)))]).serialized())
    }

    struct Published: Content {
        var sha256: String
        var publishedAt: Date?
        var publishedBy: String
    }

    @Sendable func publish(req: Request) async throws -> Response {
        let snapshot = try await ResultsService.publish(try await period(req), in: req.context)
        return try await Published(sha256: snapshot.sha256, publishedAt: snapshot.publishedAt, publishedBy: snapshot.publishedBy).encodeResponse(status: .created, for: req)
    }

    /// The frozen snapshot, exactly as stored; its hash is in `X-Content-SHA256`.
    @Sendable func published(req: Request) async throws -> Response {
        let period = try await period(req)
        guard let snapshot = try await PublishedSnapshot.query(on: req.db).filter(\.$period.$id == period.id!).first() else {
            throw Abort(.notFound, reason: "Kết quả kỳ đánh giá này chưa được công bố.")
        }
        let response = json(snapshot.content)
        response.headers.replaceOrAdd(name: "X-Content-SHA256", value: snapshot.sha256)
        return response
    }
}
