import Vapor

struct LoginPage: Encodable {
    var layout: Layout
    var next: String
    var username: String
    var message: String?
}

/// Signing in with a code e-mailed to the owner of a locked account.
struct LoginCodePage: Encodable {
    var layout: Layout
    var username: String
    var code: String
    var message: String?
}

struct UsersPage: Encodable {
    var layout: Layout
    var users: [UserRow]
    var roles: [LevelOption]
    var form: UserInput
    var errors: [String]
    var tokenErrors: [String]
    var issued: IssuedToken?
    /// The unit picker's choices ("CODE — name").
    var units: [String]
    var message: String?
    var importErrors: [String] = []
}

struct UserRow: Content {
    var id: UUID?
    var username: String
    var displayName: String
    var role: String
    var roleLabel: String
    var unitCode: String?
    var scopeUnits: [String]
    var scopeFields: [String]
    var locked: Bool
    var active: Bool = true
    var mustChangePassword: Bool = false
}
