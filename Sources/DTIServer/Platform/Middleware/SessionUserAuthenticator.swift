import Fluent
import SQLKit
import Vapor

/// Signs in the account recorded in the session. Unlike Vapor's session
/// authenticator it never writes to the session, so a request signed in by
/// a bearer token does not acquire a cookie session as a side effect.
struct SessionUserAuthenticator: AsyncMiddleware {
    static let userKey = "user_id"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.hasSession, let text = request.session.data[Self.userKey], let id = UUID(uuidString: text),
           let user = try await Self.account(id, on: request.db), user.active {
            request.auth.login(user)
        }
        return try await next.respond(to: request)
    }

    /// The account, read as an SQL row (every signed-in request asks: RowModel).
    static func account(_ id: UUID, on db: any Database) async throws -> UserAccount? {
        try await UserAccount.rows(db.sql, where: "id = \(bind: id)").first
    }
}
