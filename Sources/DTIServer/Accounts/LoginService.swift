import DTICore
import Fluent
import Vapor

/// Password sign-in with throttling (ADR 0039). Every attempt is counted
/// before its password is checked, in one statement, so that guesses sent at
/// once each take a place. A browser the owner never signed in from counts
/// against the account: after `maxFailures` wrong passwords the account is
/// locked for such browsers for `lockout`, and the owner is sent a code that
/// makes a browser theirs. The owner's own browsers (`TrustedDevices`) are
/// counted each on its own and are not locked out by a stranger's guesses;
/// a lock stops neither the owner's sessions nor their API tokens. One
/// address may fail 20 times in 10 minutes, whatever the accounts; a right
/// password does not clear its count. Every attempt goes to the audit log.
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

    /// A signed-in account, and the token of the cookie that makes the browser one of its owner's
    /// (nil when the browser already was).
    struct SignedIn {
        var user: UserAccount
        var newDevice: String?

        /// Sets the cookie that makes the browser its owner's, when it is new; Secure when the
        /// session's cookie is.
        func rememberBrowser(_ response: Response, on request: Request) -> Response {
            if let token = newDevice {
                let secure = request.application.sessions.configuration.cookieFactory(SessionID(string: "")).isSecure
                response.cookies[TrustedDevices.cookieName] = TrustedDevices.cookie(token, secure: secure)
            }
            return response
        }
    }

    /// A hash of nothing in particular, checked when the account does not exist.
    static let timingHash: String = (try? Bcrypt.hash("opendti-timing-equaliser")) ?? ""

    func attempt(_ request: Request, username: String, password: String) async throws -> Result<SignedIn, Failure> {
        let name = username.trimmingCharacters(in: .whitespaces).lowercased()
        let user = try await Self.activeAccount(name, on: request.db)
        if let user, let device = try await TrustedDevices.presented(request, for: user),
           try await TrustedDevices.reserveAttempt(device, allowance: maxFailures, on: request.db) {
            return try await checkOnOwnBrowser(request, user: user, device: device, password: password)
        }
        guard let place = try await reserveAddress(request, name: name) else { return .failure(.tooManyFromAddress) }
        let result = try await check(request, name: name, user: user, password: password)
        if case .success = result { addresses.release(place.address, at: place.at) }
        return result
    }

    /// Takes the attempt's place in the address's count (`AddressThrottle.reserve`): the address
    /// and the time, to give it back after a right password, or nil — refused and audited — when
    /// the address has used its failures.
    private func reserveAddress(_ request: Request, name: String) async throws -> (address: String, at: Date)? {
        let address = AddressThrottle.address(of: request), now = request.now
        guard addresses.reserve(address, now: now) else {
            try await AuditLog.record(request, actor: nil, action: "login_refused_address", target: name.excerpt(), detail: address)
            return nil
        }
        return (address, now)
    }

    static func activeAccount(_ name: String, on db: any Database) async throws -> UserAccount? {
        try await UserAccount.query(on: db).filter(\.$username == name).filter(\.$active == true).first()
    }

    /// A browser the owner signed in from: neither the address's count nor the account's lock
    /// applies, only the browser's own allowance (taken before this is called).
    private func checkOnOwnBrowser(_ request: Request, user: UserAccount, device: TrustedDevice, password: String) async throws -> Result<SignedIn, Failure> {
        if try await request.application.passwordWork.verify(password, created: user.passwordHash) {
            try await TrustedDevices.succeeded(device, on: request.db)
            try await AuditLog.record(request, actor: user, action: "login", target: user.username, detail: "trình duyệt quen")
            return .success(SignedIn(user: user, newDevice: nil))
        }
        try await AuditLog.record(request, actor: user, action: "login_failed", target: user.username,
                                  detail: "trình duyệt quen, lần sai thứ \(device.failures + 1)")
        return .failure(.wrongCredentials)
    }

    /// A browser the owner never signed in from (or one that used up its allowance).
    func check(_ request: Request, name: String, user: UserAccount?, password: String) async throws -> Result<SignedIn, Failure> {
        let work = request.application.passwordWork
        guard let user else {
            // Spend the same time as a real check, so timing does not reveal which accounts exist.
            _ = try await work.verify(password, created: Self.timingHash)
            try await AuditLog.record(request, actor: nil, action: "login_failed", target: name, detail: "tài khoản không tồn tại")
            return .failure(.wrongCredentials)
        }
        guard let count = try await SignInCounts.reserveAttempt(user, now: request.now, on: request.db), count <= maxFailures else {
            // Locked, or more attempts at once than the account has left: not checked, with the same
            // work as a real check, so timing does not tell a locked account either.
            _ = try await work.verify(password, created: Self.timingHash)
            try await AuditLog.record(request, actor: user, action: "login_refused_locked", target: user.username)
            return .failure(.wrongCredentials)
        }
        if try await work.verify(password, created: user.passwordHash) {
            try await SignInCounts.clear(user, on: request.db)
            try await AuditLog.record(request, actor: user, action: "login", target: user.username)
            return .success(SignedIn(user: user, newDevice: try await TrustedDevices.remember(user, now: request.now, on: request.db)))
        }
        guard count >= maxFailures else {
            try await AuditLog.record(request, actor: user, action: "login_failed", target: user.username, detail: "lần sai thứ \(count)")
            return .failure(.wrongCredentials)
        }
        let until = request.now.addingTimeInterval(lockout)
        try await SignInCounts.lock(user, until: until, on: request.db)
        try await AuditLog.record(request, actor: user, action: "login_failed", target: user.username, detail: "lần sai thứ \(count); khóa tài khoản")
        try await tellOwner(user, lockedUntil: until, now: request.now, on: request.db)
        return .failure(.wrongCredentials)
    }

    /// Told to the owner, not to whoever typed the name: in the application and by e-mail, with a
    /// code that makes the browser it is typed in the owner's (at most one code a day).
    private func tellOwner(_ user: UserAccount, lockedUntil until: Date, now: Date, on db: any Database) async throws {
        let f = DateFormatter()
        f.dateFormat = "HH:mm dd/MM/yyyy"
        f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        guard let code = try await TrustedDevices.mailedCode(for: user, now: now, on: db) else { return }
        try await Notifier.notify([user], kind: "account_locked", subject: "Tài khoản OpenDTI tạm khóa",
                                  body: """
                                  Tài khoản \(user.username) bị tạm khóa đến \(f.string(from: until)) với các trình duyệt chưa từng đăng nhập, vì nhập sai mật khẩu \(maxFailures) lần liên tiếp. \
                                  Trình duyệt bạn đã đăng nhập trước đây vẫn dùng được. Trên một trình duyệt khác, mở trang "Đăng nhập bằng mã" (/login/code) và nhập mã \(code) cùng mật khẩu; mã dùng được một lần, trong 24 giờ. \
                                  Nếu không phải bạn nhập sai, hãy báo quản trị.
                                  """,
                                  link: "/login/code", on: db)
    }

    /// Signs in with an e-mailed code, the password and the account's name: the browser becomes
    /// one of the owner's, even while the account is locked for others. The address's count applies.
    func attemptWithCode(_ request: Request, username: String, code: String, password: String) async throws -> Result<SignedIn, Failure> {
        let name = username.trimmingCharacters(in: .whitespaces).lowercased()
        guard let place = try await reserveAddress(request, name: name) else { return .failure(.tooManyFromAddress) }
        let work = request.application.passwordWork
        guard let user = try await Self.activeAccount(name, on: request.db),
              let mailed = try await TrustedDevices.mailed(code, for: user, now: request.now, on: request.db),
              try await TrustedDevices.reserveAttempt(mailed, allowance: maxFailures, on: request.db) else {
            _ = try await work.verify(password, created: Self.timingHash)
            try await AuditLog.record(request, actor: nil, action: "login_code_failed", target: name.excerpt(), detail: "mã không đúng hoặc đã hết hạn")
            return .failure(.wrongCredentials)
        }
        guard try await work.verify(password, created: user.passwordHash) else {
            try await AuditLog.record(request, actor: user, action: "login_code_failed", target: user.username, detail: "mật khẩu sai")
            return .failure(.wrongCredentials)
        }
        addresses.release(place.address, at: place.at)
        let token = try await TrustedDevices.adopt(mailed, now: request.now, on: request.db)
        try await AuditLog.record(request, actor: user, action: "login", target: user.username, detail: "mã gửi qua thư")
        return .success(SignedIn(user: user, newDevice: token))
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
