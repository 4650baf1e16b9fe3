import DTICore
import Fluent
import Vapor

/// Password sign-in with throttling: after `maxFailures` wrong passwords an
/// account is locked for `lockout`. Every attempt goes to the audit log.
struct LoginService {
    var maxFailures: Int
    var lockout: TimeInterval
    /// Failures from one address across accounts (20 in 10 minutes by default).
    var addresses = AddressThrottle(limit: 20, window: 600)

    enum Failure: Error {
        case wrongCredentials
        /// Too many failures from this address, whatever the account.
        case tooManyFromAddress

        /// One message for an unknown account, a locked one and a wrong
        /// password: the sign-in form must not tell who has an account. The
        /// owner of a locked account is told in the application and by e-mail.
        var message: String {
            switch self {
            case .wrongCredentials: return "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang tạm khóa. Nếu quên mật khẩu, hãy liên hệ quản trị."
            case .tooManyFromAddress: return "Có quá nhiều lần đăng nhập sai từ địa chỉ này. Hãy thử lại sau 10 phút."
            }
        }

        var status: HTTPResponseStatus { self == .tooManyFromAddress ? .tooManyRequests : .unauthorized }
    }

    /// A hash of nothing in particular, checked when the account does not exist.
    static let timingHash: String = (try? Bcrypt.hash("opendti-timing-equaliser")) ?? ""

    func attempt(_ request: Request, username: String, password: String) async throws -> Result<UserAccount, Failure> {
        let address = AddressThrottle.address(of: request)
        if addresses.isBlocked(address, now: request.now) {
            try await AuditLog.record(request, actor: nil, action: "login_refused_address", target: username.excerpt(), detail: address)
            return .failure(.tooManyFromAddress)
        }
        let result = try await check(request, username: username, password: password)
        switch result {
        case .success: addresses.recordSuccess(address)
        case .failure: addresses.recordFailure(address, now: request.now)
        }
        return result
    }

    func check(_ request: Request, username: String, password: String) async throws -> Result<UserAccount, Failure> {
        let name = username.trimmingCharacters(in: .whitespaces).lowercased()
        guard let user = try await UserAccount.query(on: request.db).filter(\.$username == name).first(), user.active else {
            // Spend the same time as a real check, so timing does not reveal which accounts exist.
            _ = try await request.application.passwordWork.verify(password, created: Self.timingHash)
            try await AuditLog.record(request, actor: nil, action: "login_failed", target: name, detail: "tài khoản không tồn tại")
            return .failure(.wrongCredentials)
        }
        if let until = user.lockedUntil, until > request.now {
            // The same work as a real check, so timing does not tell a locked account either.
            _ = try await request.application.passwordWork.verify(password, created: Self.timingHash)
            try await AuditLog.record(request, actor: user, action: "login_refused_locked", target: user.username)
            return .failure(.wrongCredentials)
        }
        if try await request.application.passwordWork.verify(password, created: user.passwordHash) {
            user.failedLogins = 0
            user.lockedUntil = nil
            try await user.save(on: request.db)
            try await AuditLog.record(request, actor: user, action: "login", target: user.username)
            return .success(user)
        }
        user.failedLogins += 1
        var detail = "lần sai thứ \(user.failedLogins)"
        var lockedNow: Date?
        if user.failedLogins >= maxFailures {
            let until = request.now.addingTimeInterval(lockout)
            user.lockedUntil = until
            user.failedLogins = 0
            lockedNow = until
            detail += "; khóa tài khoản"
        }
        try await user.save(on: request.db)
        try await AuditLog.record(request, actor: user, action: "login_failed", target: user.username, detail: detail)
        if let until = lockedNow {
            // Told to the owner, not to whoever typed the name.
            let f = DateFormatter()
            f.dateFormat = "HH:mm dd/MM/yyyy"
            f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
            try await Notifier.notify([user], kind: "account_locked", subject: "Tài khoản OpenDTI tạm khóa",
                                      body: "Tài khoản \(user.username) bị tạm khóa đến \(f.string(from: until)) vì nhập sai mật khẩu \(maxFailures) lần liên tiếp. Nếu không phải bạn, hãy báo quản trị.",
                                      on: request.db)
        }
        return .failure(.wrongCredentials)
    }

    /// Marks the session as signed in, starting its timeouts, with a new
    /// session id (the old one may have been planted: session fixation) and a
    /// fresh CSRF token (the old one may have been seen by someone else).
    static func startSession(_ request: Request, _ user: UserAccount) async throws {
        if let old = request.session.id {
            try await request.application.sessions.driver.deleteSession(old, for: request).get()
            request.session.id = nil
        }
        request.auth.login(user)
        request.session.data[SessionUserAuthenticator.userKey] = user.id?.uuidString
        let now = String(request.now.timeIntervalSince1970)
        request.session.data[SessionTimeoutMiddleware.loginAtKey] = now
        request.session.data[SessionTimeoutMiddleware.lastSeenKey] = now
        request.session.data[CSRFMiddleware.sessionKey] = [UInt8].random(count: 24).base64URLEncoded
    }
}
