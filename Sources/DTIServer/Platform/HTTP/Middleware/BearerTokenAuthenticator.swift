import Fluent
import SQLKit
import Vapor

/// Authenticates API clients by a bearer token an administrator issued.
struct BearerTokenAuthenticator: AsyncBearerAuthenticator {
    func authenticate(bearer: BearerAuthorization, for request: Request) async throws {
        let hash = SHA256.hash(data: Data(bearer.token.utf8)).hex
        guard let (user, expires) = try await Self.holder(of: hash, on: request.db) else { return }
        if let expires, expires < request.now { return }
        // A disabled account's tokens stop (and are revoked with the disable). A lock does not
        // stop them: anyone can lock an account by guessing, and a stranger must not be able to
        // stop the owner's integrations (ADR 0039); a leaked token is revoked.
        guard user.active else { return }
        request.auth.login(user)
    }
}

extension BearerTokenAuthenticator {
    /// Kept prepared on PostgreSQL (ADR 0033): every API request with a token runs it.
    enum TokenHolder: KeptStatement { static let name = "token_holder" }
    private static let accountColumns = UserAccount.columnList("users")

    /// The account holding an unrevoked token with this hash, and the token's expiry: one SQL
    /// statement, the account read as a row (every API request with a token asks: RowModel).
    static func holder(of hash: String, on db: any Database) async throws -> (UserAccount, Date?)? {
        guard let row = try await db.firstRow(TokenHolder.self, """
            SELECT \(unsafeRaw: Self.accountColumns), api_tokens.expires_at AS token_expires_at
            FROM api_tokens JOIN users ON users.id = api_tokens.user_id
            WHERE api_tokens.token_hash = \(bind: hash) AND api_tokens.revoked = \(bind: false)
            """) else { return nil }
        return (try UserAccount.decode(row: row), try row.decode(column: "token_expires_at", as: Date?.self))
    }
}

extension Digest {
    var hex: String { lowercaseHex }
}
