import Fluent
import Vapor

/// What an administrator changes in an account (form or JSON); absent
/// fields stay as they are.
struct AccountUpdate: Content {
    var displayName: String?
    var email: String?
    var role: String?
    /// A unit code, or what the picker shows ("SNNPTNT — Sở Nông nghiệp…").
    var unitCode: String?
    var scopeUnits: String?
    var scopeFields: String?
}

/// A temporary password, shown once to the administrator who reset it.
struct TemporaryPassword: Content {
    var username: String
    var password: String
}

struct PasswordChange: Content {
    var current: String
    var new: String
    var confirm: String?
}

/// Changes to existing accounts: edit, disable and enable, unlock, reset a
/// password (a temporary one, changed at the next sign-in), one's own
/// password. The last active administrator is never disabled or demoted.
extension AccountDirectory {
    static func find(_ username: String, on db: any Database) async throws -> UserAccount {
        guard let user = try await UserAccount.query(on: db).filter(\.$username == username.lowercased()).with(\.$unit).first() else {
            throw DomainError.notFound("Không có tài khoản \"\(username.excerpt())\".")
        }
        return user
    }

    /// The unit a picker's text names: its code, or "CODE — name".
    static func unitCode(fromPicker text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.components(separatedBy: " — ").first?.trimmingCharacters(in: .whitespaces) ?? trimmed
    }

    func update(_ user: UserAccount, with change: AccountUpdate, in ctx: ServiceContext) async throws -> Result<UserAccount, Problems> {
        var problems: [String] = []
        let displayName = (change.displayName ?? user.displayName).trimmingCharacters(in: .whitespaces)
        if displayName.isEmpty || displayName.count > 200 { problems.append("Họ tên không được để trống (tối đa 200 ký tự).") }
        let role = change.role.map { Role(rawValue: $0) } ?? user.role
        if role == nil { problems.append("Vai trò \"\(change.role ?? "")\" không hợp lệ; dùng \(Role.allCases.map(\.rawValue).joined(separator: ", ")).") }
        var unitID: UUID? = nil
        if let role, role.isUnitRole {
            let code = change.unitCode.map(Self.unitCode(fromPicker:)) ?? user.unit?.code ?? ""
            if let unit = try await UnitModel.query(on: ctx.db).filter(\.$code == code).first() { unitID = unit.id } else {
                problems.append(code.isEmpty ? "Vai trò \(role.label) cần chọn một đơn vị." : "Không có đơn vị mã \"\(code.excerpt())\"; hãy chọn trong danh sách.")
            }
        }
        let scopeUnits = Self.list(change.scopeUnits ?? user.scopeUnits), scopeFields = Self.list(change.scopeFields ?? user.scopeFields)
        if role != .evaluator && !(scopeUnits.isEmpty && scopeFields.isEmpty) && (change.scopeUnits != nil || change.scopeFields != nil) {
            problems.append("Chỉ chuyên viên thẩm định mới có phạm vi đơn vị hoặc lĩnh vực.")
        }
        problems += try await Self.scopeProblems(scopeUnits, on: ctx.db)
        let email = (change.email ?? user.email).trimmingCharacters(in: .whitespaces)
        if !email.isEmpty && !Self.isValidEmail(email) {
            problems.append("Địa chỉ thư \"\(email.excerpt())\" không hợp lệ.")
        }
        if user.role == .administrator && role != .administrator, try await Self.isLastAdministrator(user, on: ctx.db) {
            problems.append("Đây là tài khoản quản trị duy nhất còn hoạt động; không thể đổi vai trò.")
        }
        guard problems.isEmpty, let role else { return .failure(Problems(messages: problems)) }
        var changed: [String] = []
        if displayName != user.displayName { changed.append("họ tên") }
        if email != user.email { changed.append("thư điện tử") }
        if role != user.role { changed.append("vai trò \(user.role.rawValue) → \(role.rawValue)") }
        if unitID != user.$unit.id { changed.append("đơn vị") }
        let units = role == .evaluator ? scopeUnits.joined(separator: ";") : "", fields = role == .evaluator ? scopeFields.joined(separator: ";") : ""
        if units != user.scopeUnits || fields != user.scopeFields { changed.append("phạm vi") }
        user.displayName = displayName; user.email = email; user.roleName = role.rawValue; user.$unit.id = unitID
        user.scopeUnits = units; user.scopeFields = fields
        let summary = changed
        try await ctx.db.retryingTransaction { tx in
            try await user.save(on: tx)
            try await AuditLog.record(ctx, actor: ctx.actor, action: "user_updated", target: user.username,
                                      detail: summary.isEmpty ? "không thay đổi" : summary.joined(separator: ", "), on: tx)
        }
        return .success(user)
    }

    static func isLastAdministrator(_ user: UserAccount, on db: any Database) async throws -> Bool {
        try await UserAccount.query(on: db).filter(\.$roleName == Role.administrator.rawValue).filter(\.$active == true)
            .filter(\.$id != user.id!).count() == 0
    }

    /// Disables or enables an account; a disabled account cannot sign in, its
    /// sessions end at their next request and its tokens are revoked, so that
    /// enabling it again brings none of them back (ADR 0039).
    func setActive(_ user: UserAccount, _ active: Bool, in ctx: ServiceContext) async throws {
        if !active {
            if user.id == ctx.actor?.id { throw DomainError.conflict("Không thể tự khóa tài khoản đang dùng.") }
            if user.role == .administrator, try await Self.isLastAdministrator(user, on: ctx.db) {
                throw DomainError.conflict("Đây là tài khoản quản trị duy nhất còn hoạt động; không thể khóa.")
            }
        }
        guard user.active != active else { return }
        user.active = active
        if !active { user.sessionsValidFrom = ctx.now }
        try await ctx.db.retryingTransaction { tx in
            try await user.save(on: tx)
            if !active {
                // Ended for good: enabling the account again brings none of them back.
                try await ApiToken.query(on: tx).filter(\.$user.$id == user.id!).filter(\.$revoked == false).set(\.$revoked, to: true).update()
                try await TrustedDevices.forget(user, on: tx)
            }
            try await AuditLog.record(ctx, actor: ctx.actor, action: active ? "user_enabled" : "user_disabled", target: user.username,
                                      detail: active ? "" : "phiên đăng nhập và mã API của tài khoản đã kết thúc", on: tx)
        }
    }

    /// Lifts a lockout after too many failed sign-ins.
    func unlock(_ user: UserAccount, in ctx: ServiceContext) async throws {
        user.lockedUntil = nil
        user.failedLogins = 0
        try await ctx.db.retryingTransaction { tx in
            try await user.save(on: tx)
            try await AuditLog.record(ctx, actor: ctx.actor, action: "user_unlocked", target: user.username, on: tx)
        }
    }

    /// A new random password, stored only as its hash and shown once; the
    /// account must choose its own at the next sign-in. A lockout is lifted
    /// and the account's sessions end.
    func resetPassword(_ user: UserAccount, in ctx: ServiceContext) async throws -> TemporaryPassword {
        let password = temporaryPassword(for: user.username)
        user.passwordHash = try await ctx.hashPassword(password)
        user.mustChangePassword = true
        user.lockedUntil = nil
        user.failedLogins = 0
        user.sessionsValidFrom = ctx.now   // whoever held a session with the old password is signed out
        try await ctx.db.retryingTransaction { tx in
            try await user.save(on: tx)
            try await AuditLog.record(ctx, actor: ctx.actor, action: "password_reset", target: user.username, on: tx)
        }
        return TemporaryPassword(username: user.username, password: password)
    }

    /// A temporary password for `username` that the policy accepts.
    func temporaryPassword(for username: String) -> String {
        var password: String
        repeat { password = Self.temporaryPassword(length: max(14, policy.minLength)) } while policy.problem(password, username: username) != nil
        return password
    }

    /// Characters from an alphabet without look-alikes (no 0/O, 1/l/I),
    /// with letters, digits and a sign, so it meets the password policy.
    static func temporaryPassword(length: Int = 14) -> String {
        let letters = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"), digits = Array("23456789"), signs = Array("#@%+=")
        var chars = (0..<(length - 4)).map { _ in letters.randomElement()! } + (0..<3).map { _ in digits.randomElement()! } + [signs.randomElement()!]
        chars.shuffle()
        return String(chars)
    }

    /// One's own password: the current one, then the new one twice. The
    /// account's other sessions end.
    func changeOwnPassword(_ change: PasswordChange, in ctx: ServiceContext) async throws -> Result<Void, Problems> {
        let user = try ctx.signedIn()
        var problems: [String] = []
        let matches = change.current.count <= 256 ? try await ctx.verifyPassword(change.current, user.passwordHash) : false
        if !matches {
            problems.append("Mật khẩu hiện tại không đúng.")
        }
        if change.new.count > 256 { problems.append("Mật khẩu mới quá dài (tối đa 256 ký tự).") }
        else if let p = policy.problem(change.new, username: user.username) { problems.append(p) }
        if let confirm = change.confirm, confirm != change.new { problems.append("Hai lần nhập mật khẩu mới không khớp.") }
        if change.new == change.current { problems.append("Mật khẩu mới phải khác mật khẩu hiện tại.") }
        guard problems.isEmpty else { return .failure(Problems(messages: problems)) }
        user.passwordHash = try await ctx.hashPassword(change.new)
        user.mustChangePassword = false
        // Every other session of the account ends; the caller starts this one anew (`LoginService.startSession`).
        user.sessionsValidFrom = ctx.now
        try await ctx.db.retryingTransaction { tx in
            try await user.save(on: tx)
            try await AuditLog.record(ctx, actor: user, action: "password_changed", target: user.username, on: tx)
        }
        return .success(())
    }
}
