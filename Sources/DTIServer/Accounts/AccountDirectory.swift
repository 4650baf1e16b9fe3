import Fluent
import SQLKit
import Vapor

/// What an administrator submits to create an account (form or JSON).
struct UserInput: Content {
    var username: String
    var displayName: String
    var password: String
    var role: String
    /// The unit of a focal point or unit leader.
    var unitCode: String?
    /// Evaluators: unit codes they may evaluate, separated by ";" or ",".
    var scopeUnits: String?
    /// Evaluators: main index codes (fields of criteria), separated by ";" or ",".
    var scopeFields: String?
    /// Where notifications are e-mailed.
    var email: String?
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

/// Accounts and tokens: every rule checked before anything is written.
struct AccountDirectory {
    let policy: PasswordPolicy

    /// Display names by username (people are named, not their logins): of every account, or of
    /// `usernames` only. Two columns read as SQL rows: Fluent's model decoding (reflection per
    /// row) made this a quarter of a signed-in form's time with 200 accounts.
    static func displayNames(of usernames: Set<String>? = nil, on db: any Database) async throws -> [String: String] {
        let query = try db.sql.select().column("username").column("display_name").from(UserAccount.schema)
        if let usernames { query.where(SQLColumn("username"), .in, SQLBind.group(Array(usernames))) }
        var names: [String: String] = [:]
        for row in try await query.all() {
            names[try row.decode(column: "username", as: String.self)] = try row.decode(column: "display_name", as: String.self)
        }
        return names
    }

    /// Letters without diacritics, digits, ".", "_", "-"; at most 64.
    static func isValidUsername(_ username: String) -> Bool {
        !username.isEmpty && username.count <= 64 && username.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// One "@" between a name and a domain, nothing that could end an SMTP command or a mail
    /// header (CR, LF, any control or space character) and none of `<>,;"\\` (issue 31, Low).
    static func isValidEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return email.count <= 200 && parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && SMTPMailer.isSafeAddress(email)
    }

    /// An evaluator's unit scope: every code must name a unit.
    static func scopeProblems(_ codes: [String], on db: any Database) async throws -> [String] {
        guard !codes.isEmpty else { return [] }
        let found = Set(try await UnitModel.query(on: db).filter(\.$code ~~ codes).all().map(\.code))
        return codes.filter { !found.contains($0) }.map { "Phạm vi đơn vị: không có đơn vị mã \"\($0.excerpt())\"." }
    }

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " }).map(String.init)
    }

    func create(_ input: UserInput, in ctx: ServiceContext) async throws -> Result<UserAccount, Problems> {
        var problems: [String] = []
        let username = input.username.trimmingCharacters(in: .whitespaces).lowercased()
        if !Self.isValidUsername(username) {
            problems.append("Tên đăng nhập chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới (tối đa 64 ký tự).")
        }
        let displayName = input.displayName.trimmingCharacters(in: .whitespaces)
        if displayName.isEmpty || displayName.count > 200 { problems.append("Họ tên không được để trống (tối đa 200 ký tự).") }
        if input.password.count > 256 { problems.append("Mật khẩu quá dài (tối đa 256 ký tự).") }
        else if let p = policy.problem(input.password, username: username) { problems.append(p) }
        let role = Role(rawValue: input.role)
        if role == nil { problems.append("Vai trò \"\(input.role)\" không hợp lệ; dùng \(Role.allCases.map(\.rawValue).joined(separator: ", ")).") }
        var unitID: UUID?
        if let role, role.isUnitRole {
            let code = (input.unitCode ?? "").trimmingCharacters(in: .whitespaces)
            if let unit = try await UnitModel.query(on: ctx.db).filter(\.$code == code).first() { unitID = unit.id } else {
                problems.append("Vai trò \(role.label) cần mã của một đơn vị có thật (xem trang Đơn vị, ví dụ SNNPTNT).")
            }
        }
        let scopeUnits = Self.list(input.scopeUnits), scopeFields = Self.list(input.scopeFields)
        if role != .evaluator && !(scopeUnits.isEmpty && scopeFields.isEmpty) {
            problems.append("Chỉ chuyên viên thẩm định mới có phạm vi đơn vị hoặc lĩnh vực.")
        }
        problems += try await Self.scopeProblems(scopeUnits, on: ctx.db)
        if try await UserAccount.query(on: ctx.db).filter(\.$username == username).first() != nil {
            problems.append("Tên đăng nhập \"\(username)\" đã tồn tại.")
        }
        let email = (input.email ?? "").trimmingCharacters(in: .whitespaces)
        if !email.isEmpty && !Self.isValidEmail(email) {
            problems.append("Địa chỉ thư \"\(email)\" không hợp lệ.")
        }
        guard problems.isEmpty, let role else { return .failure(Problems(messages: problems)) }
        let user = UserAccount(username: username, displayName: displayName,
                               passwordHash: try await ctx.hashPassword(input.password), role: role, unitID: unitID)
        user.scopeUnits = scopeUnits.joined(separator: ";")
        user.scopeFields = scopeFields.joined(separator: ";")
        user.email = email
        try await ctx.db.retryingTransaction { tx in
            try await user.create(on: tx)
            try await AuditLog.record(ctx, actor: ctx.actor, action: "user_created", target: username, detail: role.rawValue, on: tx)
        }
        return .success(user)
    }

    static let defaultTokenDays = 90

    /// Issues a bearer token; it is shown once and only its hash is kept.
    func issueToken(_ input: TokenInput, in ctx: ServiceContext) async throws -> Result<IssuedToken, Problems> {
        var problems: [String] = []
        let user = try await UserAccount.query(on: ctx.db).filter(\.$username == input.username.trimmingCharacters(in: .whitespaces).lowercased()).first()
        if user == nil { problems.append("Không có tài khoản \"\(input.username)\".") }
        if input.name.trimmingCharacters(in: .whitespaces).isEmpty || input.name.count > 100 { problems.append("Tên mã truy cập không được để trống (tối đa 100 ký tự).") }
        if let days = input.days, !(1...3650).contains(days) { problems.append("Số ngày hiệu lực phải từ 1 đến 3650.") }
        guard problems.isEmpty, let user else { return .failure(Problems(messages: problems)) }
        let token = "dti_" + [UInt8].random(count: 32).base64URLEncoded
        // Every token expires: 90 days unless the administrator says otherwise.
        let expires: Date? = ctx.now.addingTimeInterval(Double(input.days ?? Self.defaultTokenDays) * 86_400)
        try await ctx.db.retryingTransaction { tx in
            try await ApiToken(userID: user.id!, name: input.name, tokenHash: SHA256.hash(data: Data(token.utf8)).hex, expiresAt: expires).create(on: tx)
            try await AuditLog.record(ctx, actor: ctx.actor, action: "token_issued", target: user.username, detail: input.name, on: tx)
        }
        return .success(IssuedToken(token: token, username: user.username, name: input.name, expiresAt: expires))
    }

    static func rows(on db: any Database) async throws -> [UserRow] {
        try await UserAccount.query(on: db).with(\.$unit).sort(\.$username).all().map(row)
    }

    static func row(_ user: UserAccount) -> UserRow {
        UserRow(id: user.id, username: user.username, displayName: user.displayName, role: user.role.rawValue, roleLabel: user.role.label,
                unitCode: user.$unit.value??.code, scopeUnits: list(user.scopeUnits), scopeFields: list(user.scopeFields),
                locked: (user.lockedUntil ?? .distantPast) > Date(), active: user.active, mustChangePassword: user.mustChangePassword)
    }
}

/// Problems found in a submission, in Vietnamese, to show all at once.
struct Problems: Error {
    var messages: [String]
    var abort: DomainError { .invalid(messages.joined(separator: "\n")) }
}
