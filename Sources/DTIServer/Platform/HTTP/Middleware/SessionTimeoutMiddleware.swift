import Vapor

/// Ends a signed-in session after an idle period or an absolute lifetime.
/// The last-seen time moves at most once a minute: a session unchanged is
/// not written back (`QuietSessions`), so most requests write nothing, and
/// an idle limit of minutes is kept to within a minute.
struct SessionTimeoutMiddleware: AsyncMiddleware {
    let idle: TimeInterval
    let absolute: TimeInterval
    static let lastSeenStep: TimeInterval = 60

    static let loginAtKey = "login_at"
    static let lastSeenKey = "last_seen"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.hasSession, let loginAt = request.session.data[Self.loginAtKey].flatMap(Double.init) {
            let now = request.now.timeIntervalSince1970
            let lastSeen = request.session.data[Self.lastSeenKey].flatMap(Double.init) ?? loginAt
            if Self.isExpired(loginAt: loginAt, lastSeen: lastSeen, now: now, idle: idle, absolute: absolute) {
                Self.endSignIn(request)
            } else if now - lastSeen >= Self.lastSeenStep {
                request.session.data[Self.lastSeenKey] = String(now)
            }
        }
        return try await next.respond(to: request)
    }

    /// Ends the session's sign-in (the session itself, with its CSRF token, stays).
    static func endSignIn(_ request: Request) {
        request.auth.logout(UserAccount.self)
        request.session.data[SessionUserAuthenticator.userKey] = nil
        request.session.data[loginAtKey] = nil
        request.session.data[lastSeenKey] = nil
    }

    /// A signed-in session idle too long or too old (times in seconds since 1970).
    static func isExpired(loginAt: Double, lastSeen: Double, now: Double, idle: TimeInterval, absolute: TimeInterval) -> Bool {
        now - lastSeen > idle || now - loginAt > absolute
    }
}
