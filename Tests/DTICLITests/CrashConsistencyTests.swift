import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `kill -9` in the middle of concurrent saves: after a restart every
/// acknowledged save is there, and every stored answer has the change-log
/// entry that wrote it (they commit in one transaction).
@Suite("A crash loses no acknowledged save and no log entry", .serialized)
struct CrashConsistencyTests {
    typealias HTTP = TwoServersTests.HTTP

    func start(_ dir: String, port: Int, demo: Bool) throws -> Process {
        try CLI.serve(dataDirectory: dir, port: port, demo: demo)
    }

    func waitHealthy(_ base: String) async throws {
        for _ in 0..<160 {
            if let (_, r) = try? await HTTP.session.data(from: URL(string: base + "/healthz")!), (r as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        Issue.record("\(base) did not become healthy")
    }

    /// Signs in through the API (no earlier request needed): the cookie and the CSRF token.
    func signIn(_ base: String, _ username: String) async throws -> (cookie: String, csrf: String) {
        let (status, body, cookie) = try await HTTP.send("POST", base + "/api/v1/session", cookie: nil,
                                                         json: #"{"username":"\#(username)","password":"OpenDTI@2026"}"#)
        #expect(status == 200, "\(body)")
        let csrf = try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["csrf"] as? String)
        return (try #require(cookie), csrf)
    }

    @Test("kill -9 during concurrent saves on SQLite")
    func killDuringSaves() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-crash-\(UUID().uuidString)").path
        let port = Int.random(in: 50_001...60_000)
        let base = "http://127.0.0.1:\(port)"
        let server = try start(dir, port: port, demo: true)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        try await waitHealthy(base)
        // A period open for self-assessment.
        let admin = try await signIn(base, "quantri")
        let periodJSON = #"{"year":2026,"title":"Thử mất điện","phases":[{"phase":"self_assessment","startsOn":"2020-01-01","endsOn":"2099-12-31"},{"phase":"evaluation","startsOn":"2100-01-01","endsOn":"2100-02-01"}],"frameworks":[{"level":"department","key":"daklak-2023-department","version":1}]}"#
        let (created, periodBody, _) = try await HTTP.send("POST", base + "/api/v1/periods", cookie: admin.cookie, csrf: admin.csrf, json: periodJSON)
        #expect(created == 201, "\(periodBody)")
        let period = try #require(((try JSONSerialization.jsonObject(with: Data(periodBody.utf8)) as? [String: Any])?["period"] as? [String: Any])?["id"] as? String)
        let focal = try await signIn(base, "daumoi.snn")
        // Seven criteria saved over and over, concurrently, until the server dies.
        let criteria = ["1", "2", "3", "4", "5", "6.DVC", "6.KHAC"]
        let acknowledged = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for criterion in criteria {
                group.addTask {
                    var version = 0
                    while true {
                        let value = version % 90 + 1
                        guard let (status, _, _) = try? await HTTP.send("PUT", base + "/api/v1/periods/\(period)/units/SNNPTNT/answers/\(criterion)",
                                                                       cookie: focal.cookie, csrf: focal.csrf,
                                                                       json: #"{"value":"\#(value)","version":\#(version)}"#),
                              status == 200 else { return (criterion, version) }
                        version += 1
                    }
                }
            }
            try await Task.sleep(nanoseconds: 2_000_000_000)
            kill(server.processIdentifier, SIGKILL)
            var acked: [String: Int] = [:]
            for try await (criterion, count) in group { acked[criterion] = count }
            return acked
        }
        server.waitUntilExit()
        #expect(acknowledged.values.reduce(0, +) > 0, "some saves were acknowledged before the kill")

        // Restart on the same file, without the demo.
        let again = try start(dir, port: port + 1, demo: false)
        defer { if again.isRunning { again.terminate(); again.waitUntilExit() } }
        let base2 = "http://127.0.0.1:\(port + 1)"
        try await waitHealthy(base2)
        let reader = try await signIn(base2, "daumoi.snn")
        let (_, viewBody, _) = try await HTTP.send("GET", base2 + "/api/v1/periods/\(period)/units/SNNPTNT/self-assessment", cookie: reader.cookie)
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(viewBody.utf8)) as? [String: Any])?["rows"] as? [[String: Any]])
        let (_, logBody, _) = try await HTTP.send("GET", base2 + "/api/v1/periods/\(period)/units/SNNPTNT/changes", cookie: reader.cookie)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(logBody.utf8)) as? [[String: Any]])
        for criterion in criteria {
            let row = try #require(rows.first { $0["code"] as? String == criterion })
            let version = row["version"] as? Int ?? 0
            let acked = acknowledged[criterion] ?? 0
            // Every acknowledged save is there (one in flight may have committed too).
            #expect(version >= acked, "\(criterion): version \(version) < \(acked) acknowledged")
            guard version > 0 else { continue }
            // The stored value is the last value the change log recorded for it.
            let valueChanges = log.filter { $0["criterion"] as? String == criterion && $0["field"] as? String == "value" }
            #expect(valueChanges.last?["newValue"] as? String == row["value"] as? String,
                    "\(criterion): answer \(row["value"] ?? "") but the log's last value is \(valueChanges.last?["newValue"] ?? "none")")
        }
    }
}
