import DTICore
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
        admin.on(.POST, "admin", "users", "import", body: .collect(maxSize: "4mb"), use: importForm)
        admin.on(.POST, "api", "v1", "users", "import", body: .collect(maxSize: "4mb"), use: importFile)
        admin.get("admin", "users", ":username", use: editPage)
        admin.post("admin", "users", ":username", use: updateForm)
        admin.post("admin", "users", ":username", ":action", use: actionForm)
        admin.patch("api", "v1", "users", ":username", use: update)
        admin.post("api", "v1", "users", ":username", "disable", use: disable)
        admin.post("api", "v1", "users", ":username", "enable", use: enable)
        admin.post("api", "v1", "users", ":username", "unlock", use: unlock)
        admin.post("api", "v1", "users", ":username", "reset-password", use: resetPassword)
        // Signed in: their own tokens (the administrator: everyone's).
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.get("api", "v1", "me", use: me)
        signedIn.post("api", "v1", "me", "password", use: changePassword)
        signedIn.get("account", "password", use: passwordPage)
        signedIn.post("account", "password", use: passwordForm)
        signedIn.get("api", "v1", "tokens", use: listTokens)
        signedIn.delete("api", "v1", "tokens", ":id", use: revokeToken)
    }

    static let emptyForm = UserInput(username: "", displayName: "", password: "", role: Role.focalPoint.rawValue)

    func page(_ req: Request, form: UserInput = emptyForm, errors: [String] = [], tokenErrors: [String] = [], issued: IssuedToken? = nil,
              importErrors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        let roles = Role.allCases.map { LevelOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == form.role) }
        var shown = form
        shown.password = ""   // never echo a password back
        let message = req.takeFlash("users-flash")
        let page = UsersPage(layout: Layout(req, title: "Tài khoản"), users: try await AccountDirectory.rows(on: req.db), roles: roles,
                             form: shown, errors: errors, tokenErrors: tokenErrors, issued: issued,
                             units: try await Self.unitChoices(on: req.db), message: message, importErrors: importErrors)
        return try await req.view.render("users", page).encodeResponse(status: status, for: req)
    }

    @Sendable func listPage(req: Request) async throws -> Response { try await page(req) }

    @Sendable func createForm(req: Request) async throws -> Response {
        var input = try req.content.decode(UserInput.self)
        input.unitCode = input.unitCode.map(AccountDirectory.unitCode(fromPicker:))
        switch try await accounts.create(input, in: req.context) {
        case .success(let user):
            req.session.data["users-flash"] = "Đã tạo tài khoản \(user.username) (\(user.role.label)). Hãy gửi mật khẩu ban đầu cho người dùng qua kênh an toàn."
            return req.redirect(to: "/admin/users")
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

    // MARK: Accounts in bulk

    struct ImportForm: Content { var file: File }

    struct CreatedPage: Encodable {
        var layout: Layout
        var accounts: [BulkAccounts.Created]
        var file: String
    }

    @Sendable func importForm(req: Request) async throws -> Response {
        guard let form = try? req.content.decode(ImportForm.self), form.file.data.readableBytes > 0 else {
            return try await page(req, importErrors: ["Chưa chọn tệp Excel (.xlsx) hoặc CSV để tạo tài khoản."], status: .unprocessableEntity)
        }
        let name = form.file.filename
        do {
            let rows = try await BulkAccounts.read(Data(form.file.data.readableBytesView), fileName: name, on: req.application.spreadsheetWork)
            switch try await BulkAccounts.create(rows, file: name, policy: accounts.policy, in: req.context) {
            case .success(let created):
                let response = try await req.view.render("accounts-created", CreatedPage(layout: Layout(req, title: "Tài khoản vừa tạo"), accounts: created, file: name))
                    .encodeResponse(status: .created, for: req)
                response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
                return response
            case .failure(let problems):
                return try await page(req, importErrors: problems.messages, status: .unprocessableEntity)
            }
        } catch let error as DomainError {
            return try await page(req, importErrors: error.message.components(separatedBy: "\n"), status: error.status)
        }
    }

    /// The API: the body is the file (CSV, or XLSX), `?name=` its file name.
    @Sendable func importFile(req: Request) async throws -> Response {
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw Abort(.unprocessableEntity, reason: "Thiếu nội dung tệp: cần dòng tiêu đề (Mã đơn vị, Vai trò, Tên đăng nhập, Họ tên, Thư điện tử) và ít nhất một dòng.")
        }
        let name = (try? req.query.get(String.self, at: "name")) ?? "tai-khoan.csv"
        let rows = try await BulkAccounts.read(Data(body.readableBytesView), fileName: name, on: req.application.spreadsheetWork)
        switch try await BulkAccounts.create(rows, file: name, policy: accounts.policy, in: req.context) {
        case .success(let created):
            let response = try await created.encodeResponse(status: .created, for: req)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        case .failure(let problems): throw problems.abort
        }
    }

    // MARK: Changing accounts

    /// The unit picker's choices: "CODE — name", units that still exist first.
    static func unitChoices(on db: any Database) async throws -> [String] {
        try await UnitModel.query(on: db).all().filter { $0.validUntil == nil }
            .sorted { VietnameseText.precedes($0.name, $1.name) }.map { "\($0.code) — \($0.name)" }
    }

    struct AccountPage: Encodable {
        var layout: Layout
        var user: UserRow
        var form: AccountUpdate
        var roles: [LevelOption]
        var units: [String]
        var active: Bool
        var locked: Bool
        var mustChange: Bool
        var errors: [String]
        var message: String?
        var temporary: TemporaryPassword?
        var isSelf: Bool
    }

    func accountPage(_ req: Request, _ user: UserAccount, form: AccountUpdate? = nil, errors: [String] = [], temporary: TemporaryPassword? = nil,
                     status: HTTPStatus = .ok) async throws -> Response {
        let message = req.takeFlash("account-flash")
        let shown = form ?? AccountUpdate(displayName: user.displayName, email: user.email, role: user.role.rawValue,
                                          unitCode: user.unit.map { "\($0.code) — \($0.name)" } ?? "",
                                          scopeUnits: user.scopeUnits, scopeFields: user.scopeFields)
        let page = AccountPage(layout: Layout(req, title: "Tài khoản \(user.username)"), user: AccountDirectory.row(user), form: shown,
                               roles: Role.allCases.map { LevelOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == shown.role) },
                               units: try await Self.unitChoices(on: req.db), active: user.active,
                               locked: (user.lockedUntil ?? .distantPast) > req.context.now, mustChange: user.mustChangePassword,
                               errors: errors, message: message, temporary: temporary, isSelf: user.id == req.user?.id)
        return try await req.view.render("account", page).encodeResponse(status: status, for: req)
    }

    func target(_ req: Request) async throws -> UserAccount {
        try await AccountDirectory.find(req.parameters.get("username") ?? "", on: req.db)
    }

    @Sendable func editPage(req: Request) async throws -> Response { try await accountPage(req, try await target(req)) }

    @Sendable func updateForm(req: Request) async throws -> Response {
        let user = try await target(req)
        let change = try req.content.decode(AccountUpdate.self)
        switch try await accounts.update(user, with: change, in: req.context) {
        case .success:
            req.session.data["account-flash"] = "Đã lưu thay đổi của tài khoản \(user.username)."
            return req.redirect(to: "/admin/users/\(user.username)")
        case .failure(let problems): return try await accountPage(req, user, form: change, errors: problems.messages, status: .unprocessableEntity)
        }
    }

    /// The account page's buttons: disable, enable, unlock, reset-password.
    @Sendable func actionForm(req: Request) async throws -> Response {
        let user = try await target(req)
        let ctx = req.context
        do {
            switch req.parameters.get("action") ?? "" {
            case "disable":
                try await accounts.setActive(user, false, in: ctx)
                req.session.data["account-flash"] = "Đã khóa tài khoản \(user.username): không đăng nhập được cho đến khi mở lại; các phiên đăng nhập và mã API của tài khoản đã kết thúc."
            case "enable":
                try await accounts.setActive(user, true, in: ctx)
                req.session.data["account-flash"] = "Đã mở lại tài khoản \(user.username)."
            case "unlock":
                try await accounts.unlock(user, in: ctx)
                req.session.data["account-flash"] = "Đã gỡ tạm khóa đăng nhập của \(user.username)."
            case "reset-password":
                // Shown on this response only, never kept in the session or a redirect.
                let temporary = try await accounts.resetPassword(user, in: ctx)
                let response = try await accountPage(req, user, temporary: temporary)
                response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
                return response
            default:
                throw Abort(.notFound, reason: "Không có thao tác này.")
            }
        } catch let error as DomainError {
            return try await accountPage(req, user, errors: [error.message], status: error.status)
        }
        return req.redirect(to: "/admin/users/\(user.username)")
    }

    @Sendable func update(req: Request) async throws -> UserRow {
        let user = try await target(req)
        switch try await accounts.update(user, with: try req.content.decode(AccountUpdate.self), in: req.context) {
        case .success(let updated):
            try await updated.$unit.load(on: req.db)
            return AccountDirectory.row(updated)
        case .failure(let problems): throw problems.abort
        }
    }

    @Sendable func disable(req: Request) async throws -> UserRow {
        let user = try await target(req)
        try await accounts.setActive(user, false, in: req.context)
        return AccountDirectory.row(user)
    }

    @Sendable func enable(req: Request) async throws -> UserRow {
        let user = try await target(req)
        try await accounts.setActive(user, true, in: req.context)
        return AccountDirectory.row(user)
    }

    @Sendable func unlock(req: Request) async throws -> UserRow {
        let user = try await target(req)
        try await accounts.unlock(user, in: req.context)
        return AccountDirectory.row(user)
    }

    @Sendable func resetPassword(req: Request) async throws -> Response {
        let response = try await accounts.resetPassword(try await target(req), in: req.context).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct PasswordPage: Encodable {
        var layout: Layout
        var forced: Bool
        var errors: [String]
        var done: Bool
    }

    func passwordPage(_ req: Request, errors: [String] = [], done: Bool = false, status: HTTPStatus = .ok) async throws -> Response {
        let page = PasswordPage(layout: Layout(req, title: "Đổi mật khẩu"), forced: req.user?.mustChangePassword ?? false, errors: errors, done: done)
        return try await req.view.render("password", page).encodeResponse(status: status, for: req)
    }

    @Sendable func passwordPage(req: Request) async throws -> Response { try await passwordPage(req) }

    @Sendable func passwordForm(req: Request) async throws -> Response {
        let change = PasswordChange(current: (try? req.content.get(String.self, at: "current")) ?? "", new: (try? req.content.get(String.self, at: "new")) ?? "",
                                    confirm: (try? req.content.get(String.self, at: "confirm")) ?? "")
        switch try await accounts.changeOwnPassword(change, in: req.context) {
        case .success:
            try await LoginService.startSession(req, try req.context.signedIn())
            return try await passwordPage(req, done: true)
        case .failure(let problems): return try await passwordPage(req, errors: problems.messages, status: .unprocessableEntity)
        }
    }

    @Sendable func changePassword(req: Request) async throws -> HTTPStatus {
        switch try await accounts.changeOwnPassword(try req.content.decode(PasswordChange.self), in: req.context) {
        case .success:
            // A session (not a token) carries on, as a new session.
            if req.hasSession, req.session.data[SessionUserAuthenticator.userKey] != nil {
                try await LoginService.startSession(req, try req.context.signedIn())
            }
            return .noContent
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
