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
            if Self.isCurrent(request.session.data[SessionTimeoutMiddleware.loginAtKey], for: user) {
                request.auth.login(user)
            } else {
                // Signed in before the password changed or the account was disabled: ended.
                SessionTimeoutMiddleware.endSignIn(request)
            }
        }
        return try await next.respond(to: request)
    }

    /// Whether a session signed in at `loginAt` (seconds since 1970) still counts for `user`:
    /// it began no earlier than the account's `sessionsValidFrom` (to the millisecond, as
    /// databases keep times).
    static func isCurrent(_ loginAt: String?, for user: UserAccount) -> Bool {
        guard let from = user.sessionsValidFrom else { return true }
        guard let loginAt = loginAt.flatMap(Double.init) else { return false }
        return loginAt >= from.timeIntervalSince1970 - 0.001
    }

    /// The account, read as an SQL row (every signed-in request asks: RowModel).
    static func account(_ id: UUID, on db: any Database) async throws -> UserAccount? {
        try await UserAccount.rows(db.sql, where: "id = \(bind: id)").first
    }
}
