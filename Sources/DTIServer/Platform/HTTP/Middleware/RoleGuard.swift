import Vapor

/// Lets a request through only for a signed-in account with one of `roles`.
/// Pages send the visitor to the login page; the API answers 401.
struct RoleGuard: AsyncMiddleware {
    let roles: Set<Role>

    init(_ roles: Role...) { self.roles = Set(roles) }
    init(anyOf roles: Set<Role>) { self.roles = roles }

    static let allowedBeforePasswordChange: Set<String> = ["/account/password", "/api/v1/me/password", "/api/v1/me", "/logout"]

    /// Every signed-in account.
    static let signedIn = RoleGuard(anyOf: Set(Role.allCases))

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let user = request.auth.get(UserAccount.self) else {
            if request.isAPI { throw Abort(.unauthorized, reason: "Cần đăng nhập.") }
            let target = request.url.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "/"
            return request.redirect(to: "/login?next=\(target)")
        }
        if let waiting = try Self.awaitingPasswordChange(request, user) { return waiting }
        guard roles.contains(user.role) else {
            throw Abort(.forbidden, reason: "Tài khoản \(user.username) (\(user.role.label)) không có quyền thực hiện thao tác này.")
        }
        return try await next.respond(to: request)
    }
}

extension RoleGuard {
    /// After a password reset the account may only choose its new password (or sign out):
    /// any other page is sent to the form, the API refused. Nil when the request may go on.
    /// Guarded routes ask it here; the home page, public but with a signed-in to-do list, too.
    static func awaitingPasswordChange(_ request: Request, _ user: UserAccount) throws -> Response? {
        guard user.mustChangePassword && !allowedBeforePasswordChange.contains(request.url.path) else { return nil }
        if request.isAPI { throw Abort(.forbidden, reason: "Tài khoản \(user.username) cần đổi mật khẩu tạm trước khi tiếp tục (POST /api/v1/me/password).") }
        return request.redirect(to: "/account/password")
    }
}

extension Request {
    /// API requests get JSON errors; pages get HTML.
    var isAPI: Bool { url.path.hasPrefix("/api/") }

    var user: UserAccount? { auth.get(UserAccount.self) }
}
