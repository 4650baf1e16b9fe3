import Foundation
import Testing
import SQLKit
import Vapor
import VaporTesting
@testable import DTIServer

/// A test application on a fresh in-memory SQLite database (or on the
/// PostgreSQL of `DTI_TEST_DATABASE_URL`), loaded with the demo data.
///
/// The demo is seeded once per test process (`DemoTemplate`) and copied
/// into each test's fresh database: seeding takes about 3 s in a debug
/// build, copying a few milliseconds.
func withDemoApp(_ body: (Application) async throws -> Void) async throws {
    let template = try await DemoTemplate.shared.value
    let app = try await Application.make(.testing)
    var settings = ServerSettings(storage: .sqliteMemory, frameworksDirectory: TestPaths.frameworks)
    applyTestDatabase(&settings)
    do {
        try await configure(app, settings: settings)
        try await template.copy(into: app.db)
        try await body(app)
        try await dropTestSchema(app, settings)
    } catch {
        try? await dropTestSchema(app, settings)
        try? await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}

func dropTestSchema(_ app: Application, _ settings: ServerSettings) async throws {
    if let schema = settings.postgresSchema {
        try await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(unsafeRaw: schema) CASCADE").run()
    }
}

/// With `DTI_TEST_DATABASE_URL`, tests run on that PostgreSQL, each
/// application in a fresh schema of its own.
func applyTestDatabase(_ settings: inout ServerSettings) {
    if let url = ProcessInfo.processInfo.environment["DTI_TEST_DATABASE_URL"], !url.isEmpty {
        settings.storage = .postgres(url: url)
        settings.postgresSchema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        // Suites run side by side, each with an application of its own: two connections per event
        // loop keep them all within PostgreSQL's default 100 (four per loop reached it once forty
        // sign-ins at once joined the suites).
        settings.databaseConnectionsPerLoop = 2
        // Evidence files too: one folder per application.
        settings.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("opendti-test-\(UUID().uuidString)").path
    }
}

enum TestPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let frameworks = root.appendingPathComponent("frameworks").path
}

/// A browser: keeps the session cookie, the device cookie and the CSRF token between requests.
final class Browser: @unchecked Sendable {
    let app: Application
    var cookie: String?
    /// The cookie that makes this browser one its owner signed in from (`TrustedDevices`).
    var device: String?
    var csrf: String?

    /// The Cookie header this browser sends.
    var cookieHeader: String? {
        let parts = [cookie.map { "dti_session=\($0)" }, device.map { "\(TrustedDevices.cookieName)=\($0)" }].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    init(_ app: Application) { self.app = app }

    struct Result {
        var status: HTTPStatus
        var headers: HTTPHeaders
        var body: String
        func json<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: Data(body.utf8)) }
    }

    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, form: [String: String]? = nil, json: (any Encodable)? = nil,
              body: String? = nil, data: Data? = nil, contentType: HTTPMediaType? = nil, headers extra: HTTPHeaders = [:], withCSRF: Bool = true,
              live: Bool = false) async throws -> Result {
        var headers = extra
        if let cookieHeader { headers.replaceOrAdd(name: .cookie, value: cookieHeader) }
        if withCSRF, let csrf, method != .GET, form == nil { headers.replaceOrAdd(name: "X-CSRF-Token", value: csrf) }
        var buffer: ByteBuffer?
        if var form {
            if withCSRF, let csrf { form["csrf"] = csrf }
            let encoded = form.map { "\($0.key.urlEncoded)=\($0.value.urlEncoded)" }.joined(separator: "&")
            buffer = ByteBuffer(string: encoded)
            headers.contentType = .urlEncodedForm
        } else if let json {
            buffer = ByteBuffer(data: try JSONEncoder().encode(json))
            headers.contentType = .json
        } else if let body {
            buffer = ByteBuffer(string: body)
            headers.contentType = contentType ?? .plainText
        } else if let data {
            buffer = ByteBuffer(data: data)
            headers.contentType = contentType ?? .binary
        }
        var result: Result?
        // `live` sends the request through a real HTTP server, where body limits apply. Its port is
        // below Linux's ephemeral range (32768–60999), where the tests' own database connections
        // take their local ports: one of those made a live test fail with "Address already in use".
        let tester = live ? try app.testing(method: .running(hostname: "127.0.0.1", port: Int.random(in: 20_000...32_000))) : try app.testing()
        try await tester.test(method, path, headers: headers, body: buffer) { res async in
            result = Result(status: res.status, headers: res.headers, body: res.body.string)
        }
        let r = result!
        for set in r.headers[.setCookie] where set.hasPrefix("dti_session=") {
            cookie = String(set.dropFirst("dti_session=".count).prefix { $0 != ";" })
        }
        for set in r.headers[.setCookie] where set.hasPrefix("\(TrustedDevices.cookieName)=") {
            device = String(set.dropFirst(TrustedDevices.cookieName.count + 1).prefix { $0 != ";" })
        }
        // Pages carry the token in a hidden field, the session API in JSON.
        if let range = r.body.range(of: #"name="csrf" value=""#) {
            csrf = String(r.body[range.upperBound...].prefix { $0 != "\"" })
        } else if r.body.hasPrefix("{"), let info = try? JSONDecoder().decode([String: AnyDecodable].self, from: Data(r.body.utf8)),
                  case .string(let token)? = info["csrf"] {
            csrf = token
        }
        return r
    }

    /// An API token the signed-in administrator issues for `username`: its secret, shown once.
    func issueToken(for username: String, name: String) async throws -> String {
        struct Request_: Encodable { var username: String; var name: String }
        struct Issued: Decodable { var token: String }
        let issued = try await send(.POST, "/api/v1/tokens", json: Request_(username: username, name: name))
        #expect(issued.status == .created, "\(issued.body.prefix(300))")
        return try issued.json(Issued.self).token
    }

    /// Signs in through the login form.
    func signIn(_ username: String, password: String = DemoSeeder.password) async throws -> Result {
        try await send(.GET, "/login")
        let result = try await send(.POST, "/login", form: ["username": username, "password": password])
        // Follow the redirect, as a browser does: the signed-in page carries the new CSRF token.
        if result.status == .seeOther { try await send(.GET, result.headers.first(name: .location) ?? "/") }
        return result
    }
}

enum AnyDecodable: Decodable {
    case string(String), other
    init(from decoder: any Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) { self = .string(s) } else { self = .other }
    }
}

extension String {
    var urlEncoded: String {
        addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? self
    }
}

extension Browser {
    /// The bytes of a download (`send` keeps bodies as text).
    func download(_ path: String) async throws -> Data {
        var data = Data()
        var headers = HTTPHeaders()
        if let cookieHeader { headers.replaceOrAdd(name: .cookie, value: cookieHeader) }
        try await app.testing().test(.GET, path, headers: headers) { res async in
            #expect(res.status == .ok, "\(path) → \(res.status)")
            data = Data(buffer: res.body)
        }
        return data
    }

    /// Posts a `multipart/form-data` form as a browser does: the fields in
    /// order (the CSRF token first unless `csrf` is false), then the file.
    /// `truncated` cuts the body before its closing boundary.
    func upload(_ path: String, fields: [(String, String)] = [], file: (field: String, name: String, data: Data)?,
                more: [(field: String, name: String, data: Data)] = [], csrf: Bool = true, truncated: Bool = false) async throws -> Result {
        let boundary = "----OpenDTITest\(UUID().uuidString.prefix(8))"
        var body = Data()
        func part(_ name: String, fileName: String? = nil, _ content: Data) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"".utf8))
            if let fileName { body.append(Data("; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream".utf8)) }
            body.append(Data("\r\n\r\n".utf8))
            body.append(content)
            body.append(Data("\r\n".utf8))
        }
        if csrf, let token = self.csrf { part("csrf", Data(token.utf8)) }
        for (name, value) in fields { part(name, Data(value.utf8)) }
        if let file { part(file.field, fileName: file.name, file.data) }
        for extra in more { part(extra.field, fileName: extra.name, extra.data) }
        if truncated { body = body.prefix(body.count - 10) } else { body.append(Data("--\(boundary)--\r\n".utf8)) }
        return try await send(.POST, path, data: body, contentType: HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": boundary]),
                              withCSRF: false)
    }
}

/// Runs the built `dti` and returns its exit status and output.
func runDTI(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    var binary = Bundle.main.bundleURL
    if binary.pathExtension == "xctest" { binary.deleteLastPathComponent() }
    let process = Process()
    process.executableURL = binary.appendingPathComponent("dti")
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Runs the built `dti` with `arguments` and returns the "units" of its JSON
/// output; the command must succeed.
func dtiUnits(_ arguments: [String]) throws -> [[String: Any]] {
    let run = try runDTI(arguments)
    #expect(run.status == 0, "dti \(arguments.joined(separator: " ")): \(run.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    return try #require(json["units"] as? [[String: Any]])
}

/// A period with every phase open from 2020 to 2099, created by the
/// administrator through the form; returns its id.
func periodWithAllPhasesOpen(_ app: Application, year: Int, title: String, frameworks: [String: String]) async throws -> String {
    let admin = Browser(app)
    _ = try await admin.signIn("quantri")
    var form = ["year": String(year), "title": title]
    for (level, framework) in frameworks { form["fw_\(level)"] = framework }
    for phase in Phase.allCases { form["\(phase.rawValue)_from"] = "2020-01-01"; form["\(phase.rawValue)_to"] = "2099-12-31" }
    let r = try await admin.send(.POST, "/admin/periods", form: form)
    #expect(r.status == .seeOther, "\(r.body.prefix(500))")
    return String(try #require(r.headers.first(name: .location)).dropFirst("/periods/".count))
}

/// Runs a Python script (openpyxl, python-docx) and returns what it printed.
func python(_ script: String, _ args: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + args
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let problems = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus != 0 { Issue.record("python failed: \(String(decoding: problems, as: UTF8.self))") }
    return String(decoding: data, as: UTF8.self)
}

extension Browser {
    /// What the page's one form (`answers` or `scores`) carries for a row: its hidden fields as the page wrote them.
    func hiddenFields(of page: String, row code: String) -> [(String, String)] {
        ["version", "read"].compactMap { field in
            guard let range = page.range(of: "name=\"\(field).\(code)\" value=\"") else { return nil }
            return ("\(field).\(code)", String(page[range.upperBound...].prefix { $0 != "\"" }))
        }
    }

    /// Types into rows of the self-assessment page's one form and presses
    /// "Lưu tất cả thay đổi", as a browser sends it: each row with the version
    /// and digest the page showed. Returns the redirect and the page it leads to.
    func saveSheet(_ path: String, _ rows: [(code: String, fields: [(String, String)])], page: String? = nil) async throws -> (post: Result, page: Result) {
        var shown = page ?? ""
        if page == nil { shown = try await send(.GET, path).body }
        var pairs: [(String, String)] = [("csrf", csrf ?? "")]
        for (code, fields) in rows {
            pairs += hiddenFields(of: shown, row: code)
            pairs += fields.map { ("\($0.0).\(code)", $0.1) }
        }
        let body = pairs.map { "\($0.0.urlEncoded)=\($0.1.urlEncoded)" }.joined(separator: "&")
        let post = try await send(.POST, path + "/answers", body: body, contentType: .urlEncodedForm, withCSRF: false)
        let next = try await send(.GET, path)
        return (post, next)
    }

    /// Scores rows on the evaluator's or council's page in one save ("points", "note").
    func saveScores(_ path: String, _ rows: [(code: String, points: String, note: String)], confirmAll: Bool = false) async throws -> (post: Result, page: Result) {
        let shown = try await send(.GET, path).body
        var pairs: [(String, String)] = [("csrf", csrf ?? "")]
        for row in rows {
            pairs += hiddenFields(of: shown, row: row.code).filter { $0.0.hasPrefix("version.") }
            pairs += [("points.\(row.code)", row.points), ("note.\(row.code)", row.note)]
        }
        if confirmAll { pairs.append(("confirm_all", "1")) }
        let body = pairs.map { "\($0.0.urlEncoded)=\($0.1.urlEncoded)" }.joined(separator: "&")
        let post = try await send(.POST, path + "/scores", body: body, contentType: .urlEncodedForm, withCSRF: false)
        let next = try await send(.GET, path)
        return (post, next)
    }
}

/// Brings a period where every phase is open to the point where it may be
/// published, as the people involved would: the council confirms every row
/// of each unit that sent its self-assessment ("Công nhận tất cả"), the
/// administrator marks the units that did not as not reporting, and re-dates
/// the phases so that scoring is over and publication is open.
func readyForPublication(_ app: Application, _ period: String) async throws {
    let admin = Browser(app)
    _ = try await admin.signIn("quantri")
    let board = try await admin.send(.GET, "/api/v1/periods/\(period)/board")
    #expect(board.status == .ok, "\(board.body.prefix(300))")
    struct Board: Decodable { struct Unit: Decodable { var code: String; var status: String }; var units: [Unit] }
    let units = try JSONDecoder().decode(Board.self, from: Data(board.body.utf8)).units
    let council = Browser(app)
    _ = try await council.signIn("hoidong")
    for unit in units where ["submitted", "evaluating", "appraised"].contains(unit.status) {
        let path = "/periods/\(period)/units/\(unit.code)"
        let page = try await council.send(.GET, path).body
        var pairs: [(String, String)] = [("csrf", council.csrf ?? ""), ("confirm_all", "1")]
        var rest = Substring(page)
        while let r = rest.range(of: "form=\"scores\" name=\"version.") {
            let code = String(rest[r.upperBound...].prefix { $0 != "\"" })
            let value = rest[r.upperBound...].range(of: "value=\"").map { String(rest[$0.upperBound...].prefix { $0 != "\"" }) } ?? "0"
            pairs += [("version.\(code)", value), ("points.\(code)", ""), ("note.\(code)", "")]
            rest = rest[r.upperBound...]
        }
        let body = pairs.map { "\($0.0.urlEncoded)=\($0.1.urlEncoded)" }.joined(separator: "&")
        let post = try await council.send(.POST, path + "/scores", body: body, contentType: .urlEncodedForm, withCSRF: false)
        #expect(post.status == .seeOther, "\(unit.code): \(post.body.prefix(300))")
    }
    let silent = units.filter { !["submitted", "evaluating", "appraised", "corrections", "not_reporting"].contains($0.status) }.map(\.code)
    if !silent.isEmpty {
        struct Mark: Encodable { var units: [String]; var reason: String }
        let marked = try await admin.send(.POST, "/api/v1/periods/\(period)/not-reporting", json: Mark(units: silent, reason: "Không gửi báo cáo tự đánh giá"))
        #expect(marked.status == .ok, "\(marked.body.prefix(300))")
    }
    struct Phases: Encodable { var phases: [PeriodInput.PhaseInput]; var reason: String }
    let yesterday = DateText.adding(days: -1, to: DateText.todayISO(app.clock.now()))
    let phases = Phase.allCases.map { PeriodInput.PhaseInput(phase: $0.rawValue, startsOn: "2020-01-01", endsOn: $0 == .publication ? "2099-12-31" : yesterday) }
    let redated = try await admin.send(.PATCH, "/api/v1/periods/\(period)", json: Phases(phases: phases, reason: "Kết thúc chấm điểm, chuyển sang công bố"))
    #expect(redated.status == .ok, "\(redated.body.prefix(500))")
}
