import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The README's first command: `dti serve --demo` on an empty data folder
/// ends with the demo running and a login that works.
@Suite("dti serve --demo", .serialized)
struct ServeCommandTests {
    @Test("starts on SQLite with the demo data, prints the logins, and a demo login works")
    func demo() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-serve-\(UUID().uuidString)").path
        let port = Int.random(in: 40_001...50_000)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--demo", "--port", String(port)]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DATABASE_URL")
        env["DTI_DATA_DIR"] = dir
        env["DTI_FRAMEWORKS_DIR"] = CLI.packageRoot.appendingPathComponent("frameworks").path
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var healthy = false
        for _ in 0..<120 where !healthy {
            if let (_, r) = try? await TwoServersTests.HTTP.session.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!),
               (r as? HTTPURLResponse)?.statusCode == 200 { healthy = true } else { try await Task.sleep(nanoseconds: 250_000_000) }
        }
        #expect(healthy)
        #expect(FileManager.default.fileExists(atPath: dir + "/opendti.sqlite"))
        let base = "http://127.0.0.1:\(port)"
        let (_, sessionBody, cookie0) = try await TwoServersTests.HTTP.send("GET", base + "/api/v1/session", cookie: nil)
        let csrf = try #require((try JSONSerialization.jsonObject(with: Data(sessionBody.utf8)) as? [String: Any])?["csrf"] as? String)
        let (status, _, cookie1) = try await TwoServersTests.HTTP.send("POST", base + "/api/v1/session", cookie: cookie0, csrf: csrf,
                                                                       json: #"{"username":"daumoi.snn","password":"OpenDTI@2026"}"#)
        #expect(status == 200)
        let (me, body, _) = try await TwoServersTests.HTTP.send("GET", base + "/api/v1/me", cookie: cookie1 ?? cookie0)
        #expect(me == 200)
        #expect(body.contains(#""unitCode":"SNNPTNT""#))
        // A published page twice: rendered, then answered from the kept bytes; each has its line.
        let (_, list, _) = try await TwoServersTests.HTTP.send("GET", base + "/api/v1/results", cookie: nil)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
        let published = try #require(records.first { $0["year"] as? Int == 2023 }?["id"] as? String)
        for _ in 1...2 { #expect(try await TwoServersTests.HTTP.send("GET", base + "/results/\(published)", cookie: nil).0 == 200) }
        process.terminate()
        process.waitUntilExit()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed.contains("OpenDTI đang chạy tại http://127.0.0.1:\(port)"))
        #expect(printed.contains("mật khẩu chung: OpenDTI@2026"))
        #expect(printed.contains("daumoi.snn"))
        // One log line per request, with its status and time, flushed when the server stops.
        #expect(printed.contains("[ INFO ] GET /api/v1/me 200 "), "the request log line in \(printed.suffix(600))")
        #expect(printed.components(separatedBy: "[ INFO ] GET /results/\(published) 200 ").count - 1 == 2, "rendered and kept: \(printed.suffix(600))")
        // The province as it is since 1 July 2025: a commune's accounts.
        #expect(printed.contains("daumoi.xa    Cán bộ đầu mối — Phường Buôn Ma Thuột"))
        // Every period the demo loaded is named, the open 2025 and 2026 ones included.
        for period in ["năm 2021 (kết quả đã công bố)", "năm 2022", "năm 2023", "năm 2025 (dữ liệu minh họa, đang thẩm định) (đang mở)",
                       "năm 2026 — sở, ngành và xã, phường (dữ liệu minh họa, đang tự đánh giá) (đang mở)"] {
            #expect(printed.contains(period), "\(period) in \(printed)")
        }
    }

    @Test("dti export-site: every published file, byte for byte what the running server answers; the server keeps DTI_DATA_DIR/site the same; a folder not empty refused")
    func exportSite() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-site-\(UUID().uuidString)").path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dti-export-\(UUID().uuidString)").path
        defer { for path in [dir, out] { try? FileManager.default.removeItem(atPath: path) } }
        let port = Int.random(in: 40_001...50_000)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--demo", "--port", String(port)]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DATABASE_URL")
        env["DTI_DATA_DIR"] = dir
        env["DTI_FRAMEWORKS_DIR"] = CLI.packageRoot.appendingPathComponent("frameworks").path
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let base = "http://127.0.0.1:\(port)"
        var healthy = false
        for _ in 0..<120 where !healthy {
            if let (_, r) = try? await TwoServersTests.HTTP.session.data(from: URL(string: base + "/healthz")!),
               (r as? HTTPURLResponse)?.statusCode == 200 { healthy = true } else { try await Task.sleep(nanoseconds: 250_000_000) }
        }
        #expect(healthy)
        // The server writes its own copy at start (the published records' versions, this build).
        let manifest = dir + "/site/.opendti-site.json"
        for _ in 0..<480 where !FileManager.default.fileExists(atPath: manifest) { try await Task.sleep(nanoseconds: 250_000_000) }
        #expect(FileManager.default.fileExists(atPath: manifest), "the server wrote DTI_DATA_DIR/site")

        let exported = try CLI.run(["export-site", out], environment: ["DTI_DATA_DIR": dir, "DTI_FRAMEWORKS_DIR": env["DTI_FRAMEWORKS_DIR"]!])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("Đã ghi ") && exported.stdout.contains(" kỳ đã công bố vào \(out)"), "\(exported.stdout)")
        func files(_ root: String) -> [String] {
            let resolved = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
            return (FileManager.default.enumerator(atPath: resolved)?.allObjects as? [String] ?? []).filter { name in
                var folder: ObjCBool = false
                return FileManager.default.fileExists(atPath: resolved + "/" + name, isDirectory: &folder) && !folder.boolValue && !name.hasPrefix(".")
            }.sorted()
        }
        let written = files(out)
        #expect(written.count > 100, "\(written.count) files")
        #expect(written == files(dir + "/site"), "the command and the server write the same files")
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
        var differing: [String] = []
        for file in written where !file.hasSuffix(".gz") {
            var segments = file.split(separator: "/").map(String.init)
            if segments.last == "index.html" || segments.last == "index.json" { segments.removeLast() }
            let path = "/" + segments.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "/")
            var request = URLRequest(url: URL(string: base + path)!)
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            let (body, response) = try await TwoServersTests.HTTP.session.data(for: request)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/" + file))
            if (response as? HTTPURLResponse)?.statusCode != 200 || body != bytes { differing.append(file) }
            if try Data(contentsOf: URL(fileURLWithPath: dir + "/site/" + file)) != bytes { differing.append("site/" + file) }
        }
        #expect(differing.isEmpty, "not the served bytes: \(differing.prefix(10))")

        let again = try CLI.run(["export-site", out], environment: ["DTI_DATA_DIR": dir, "DTI_FRAMEWORKS_DIR": env["DTI_FRAMEWORKS_DIR"]!])
        #expect(again.status == 1)
        #expect(again.stderr.contains("Lỗi: Thư mục \(out) không trống"), "\(again.stderr)")
    }

    @Test("a bad setting stops the start with a message naming it")
    func badSetting() throws {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve"]
        var env = ProcessInfo.processInfo.environment
        env["DTI_SESSION_MAX_HOURS"] = "mãi mãi"
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 78)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("DTI_SESSION_MAX_HOURS: \"mãi mãi\" không hợp lệ"))
    }

    @Test("two processes started at once on an empty folder both come up: the second waits for the first one's migrations (issue 31, Low)")
    func twoAtOnce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-two-at-once-\(UUID().uuidString)").path
        let crash = CrashConsistencyTests()
        let ports = [TwoServersTests.freePort(), TwoServersTests.freePort()]
        let logs = ports.map { FileManager.default.temporaryDirectory.appendingPathComponent("dti-two-at-once-\($0)-\(UUID().uuidString).log") }
        let processes = try zip(ports, logs).map { port, log in
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["serve", "--port", String(port)]
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "DATABASE_URL")
            env["DTI_DATA_DIR"] = dir
            env["DTI_FRAMEWORKS_DIR"] = CLI.packageRoot.appendingPathComponent("frameworks").path
            process.environment = env
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            return process
        }
        defer { for p in processes where p.isRunning { p.terminate(); p.waitUntilExit() } }
        for port in ports { try await crash.waitHealthy("http://127.0.0.1:\(port)") }
        let running = processes.filter { $0.isRunning }.count
        let printed = logs.map { String(decoding: (try? Data(contentsOf: $0)) ?? Data(), as: UTF8.self).suffix(800) }
        #expect(running == 2, "a process stopped on the shared folder (ports \(ports)): \(printed)")
    }
}
