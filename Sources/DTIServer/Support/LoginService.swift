import Fluent
import Vapor

/// Password sign-in with throttling: after `maxFailures` wrong passwords an
/// account is locked for `lockout`. Every attempt goes to the audit log.
struct LoginService {
    var maxFailures: Int
    var lockout: TimeInterval

    enum Failure: Error {
        case wrongCredentials
        case locked(until: Date)

        var message: String {
            switch self {
            case .wrongCredentials:
                return "Tên đăng nhập hoặc mật khẩu không đúng."
            case .locked(let until):
                let f = DateFormatter()
                f.dateFormat = "HH:mm dd/MM/yyyy"
                f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
                return "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Thử lại sau \(f.string(from: until))."
            }
        }
    }

    /// A hash of nothing in particular, checked when the account does not exist.
    static let timingHash: String = (try? Bcrypt.hash("opendti-timing-equaliser")) ?? ""

    func attempt(_ request: Request, username: String, password: String) async throws -> Result<UserAccount, Failure> {
        let name = username.trimmingCharacters(in: .whitespaces).lowercased()
        guard let user = try await UserAccount.query(on: request.db).filter(\.$username == name).first(), user.active else {
            // Spend the same time as a real check, so timing does not reveal which accounts exist.
            _ = try? await request.password.async.verify(password, created: Self.timingHash)
            try await AuditLog.record(request, actor: nil, action: "login_failed", target: name, detail: "tài khoản không tồn tại")
            return .failure(.wrongCredentials)
        }
        if let until = user.lockedUntil, until > Date() {
            try await AuditLog.record(request, actor: user, action: "login_refused_locked", target: user.username)
            return .failure(.locked(until: until))
        }
        if try await request.password.async.verify(password, created: user.passwordHash) {
            user.failedLogins = 0
            user.lockedUntil = nil
            try await user.save(on: request.db)
            try await AuditLog.record(request, actor: user, action: "login", target: user.username)
            return .success(user)
        }
        user.failedLogins += 1
        var detail = "lần sai thứ \(user.failedLogins)"
        if user.failedLogins >= maxFailures {
            user.lockedUntil = Date().addingTimeInterval(lockout)
            user.failedLogins = 0
            detail += "; khóa tài khoản"
        }
        try await user.save(on: request.db)
        try await AuditLog.record(request, actor: user, action: "login_failed", target: user.username, detail: detail)
        if let until = user.lockedUntil, until > Date() { return .failure(.locked(until: until)) }
        return .failure(.wrongCredentials)
    }

    /// Marks the session as signed in, starting its timeouts, with a fresh
    /// CSRF token (the old one may have been seen by someone else).
    static func startSession(_ request: Request, _ user: UserAccount) {
        request.auth.login(user)
        request.session.data[SessionUserAuthenticator.userKey] = user.id?.uuidString
        let now = String(Date().timeIntervalSince1970)
        request.session.data[SessionTimeoutMiddleware.loginAtKey] = now
        request.session.data[SessionTimeoutMiddleware.lastSeenKey] = now
        request.session.data[CSRFMiddleware.sessionKey] = [UInt8].random(count: 24).base64URLEncoded
    }
}
