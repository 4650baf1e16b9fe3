import Fluent
import SQLKit
import Vapor

/// A browser an account's owner signed in from, or a code e-mailed to the
/// owner of a locked account. Only the token's SHA-256 is stored.
final class TrustedDevice: Model, @unchecked Sendable {
    static let schema = "trusted_devices"

    enum Kind: String { case browser, mailed }

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: UserAccount
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "kind") var kindName: String
    /// Wrong passwords typed on this browser (or with this code) since its last right one.
    @Field(key: "failures") var failures: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "expires_at") var expiresAt: Date

    init() {}

    init(userID: UUID, tokenHash: String, kind: Kind, expiresAt: Date) {
        self.$user.id = userID
        self.tokenHash = tokenHash
        self.kindName = kind.rawValue
        self.failures = 0
        self.expiresAt = expiresAt
    }
}

/// Device cookies (after OWASP's "Slow down online guessing attacks with
/// device cookies"; ADR 0039). Guessing from a browser the owner never
/// signed in from counts against the account and locks it; the owner's own
/// browsers are counted each on its own and are never locked out by what a
/// stranger typed. The owner of a locked account gets a code by e-mail that
/// makes the browser it is typed in one of theirs.
enum TrustedDevices {
    static let cookieName = "dti_device"
    static let lifetime: TimeInterval = 180 * 86_400
    static let mailedLifetime: TimeInterval = 86_400
    /// Browsers kept per account; the oldest are forgotten past this.
    static let perAccount = 20

    static func hash(_ token: String) -> String { SHA256.hash(data: Data(token.utf8)).hex }

    /// A new random token: 32 bytes for a cookie.
    static func newToken() -> String { [UInt8].random(count: 32).base64URLEncoded }

    /// A code a person can type from an e-mail: 12 characters without look-alikes, in groups of four.
    static func newCode() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let chars = (0..<12).map { _ in alphabet.randomElement()! }
        return stride(from: 0, to: 12, by: 4).map { String(chars[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// How a typed code is compared: case, spaces and dashes do not matter.
    static func normalizedCode(_ text: String) -> String {
        String(text.uppercased().filter { $0.isLetter || $0.isNumber })
    }

    /// The owner's browser that sent this request, if its cookie names one of `user`'s still valid.
    static func presented(_ request: Request, for user: UserAccount) async throws -> TrustedDevice? {
        guard let token = request.cookies[cookieName]?.string, !token.isEmpty, token.count <= 100, let id = user.id else { return nil }
        return try await TrustedDevice.query(on: request.db).filter(\.$tokenHash == hash(token)).filter(\.$user.$id == id)
            .filter(\.$kindName == TrustedDevice.Kind.browser.rawValue).filter(\.$expiresAt > request.now).first()
    }

    /// Takes one of a browser's or code's `allowance` attempts before its
    /// password is checked, in one statement, so that attempts sent at once
    /// each take a place. False once the allowance is used up.
    static func reserveAttempt(_ device: TrustedDevice, allowance: Int, on db: any Database) async throws -> Bool {
        try await db.sql.raw("""
            UPDATE trusted_devices SET failures = failures + 1
            WHERE id = \(bind: device.id!) AND failures < \(bind: allowance) RETURNING failures
            """).first() != nil
    }

    /// A right password on the owner's browser: its count starts again.
    static func succeeded(_ device: TrustedDevice, on db: any Database) async throws {
        try await db.sql.raw("UPDATE trusted_devices SET failures = 0 WHERE id = \(bind: device.id!)").run()
    }

    /// Remembers a browser its owner just signed in from and returns the
    /// cookie's token; the oldest browsers past `perAccount` are forgotten.
    static func remember(_ user: UserAccount, now: Date, on db: any Database) async throws -> String {
        let token = newToken()
        try await TrustedDevice(userID: user.id!, tokenHash: hash(token), kind: .browser, expiresAt: now.addingTimeInterval(lifetime)).create(on: db)
        let kept = try await TrustedDevice.query(on: db).filter(\.$user.$id == user.id!).filter(\.$kindName == TrustedDevice.Kind.browser.rawValue)
            .sort(\.$createdAt, .descending).sort(\.$id).all()
        let old = kept.dropFirst(perAccount).compactMap(\.id)
        if !old.isEmpty { try await TrustedDevice.query(on: db).filter(\.$id ~~ old).delete() }
        try await TrustedDevice.query(on: db).filter(\.$user.$id == user.id!).filter(\.$expiresAt <= now).delete()
        return token
    }

    /// A code for the owner of a just-locked account, or nil when a code
    /// mailed earlier is still good (one e-mail a day, however often a
    /// stranger locks the account).
    static func mailedCode(for user: UserAccount, now: Date, on db: any Database) async throws -> String? {
        let pending = try await TrustedDevice.query(on: db).filter(\.$user.$id == user.id!)
            .filter(\.$kindName == TrustedDevice.Kind.mailed.rawValue).filter(\.$expiresAt > now).count()
        guard pending == 0 else { return nil }
        let code = newCode()
        try await TrustedDevice(userID: user.id!, tokenHash: hash(normalizedCode(code)), kind: .mailed,
                                expiresAt: now.addingTimeInterval(mailedLifetime)).create(on: db)
        return code
    }

    /// The unexpired e-mailed code `text` of `user`.
    static func mailed(_ text: String, for user: UserAccount, now: Date, on db: any Database) async throws -> TrustedDevice? {
        let code = normalizedCode(text)
        guard !code.isEmpty, code.count <= 40 else { return nil }
        return try await TrustedDevice.query(on: db).filter(\.$tokenHash == hash(code)).filter(\.$user.$id == user.id!)
            .filter(\.$kindName == TrustedDevice.Kind.mailed.rawValue).filter(\.$expiresAt > now).first()
    }

    /// An e-mailed code used with the right password becomes the browser's
    /// own entry, under a new token: the code works once.
    static func adopt(_ device: TrustedDevice, now: Date, on db: any Database) async throws -> String {
        let token = newToken()
        device.tokenHash = hash(token)
        device.kindName = TrustedDevice.Kind.browser.rawValue
        device.failures = 0
        device.expiresAt = now.addingTimeInterval(lifetime)
        try await device.save(on: db)
        return token
    }

    /// Forgets every browser and code of an account (it was disabled).
    static func forget(_ user: UserAccount, on db: any Database) async throws {
        try await TrustedDevice.query(on: db).filter(\.$user.$id == user.id!).delete()
    }

    /// The cookie that names the browser: HttpOnly, SameSite=Strict, Secure over HTTPS.
    static func cookie(_ token: String, secure: Bool) -> HTTPCookies.Value {
        HTTPCookies.Value(string: token, maxAge: Int(lifetime), path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .strict)
    }
}
