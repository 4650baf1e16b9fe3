import Fluent
import Vapor

/// Authenticates API clients by a bearer token an administrator issued.
struct BearerTokenAuthenticator: AsyncBearerAuthenticator {
    func authenticate(bearer: BearerAuthorization, for request: Request) async throws {
        let hash = SHA256.hash(data: Data(bearer.token.utf8)).hex
        guard let token = try await ApiToken.query(on: request.db)
            .filter(\.$tokenHash == hash).filter(\.$revoked == false).with(\.$user).first()
        else { return }
        if let expires = token.expiresAt, expires < request.now { return }
        guard token.user.active else { return }
        // A locked account's tokens stop too: the lock is the administrator's answer to a leak.
        if let until = token.user.lockedUntil, until > request.now { return }
        request.auth.login(token.user)
    }
}

extension Digest {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
