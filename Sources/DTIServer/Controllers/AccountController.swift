import Fluent
import Vapor

/// Accounts and API tokens, administrators only.
struct AccountController: RouteCollection {
    let policy: PasswordPolicy

    func boot(routes: any RoutesBuilder) throws {
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.get("admin", "users", use: listPage)
        admin.get("api", "v1", "users", use: list)
        admin.post("api", "v1", "users", use: create)
        admin.post("api", "v1", "tokens", use: issueToken)
        // Signed in: who am I.
        routes.grouped(RoleGuard.signedIn).get("api", "v1", "me", use: me)
    }

    static func rows(on db: any Database) async throws -> [UserRow] {
        try await UserAccount.query(on: db).with(\.$unit).sort(\.$username).all().map {
            UserRow(id: $0.id, username: $0.username, displayName: $0.displayName, role: $0.role.rawValue, roleLabel: $0.role.label,
                    unitCode: $0.unit?.code, locked: ($0.lockedUntil ?? .distantPast) > Date())
        }
    }

    @Sendable func listPage(req: Request) async throws -> View {
        try await req.view.render("users", UsersPage(layout: Layout(req, title: "Tài khoản"), users: try await Self.rows(on: req.db)))
    }

    @Sendable func list(req: Request) async throws -> [UserRow] { try await Self.rows(on: req.db) }

    @Sendable func me(req: Request) async throws -> UserRow {
        guard let user = req.user else { throw Abort(.unauthorized, reason: "Cần đăng nhập.") }
        try await user.$unit.load(on: req.db)
        return UserRow(id: user.id, username: user.username, displayName: user.displayName, role: user.role.rawValue,
                       roleLabel: user.role.label, unitCode: user.unit?.code, locked: false)
    }

    struct UserInput: Content {
        var username: String
        var displayName: String
        var password: String
        var role: String
        var unitCode: String?
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(UserInput.self)
        var problems: [String] = []
        let username = input.username.trimmingCharacters(in: .whitespaces).lowercased()
        if username.isEmpty || username.count > 64 || !username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
            problems.append("Tên đăng nhập chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới (tối đa 64 ký tự).")
        }
        if input.displayName.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("Họ tên không được để trống.") }
        if let p = policy.problem(input.password, username: username) { problems.append(p) }
        guard let role = Role(rawValue: input.role) else {
            let allowed = Role.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append("Vai trò \"\(input.role)\" không hợp lệ; dùng \(allowed).")
            throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n"))
        }
        var unitID: UUID?
        if role.isUnitRole {
            if let code = input.unitCode, let unit = try await UnitModel.query(on: req.db).filter(\.$code == code).first() {
                unitID = unit.id
            } else {
                problems.append("Vai trò \(role.label) cần mã đơn vị (unitCode) có thật.")
            }
        }
        if try await UserAccount.query(on: req.db).filter(\.$username == username).first() != nil {
            problems.append("Tên đăng nhập \"\(username)\" đã tồn tại.")
        }
        if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        let user = UserAccount(username: username, displayName: input.displayName.trimmingCharacters(in: .whitespaces),
                               passwordHash: try await req.password.async.hash(input.password), role: role, unitID: unitID)
        try await user.create(on: req.db)
        try await AuditLog.record(req, actor: req.user, action: "user_created", target: username, detail: role.rawValue)
        let response = try await UserRow(id: user.id, username: username, displayName: user.displayName, role: role.rawValue,
                                         roleLabel: role.label, unitCode: input.unitCode, locked: false).encodeResponse(for: req)
        response.status = .created
        return response
    }

    struct TokenInput: Content {
        var username: String
        var name: String
        var days: Int?
    }

    struct IssuedToken: Content {
        var token: String
        var username: String
        var name: String
        var expiresAt: Date?
    }

    /// Issues a bearer token; it is shown once and only its hash is kept.
    @Sendable func issueToken(req: Request) async throws -> Response {
        let input = try req.content.decode(TokenInput.self)
        guard let user = try await UserAccount.query(on: req.db).filter(\.$username == input.username.lowercased()).first() else {
            throw Abort(.unprocessableEntity, reason: "Không có tài khoản \"\(input.username)\".")
        }
        if input.name.trimmingCharacters(in: .whitespaces).isEmpty { throw Abort(.unprocessableEntity, reason: "Tên mã truy cập không được để trống.") }
        if let days = input.days, !(1...3650).contains(days) { throw Abort(.unprocessableEntity, reason: "Số ngày hiệu lực phải từ 1 đến 3650.") }
        let token = "dti_" + [UInt8].random(count: 32).base64URLEncoded
        let expires = input.days.map { Date().addingTimeInterval(Double($0) * 86_400) }
        try await ApiToken(userID: user.id!, name: input.name, tokenHash: SHA256.hash(data: Data(token.utf8)).hex, expiresAt: expires).create(on: req.db)
        try await AuditLog.record(req, actor: req.user, action: "token_issued", target: user.username, detail: input.name)
        let response = try await IssuedToken(token: token, username: user.username, name: input.name, expiresAt: expires).encodeResponse(for: req)
        response.status = .created
        return response
    }
}
