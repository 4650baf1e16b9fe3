import Fluent
import SQLKit
import Vapor

/// The account's side of sign-in throttling, each change one statement on
/// `users` (ADR 0039): the rules are `LoginService`'s, the statements here.
enum SignInCounts {
    /// Takes one of the account's attempts before its password is checked, in one statement:
    /// the attempt's number, or nil while the account is locked.
    static func reserveAttempt(_ user: UserAccount, now: Date, on db: any Database) async throws -> Int? {
        try await db.sql.raw("""
            UPDATE users SET failed_logins = failed_logins + 1
            WHERE id = \(bind: user.id!) AND (locked_until IS NULL OR locked_until <= \(bind: now)) RETURNING failed_logins
            """).first()?.decode(column: "failed_logins", as: Int.self)
    }

    /// A right password from a browser the owner never used: the count starts again, any lock goes.
    static func clear(_ user: UserAccount, on db: any Database) async throws {
        try await db.sql.raw("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = \(bind: user.id!)").run()
    }

    /// Locks the account until `until` for browsers the owner never used; the count starts again.
    static func lock(_ user: UserAccount, until: Date, on db: any Database) async throws {
        try await db.sql.raw("UPDATE users SET locked_until = \(bind: until), failed_logins = 0 WHERE id = \(bind: user.id!)").run()
    }
}
