import Fluent
import Vapor

/// Sign-in and sign-out, for the browser (form) and the API (JSON).
struct AuthController: RouteCollection {
    let login: LoginService

    func boot(routes: any RoutesBuilder) throws {
        // Public.
        routes.get("login", use: loginPage)
        routes.post("login", use: loginForm)
        routes.get("login", "code", use: codePage)
        routes.post("login", "code", use: codeForm)
        routes.get("api", "v1", "session", use: currentSession)
        routes.post("api", "v1", "session", use: loginJSON)
        // Signed in.
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.post("logout", use: logoutForm)
        signedIn.delete("api", "v1", "session", use: logoutJSON)
    }

    struct Credentials: Content {
        var username: String
        var password: String
        var next: String?
    }

    @Sendable func loginPage(req: Request) async throws -> View {
        let next = Self.safeNext(try? req.query.get(String.self, at: "next"))
        return try await req.view.render("login", LoginPage(layout: Layout(req, title: "Đăng nhập"), next: next, username: "", message: nil))
    }

    @Sendable func loginForm(req: Request) async throws -> Response {
        let form = try req.content.decode(Credentials.self)
        switch try await login.attempt(req, username: form.username, password: form.password) {
        case .success(let signedIn):
            try await LoginService.startSession(req, signedIn.user)
            return signedIn.rememberBrowser(req.redirect(to: signedIn.user.mustChangePassword ? "/account/password" : Self.safeNext(form.next)), on: req)
        case .failure(let failure):
            let page = LoginPage(layout: Layout(req, title: "Đăng nhập"), next: Self.safeNext(form.next), username: form.username, message: failure.message)
            return try await req.view.render("login", page).encodeResponse(status: failure.status, for: req)
        }
    }

    struct CodeCredentials: Content {
        var username: String
        var code: String
        var password: String
    }

    @Sendable func codePage(req: Request) async throws -> View {
        try await req.view.render("login-code", LoginCodePage(layout: Layout(req, title: "Đăng nhập bằng mã"), username: "", code: "", message: nil))
    }

    @Sendable func codeForm(req: Request) async throws -> Response {
        let form = try req.content.decode(CodeCredentials.self)
        switch try await login.attemptWithCode(req, username: form.username, code: form.code, password: form.password) {
        case .success(let signedIn):
            try await LoginService.startSession(req, signedIn.user)
            return signedIn.rememberBrowser(req.redirect(to: signedIn.user.mustChangePassword ? "/account/password" : "/"), on: req)
        case .failure(let failure):
            let message = failure == .tooManyFromAddress ? failure.message : "Tên đăng nhập, mã hoặc mật khẩu không đúng, hoặc mã đã dùng hay đã quá 24 giờ."
            let page = LoginCodePage(layout: Layout(req, title: "Đăng nhập bằng mã"), username: form.username, code: form.code, message: message)
            return try await req.view.render("login-code", page).encodeResponse(status: failure.status, for: req)
        }
    }

    struct SessionInfo: Content {
        var signedIn: Bool
        var username: String?
        var displayName: String?
        var role: String?
        var unitID: UUID?
        var csrf: String
    }

    func info(_ req: Request) -> SessionInfo {
        let user = req.user
        return SessionInfo(signedIn: user != nil, username: user?.username, displayName: user?.displayName,
                           role: user?.role.rawValue, unitID: user?.$unit.id, csrf: req.csrfToken)
    }

    @Sendable func currentSession(req: Request) async throws -> SessionInfo { info(req) }

    @Sendable func loginJSON(req: Request) async throws -> Response {
        let body = try req.content.decode(Credentials.self)
        switch try await login.attempt(req, username: body.username, password: body.password) {
        case .success(let signedIn):
            try await LoginService.startSession(req, signedIn.user)
            return signedIn.rememberBrowser(try await info(req).encodeResponse(for: req), on: req)
        case .failure(let failure):
            throw Abort(failure.status, reason: failure.message)
        }
    }

    @Sendable func logoutForm(req: Request) async throws -> Response {
        try await AuditLog.record(req, actor: req.user, action: "logout", target: req.user?.username ?? "")
        req.session.destroy()
        req.auth.logout(UserAccount.self)
        return req.redirect(to: "/")
    }

    @Sendable func logoutJSON(req: Request) async throws -> HTTPStatus {
        try await AuditLog.record(req, actor: req.user, action: "logout", target: req.user?.username ?? "")
        req.session.destroy()
        req.auth.logout(UserAccount.self)
        return .noContent
    }

    /// Only local paths: never redirect to another site after sign-in. A
    /// path starts with one "/" and holds no backslash and no control
    /// character (browsers drop tabs and newlines, so "/\t/evil" is "//evil").
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), next.count <= 2000,
              !next.unicodeScalars.contains(where: { $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F || $0.properties.generalCategory == .format || $0.properties.isWhitespace })
        else { return "/" }
        return next
    }

}
