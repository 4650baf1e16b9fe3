import Fluent
import SQLKit
import Vapor

/// The header's unread count: for a signed-in account's page request
/// (a GET outside /api), one count of its unread notifications.
struct UnreadCountMiddleware: AsyncMiddleware {
    struct Key: StorageKey { typealias Value = Int }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.method == .GET, let user = request.user, !request.url.path.hasPrefix("/api/") {
            request.storage[Key.self] = (try? await Self.unread(user.username, on: request.db)) ?? 0
        }
        return try await next.respond(to: request)
    }

    /// One SQL count (every signed-in page asks; a Fluent query costs its serialisation and reflection: RowModel).
    static func unread(_ username: String, on db: any Database) async throws -> Int {
        let row = try await db.sql.raw("SELECT COUNT(*) AS n FROM outbox WHERE recipient = \(bind: username) AND read_at IS NULL").first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}
