import Fluent
import Foundation
import Vapor

/// A person's account. Passwords are stored as Bcrypt hashes only.
final class UserAccount: Model, Authenticatable, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "username") var username: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "role") var roleName: String
    /// The unit of a focal point or unit leader.
    @OptionalParent(key: "unit_id") var unit: UnitModel?
    /// Evaluators: the unit codes they may evaluate (";"-separated, empty = all).
    @Field(key: "scope_units") var scopeUnits: String
    /// Evaluators: the main index codes (fields of criteria) they evaluate
    /// (";"-separated, empty = all).
    @Field(key: "scope_fields") var scopeFields: String
    @Field(key: "failed_logins") var failedLogins: Int
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @Field(key: "active") var active: Bool
    /// Where notifications are e-mailed (empty: in the application only).
    @Field(key: "email") var email: String
    /// Set by a password reset: the next sign-in must choose a new password.
    @Field(key: "must_change_password") var mustChangePassword: Bool
    /// Sessions signed in before this time no longer count: a password
    /// change, a reset or a disable moves it (ADR 0039).
    @OptionalField(key: "sessions_valid_from") var sessionsValidFrom: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(username: String, displayName: String, passwordHash: String, role: Role, unitID: UUID? = nil) {
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.roleName = role.rawValue
        self.$unit.id = unitID
        self.scopeUnits = ""
        self.scopeFields = ""
        self.failedLogins = 0
        self.active = true
        self.email = ""
        self.mustChangePassword = false
    }

    var role: Role { Role(rawValue: roleName) ?? .viewer }
}
