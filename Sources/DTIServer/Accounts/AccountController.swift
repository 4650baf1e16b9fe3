import Fluent
import Vapor

/// Accounts and API tokens, administrators only; "who am I" for everyone signed in.
struct AccountController: RouteCollection {
    let accounts: AccountDirectory

    func boot(routes: any RoutesBuilder) throws {
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.get("admin", "users", use: listPage)
        admin.post("admin", "users", use: createForm)
        admin.post("admin", "tokens", use: tokenForm)
        admin.get("api", "v1", "users", use: list)
        admin.post("api", "v1", "users", use: create)
        admin.post("api", "v1", "tokens", use: issueToken)
        // Signed in: their own tokens (the administrator: everyone's).
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.get("api", "v1", "me", use: me)
        signedIn.get("api", "v1", "tokens", use: listTokens)
        signedIn.delete("api", "v1", "tokens", ":id", use: revokeToken)
    }

    static let emptyForm = UserInput(username: "", displayName: "", password: "", role: Role.focalPoint.rawValue)

    func page(_ req: Request, form: UserInput = emptyForm, errors: [String] = [], tokenErrors: [String] = [], issued: IssuedToken? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let roles = Role.allCases.map { LevelOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == form.role) }
        var shown = form
        shown.password = ""   // never echo a password back
        let page = UsersPage(layout: Layout(req, title: "Tài khoản"), users: try await AccountDirectory.rows(on: req.db), roles: roles,
                             form: shown, errors: errors, tokenErrors: tokenErrors, issued: issued)
        let response = try await req.view.render("users", page).encodeResponse(for: req)
        response.status = status
        return response
    }

    @Sendable func listPage(req: Request) async throws -> Response { try await page(req) }

    @Sendable func createForm(req: Request) async throws -> Response {
        let input = try req.content.decode(UserInput.self)
        switch try await accounts.create(input, in: req.context) {
        case .success: return req.redirect(to: "/admin/users")
        case .failure(let problems): return try await page(req, form: input, errors: problems.messages, status: .unprocessableEntity)
        }
    }

    @Sendable func tokenForm(req: Request) async throws -> Response {
        let input = try req.content.decode(TokenInput.self)
        switch try await accounts.issueToken(input, in: req.context) {
        case .success(let issued): return try await page(req, issued: issued)
        case .failure(let problems): return try await page(req, tokenErrors: problems.messages, status: .unprocessableEntity)
        }
    }

    @Sendable func list(req: Request) async throws -> [UserRow] { try await AccountDirectory.rows(on: req.db) }

    @Sendable func me(req: Request) async throws -> UserRow {
        guard let user = req.user else { throw Abort(.unauthorized, reason: "Cần đăng nhập.") }
        try await user.$unit.load(on: req.db)
        return AccountDirectory.row(user)
    }

    @Sendable func create(req: Request) async throws -> Response {
        switch try await accounts.create(try req.content.decode(UserInput.self), in: req.context) {
        case .success(let user):
            try await user.$unit.load(on: req.db)
            return try await AccountDirectory.row(user).encodeResponse(status: .created, for: req)
        case .failure(let problems): throw problems.abort
        }
    }

    @Sendable func issueToken(req: Request) async throws -> Response {
        switch try await accounts.issueToken(try req.content.decode(TokenInput.self), in: req.context) {
        case .success(let issued):
            return try await issued.encodeResponse(status: .created, for: req)
        case .failure(let problems): throw problems.abort
        }
    }

    /// A token as listed: never its secret (only the hash is stored anyway).
    struct TokenRow: Content {
        var id: UUID
        var name: String
        var username: String
        var createdAt: Date?
        var expiresAt: Date?
        var revoked: Bool
    }

    @Sendable func listTokens(req: Request) async throws -> [TokenRow] {
        let user = req.user!
        var query = ApiToken.query(on: req.db).with(\.$user).sort(\.$createdAt)
        if user.role != .administrator { query = query.filter(\.$user.$id == user.id!) }
        return try await query.all().map {
            TokenRow(id: $0.id!, name: $0.name, username: $0.user.username, createdAt: $0.createdAt, expiresAt: $0.expiresAt, revoked: $0.revoked)
        }
    }

    /// Revokes a token: its owner or the administrator. Another account's
    /// token is answered as absent (404), so ids reveal nothing.
    @Sendable func revokeToken(req: Request) async throws -> HTTPStatus {
        let user = req.user!
        guard let id = req.parameters.get("id", as: UUID.self), let token = try await ApiToken.find(id, on: req.db),
              user.role == .administrator || token.$user.id == user.id else {
            throw Abort(.notFound, reason: "Không có mã truy cập này.")
        }
        if !token.revoked {
            token.revoked = true
            try await req.db.retryingTransaction { tx in
                try await token.save(on: tx)
                try await AuditLog.record(req, actor: user, action: "token_revoked", target: token.name, detail: token.id!.uuidString, on: tx)
            }
        }
        return .noContent
    }
}
