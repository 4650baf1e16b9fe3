import DTIFormats
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Issue 31, High: two cheap ways to stop the server for everyone, each sent
/// to a real `dti serve` while a probe measures how long a neighbour waits
/// (the health check, which reads the database, and a focal point's save).
/// The probe must stay under a second while the attack runs.
@Suite("Nobody stalls the server: a small workbook, a password flood", .serialized)
struct AvailabilityTests {
    typealias HTTP = TwoServersTests.HTTP

    /// Many connections at once (URLSession's default keeps six per host).
    static let flood: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    static func send(_ method: String, _ url: String, cookie: String? = nil, csrf: String? = nil,
                     headers: [String: String] = [:], body: Data? = nil, type: String? = nil) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let cookie { request.setValue("dti_session=\(cookie)", forHTTPHeaderField: "Cookie") }
        if let csrf { request.setValue(csrf, forHTTPHeaderField: "X-CSRF-Token") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = body }
        if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await flood.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, data)
    }

    static func ms(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }

    /// A server on the demo with a department period open for self-assessment.
    struct Server {
        var process: Process
        var base: String
        var period: String
        var focal: (cookie: String, csrf: String)
    }

    func startServer() async throws -> Server {
        let crash = CrashConsistencyTests()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-availability-\(UUID().uuidString)").path
        let port = Int.random(in: 30_001...40_000)
        let base = "http://127.0.0.1:\(port)"
        let process = try crash.start(dir, port: port, demo: true)
        try await crash.waitHealthy(base)
        let admin = try await crash.signIn(base, "quantri")
        let periodJSON = #"{"year":2026,"title":"Thử tính sẵn sàng","phases":[{"phase":"self_assessment","startsOn":"2020-01-01","endsOn":"2099-12-31"},{"phase":"evaluation","startsOn":"2100-01-01","endsOn":"2100-02-01"}],"frameworks":[{"level":"department","key":"daklak-2023-department","version":1}]}"#
        let (created, periodBody, _) = try await HTTP.send("POST", base + "/api/v1/periods", cookie: admin.cookie, csrf: admin.csrf, json: periodJSON)
        #expect(created == 201, "\(periodBody)")
        let period = try #require(((try JSONSerialization.jsonObject(with: Data(periodBody.utf8)) as? [String: Any])?["period"] as? [String: Any])?["id"] as? String)
        return Server(process: process, base: base, period: period, focal: try await crash.signIn(base, "daumoi.snn"))
    }

    /// Every 100 ms until `stop`, a health check and a save by the focal
    /// point (criterion 1, its version carried along): the slowest of each, in seconds.
    func probe(_ server: Server, until stop: @escaping @Sendable () -> Bool) async throws -> (health: Double, save: Double, saves: Int) {
        var slowestHealth = 0.0, slowestSave = 0.0, version = 0, saves = 0
        let clock = ContinuousClock()
        while !stop() {
            let health = try await clock.measure {
                let (status, _) = try await Self.send("GET", server.base + "/healthz")
                #expect(status == 200)
            }
            var saved = 0
            let save = try await clock.measure {
                let (status, body) = try await Self.send("PUT", server.base + "/api/v1/periods/\(server.period)/units/SNNPTNT/answers/1",
                                                         cookie: server.focal.cookie, csrf: server.focal.csrf,
                                                         body: Data(#"{"value":"\#(version % 90 + 1)","version":\#(version)}"#.utf8), type: "application/json")
                #expect(status == 200, "\(String(decoding: body, as: UTF8.self).prefix(300))")
                if status == 200 { saved = 1 }
            }
            version += saved
            saves += saved
            slowestHealth = max(slowestHealth, Double(health.components.seconds) + Double(health.components.attoseconds) / 1e18)
            slowestSave = max(slowestSave, Double(save.components.seconds) + Double(save.components.attoseconds) / 1e18)
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return (slowestHealth, slowestSave, saves)
    }

    /// The unit's own template, rebuilt around one shared string of `length`
    /// characters that every cell of `rows` rows names (its header and sheet
    /// kept, so nothing refuses it before the rows are read): a few KB sent.
    func bomb(template: Data, length: Int, rows: Int) throws -> Data {
        let book = try WorkbookReader(data: template)
        let sheet = try #require(book.sheets.first)
        let headers = (0..<9).map { sheet.cell(row: 1, column: $0) }
        var shared = ["<si><t>" + String(repeating: "A", count: length) + "</t></si>"]
        shared += headers.map { "<si><t>\(XMLScan.escape($0))</t></si>" }
        var cells = "<row r=\"1\">" + headers.indices.map { "<c r=\"\(Workbook.columnName($0))1\" t=\"s\"><v>\($0 + 1)</v></c>" }.joined() + "</row>"
        for r in 2...(rows + 1) {
            cells += "<row r=\"\(r)\">" + (0..<6).map { "<c r=\"\(Workbook.columnName($0))\(r)\" t=\"s\"><v>0</v></c>" }.joined() + "</row>"
        }
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        return Zip.archive([
            ("[Content_Types].xml", Data(#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#.utf8)),
            ("xl/workbook.xml", Data(#"<workbook xmlns="\#(main)" xmlns:r="\#(rel)"><sheets><sheet name="\#(XMLScan.escape(sheet.name))" sheetId="1" r:id="rId1"/></sheets></workbook>"#.utf8)),
            ("xl/_rels/workbook.xml.rels", Data(#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="\#(rel)/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.utf8)),
            ("xl/sharedStrings.xml", Data((#"<sst xmlns="\#(main)">"# + shared.joined() + "</sst>").utf8)),
            ("xl/worksheets/sheet1.xml", Data(#"<worksheet xmlns="\#(main)"><sheetData>\#(cells)</sheetData></worksheet>"#.utf8)),
        ])
    }

    @Test("a few-KB workbook whose 2 MiB shared string 200 rows name, and one of 30,000 characters, each sent twice at once: refused by name, and the server keeps answering within a second")
    func workbookBomb() async throws {
        let server = try await startServer()
        defer { if server.process.isRunning { server.process.terminate(); server.process.waitUntilExit() } }
        let address = server.base + "/api/v1/periods/\(server.period)/units/SNNPTNT/workbook"
        let (got, template) = try await Self.send("GET", address, cookie: server.focal.cookie)
        #expect(got == 200)
        let attacks = [try bomb(template: template, length: 2 << 20, rows: 200),   // one string over Excel's cell limit
                       try bomb(template: template, length: 30_000, rows: 200)]    // under it, but 6 MB of text from a few KB
        for file in attacks { #expect(file.count < 40_000, "the attack is small: \(file.count) bytes") }

        let done = Done()
        async let measured = probe(server) { done.value }
        var answers: [(Int, String)] = []
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for file in attacks + attacks {
                group.addTask {
                    let (status, body) = try await Self.send("POST", address + "?name=bom.xlsx", cookie: server.focal.cookie, csrf: server.focal.csrf,
                                                             body: file, type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                    return (status, String(decoding: body, as: UTF8.self))
                }
            }
            for try await answer in group { answers.append(answer) }
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        done.set()
        let (health, save, saves) = try await measured
        print("availability, workbook attack: \(answers.map(\.0)) answered; probe slowest /healthz \(Self.ms(health)), save \(Self.ms(save)), \(saves) saves")
        #expect(health < 1, "the health check waited \(health) s while the workbooks were read")
        #expect(save < 1, "a save waited \(save) s while the workbooks were read")
        #expect(saves > 0)
        // Each upload refused whole, saying why; a busy refusal (429) is also an answer.
        for (status, body) in answers {
            #expect(status == 422 || status == 429, "\(status): \(body.prefix(300))")
            if status == 422 {
                #expect(body.contains("32.767 ký tự") || body.contains("nội dung các ô cộng lại"), "\(body.prefix(400))")
                #expect(body.count < 4_000, "a short answer, not the file echoed: \(body.count) characters")
            }
        }
        #expect(answers.contains { $0.0 == 422 && $0.1.contains("32.767 ký tự") })
        #expect(answers.contains { $0.0 == 422 && $0.1.contains("nội dung các ô cộng lại") })
        // Nothing of the files was written: criterion 1 holds only the probe's own saves.
        let (_, view) = try await Self.send("GET", server.base + "/api/v1/periods/\(server.period)/units/SNNPTNT/self-assessment", cookie: server.focal.cookie)
        #expect(!String(decoding: view, as: UTF8.self).contains("AAAAAAAAAA"))
    }

    @Test("32 clients guessing passwords from rotating addresses: sign-ins beyond the queue get 429, and a focal point's save still answers within a second")
    func passwordFlood() async throws {
        let server = try await startServer()
        defer { if server.process.isRunning { server.process.terminate(); server.process.waitUntilExit() } }
        let done = Done()
        async let measured = probe(server) { done.value }
        let statuses = try await withThrowingTaskGroup(of: [Int: Int].self) { group in
            for client in 0..<32 {
                group.addTask {
                    var counts: [Int: Int] = [:]
                    var attempt = 0
                    while !done.value {
                        attempt += 1
                        // A new address each time, so the per-address guard never stops it: the pool must.
                        let (status, _) = try await Self.send("POST", server.base + "/api/v1/session",
                                                              headers: ["X-Forwarded-For": "10.\(client).\(attempt / 250).\(attempt % 250)"],
                                                              body: Data(#"{"username":"khongco\#(client)","password":"sai-\#(attempt)"}"#.utf8), type: "application/json")
                        counts[status, default: 0] += 1
                    }
                    return counts
                }
            }
            try await Task.sleep(nanoseconds: 6_000_000_000)
            done.set()
            var all: [Int: Int] = [:]
            for try await counts in group { all.merge(counts, uniquingKeysWith: +) }
            return all
        }
        let (health, save, saves) = try await measured
        print("availability, password flood: \(statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")); probe slowest /healthz \(Self.ms(health)), save \(Self.ms(save)), \(saves) saves")
        #expect(health < 1, "the health check waited \(health) s during the flood (\(statuses))")
        #expect(save < 1, "a save waited \(save) s during the flood (\(statuses))")
        #expect(saves > 10, "saves kept going: \(saves)")
        // Wrong guesses are 401; what the queue cannot take is 429 at once.
        #expect((statuses[401] ?? 0) > 0, "\(statuses)")
        #expect((statuses[429] ?? 0) > 0, "\(statuses)")
        #expect(Set(statuses.keys).isSubset(of: [401, 429]), "\(statuses)")
        // After the flood, the owner signs in as usual.
        _ = try await CrashConsistencyTests().signIn(server.base, "lanhdao.snn")
    }
}

/// A flag the probe and the attackers read.
final class Done: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    var value: Bool { lock.withLock { raised } }
    func set() { lock.withLock { raised = true } }
}
