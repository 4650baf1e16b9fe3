import DTICore
import DTIFormats
import Fluent
import Vapor

/// Accounts created in bulk from a spreadsheet (XLSX) or CSV file: a focal
/// point and a leader per unit, all or nothing, every refusal named by its
/// row and column; each account gets a temporary password, shown once in a
/// printable list and changed at its first sign-in.
enum BulkAccounts {
    struct Row: Sendable {
        var line: Int
        var unit: String
        var role: String
        var username: String
        var displayName: String
        var email: String
    }

    struct Created: Content {
        var username: String
        var displayName: String
        var unitCode: String
        var unitName: String
        var role: String
        var roleLabel: String
        var password: String
    }

    /// The columns by their header, Vietnamese or English, with or without diacritics.
    static let columns: [(key: String, names: [String], label: String)] = [
        ("unit", ["ma don vi", "unit", "unit_code", "unitcode", "don vi"], "Mã đơn vị"),
        ("role", ["vai tro", "role"], "Vai trò"),
        ("username", ["ten dang nhap", "username"], "Tên đăng nhập"),
        ("name", ["ho ten", "ho va ten", "display_name", "displayname", "name"], "Họ tên"),
        ("email", ["thu dien tu", "email", "e-mail"], "Thư điện tử"),
    ]

    /// The rows of an uploaded file, read on the spreadsheet thread within the limits its size allows.
    static func read(_ data: Data, fileName: String, on work: SpreadsheetWork) async throws -> [Row] {
        try await work.read(data) { data, limits in try read(data, fileName: fileName, limits: limits) }
    }

    /// The rows of an uploaded file: XLSX (its first sheet) or CSV.
    static func read(_ data: Data, fileName: String, limits: WorkbookReader.Limits) throws -> [Row] {
        var table: [(line: Int, cells: [String])] = []
        if data.starts(with: [0x50, 0x4B]) || fileName.lowercased().hasSuffix(".xlsx") {
            let book: WorkbookReader
            do { book = try WorkbookReader(data: data, limits: limits) } catch let problem as WorkbookReader.Problem {
                throw DomainError.invalid("Tệp \(fileName.excerpt()): \(problem.message)")
            }
            guard let sheet = book.sheets.first else { throw DomainError.invalid("Tệp \(fileName.excerpt()) không có trang tính nào.") }
            // Only the columns the header names are read: a stray cell in column XFD
            // must not make every row 16,384 cells wide.
            let headerRow = sheet.rows.first
            let width = min(64, (headerRow?.cells.keys.max() ?? -1) + 1)
            for row in sheet.rows {
                table.append((row.number, (0..<width).map { row.cells[$0] ?? "" }))
            }
        } else {
            do {
                let doc = try CSVReader.parse([UInt8](data), file: fileName)
                table = [(doc.header.line, doc.header.fields)] + doc.records.map { ($0.line, $0.fields) }
            } catch let problem {
                throw DomainError.invalid(problem.description)
            }
        }
        guard let header = table.first else { throw DomainError.invalid("Tệp \(fileName.excerpt()) trống.") }
        var index: [String: Int] = [:]
        for (i, name) in header.cells.enumerated() {
            let key = VietnameseText.searchKey(name.trimmingCharacters(in: .whitespaces))
            if let column = columns.first(where: { $0.names.contains(key) }) { index[column.key] = i }
        }
        let missing = columns.filter { ["unit", "role"].contains($0.key) && index[$0.key] == nil }.map(\.label)
        if !missing.isEmpty {
            throw DomainError.invalid("Tệp \(fileName.excerpt()), dòng \(header.line): thiếu cột \(missing.joined(separator: ", ")) (các cột: \(columns.map(\.label).joined(separator: ", "))).")
        }
        return table.dropFirst().compactMap { line, cells in
            func cell(_ key: String) -> String { index[key].flatMap { $0 < cells.count ? cells[$0] : nil }?.trimmingCharacters(in: .whitespaces) ?? "" }
            let row = Row(line: line, unit: cell("unit"), role: cell("role"), username: cell("username").lowercased(), displayName: cell("name"), email: cell("email"))
            return row.unit.isEmpty && row.role.isEmpty && row.username.isEmpty && row.displayName.isEmpty ? nil : row
        }
    }

    static func role(_ text: String) -> Role? {
        switch VietnameseText.searchKey(text) {
        case "focal_point", "dau moi", "can bo dau moi": return .focalPoint
        case "unit_leader", "lanh dao", "lanh dao don vi": return .unitLeader
        default: return nil
        }
    }

    /// Checks every row, then creates every account in one transaction, or
    /// none. A missing username is made from the role and the unit code
    /// (daumoi.snnptnt, lanhdao.snnptnt).
    static func create(_ rows: [Row], file: String, policy: PasswordPolicy, in ctx: ServiceContext) async throws -> Result<[Created], Problems> {
        var problems: [String] = []
        if rows.isEmpty { problems.append("Tệp \(file.excerpt()) không có dòng tài khoản nào.") }
        if rows.count > 2000 { problems.append("Mỗi lần tạo tối đa 2000 tài khoản.") }
        let units = Dictionary(try await UnitModel.query(on: ctx.db).all().map { ($0.code.uppercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let taken = Set(try await UserAccount.query(on: ctx.db).field(\.$username).all().map(\.username))
        var seen: [String: Int] = [:]
        var planned: [(Row, Role, UnitModel, String)] = []
        for row in rows {
            let place = "Dòng \(row.line)"
            let unit = units[row.unit.uppercased()]
            if unit == nil { problems.append("\(place), cột Mã đơn vị: không có đơn vị mã \"\(row.unit.excerpt())\".") }
            if let unit, unit.validUntil != nil { problems.append("\(place), cột Mã đơn vị: đơn vị \(unit.name) đã thôi tồn tại.") }
            let role = role(row.role)
            if role == nil { problems.append("\(place), cột Vai trò: \"\(row.role.excerpt())\" không hợp lệ; dùng \"đầu mối\" hoặc \"lãnh đạo\".") }
            guard let unit, let role else { continue }
            let username = row.username.isEmpty ? (role == .focalPoint ? "daumoi." : "lanhdao.") + VietnameseText.searchKey(unit.code).replacingOccurrences(of: " ", with: "") : row.username
            if !AccountDirectory.isValidUsername(username) {
                problems.append("\(place), cột Tên đăng nhập: \"\(username.excerpt())\" chỉ được gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới.")
            }
            if taken.contains(username) { problems.append("\(place), cột Tên đăng nhập: \"\(username)\" đã tồn tại.") }
            if let earlier = seen[username] { problems.append("\(place), cột Tên đăng nhập: \"\(username)\" trùng với dòng \(earlier).") }
            seen[username] = row.line
            let name = row.displayName.isEmpty ? "\(role.label) \(unit.name)" : row.displayName
            if name.count > 200 { problems.append("\(place), cột Họ tên: quá dài (tối đa 200 ký tự).") }
            if !row.email.isEmpty && !AccountDirectory.isValidEmail(row.email) {
                problems.append("\(place), cột Thư điện tử: \"\(row.email.excerpt())\" không hợp lệ.")
            }
            planned.append((row, role, unit, username))
        }
        guard problems.isEmpty else { return .failure(Problems(messages: problems)) }
        var created: [Created] = []
        var accounts: [UserAccount] = []
        for (row, role, unit, username) in planned {
            let password = AccountDirectory(policy: policy).temporaryPassword(for: username)
            let account = UserAccount(username: username, displayName: row.displayName.isEmpty ? "\(role.label) \(unit.name)" : row.displayName,
                                      passwordHash: try await ctx.hashPassword(password), role: role, unitID: unit.id)
            account.email = row.email
            account.mustChangePassword = true
            accounts.append(account)
            created.append(Created(username: username, displayName: account.displayName, unitCode: unit.code, unitName: unit.name,
                                   role: role.rawValue, roleLabel: role.label, password: password))
        }
        let all = accounts
        try await ctx.db.retryingTransaction { tx in
            for account in all { try await account.create(on: tx) }
            try await AuditLog.record(ctx, actor: ctx.actor, action: "users_imported", target: "\(all.count) tài khoản", detail: file, on: tx)
        }
        return .success(created)
    }
}
