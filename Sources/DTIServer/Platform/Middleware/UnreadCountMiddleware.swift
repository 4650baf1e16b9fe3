import Fluent
import Vapor

/// The header's unread count: for a signed-in account's page request
/// (a GET outside /api), one count of its unread notifications.
struct UnreadCountMiddleware: AsyncMiddleware {
    struct Key: StorageKey { typealias Value = Int }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.method == .GET, let user = request.user, !request.url.path.hasPrefix("/api/") {
            request.storage[Key.self] = (try? await OutboxMessage.query(on: request.db).filter(\.$recipient == user.username)
                .filter(\.$readAt == nil).count()) ?? 0
        }
        return try await next.respond(to: request)
    }
}
