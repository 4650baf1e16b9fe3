import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
        let port = CLI.freePort()
        let out = Pipe()
        let process = try CLI.serve(dataDirectory: dir, port: port, demo: true, output: out)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        #expect(try await CLI.becomesHealthy("http://127.0.0.1:\(port)", process: process))
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
        // Stopped while it may still be writing DTI_DATA_DIR/site: the write is dropped, the process ends cleanly.
        process.terminate()
        process.waitUntilExit()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "stopped cleanly: \(printed.suffix(2000))")
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
        let port = CLI.freePort()
        let frameworks = CLI.packageRoot.appendingPathComponent("frameworks").path
        let process = try CLI.serve(dataDirectory: dir, port: port, demo: true)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await CLI.becomesHealthy(base))
        // The server writes its own copy at start (the published records' versions, this build).
        let manifest = dir + "/site/.opendti-site.json"
        for _ in 0..<480 where !FileManager.default.fileExists(atPath: manifest) { try await Task.sleep(nanoseconds: 250_000_000) }
        #expect(FileManager.default.fileExists(atPath: manifest), "the server wrote DTI_DATA_DIR/site")

        let exported = try CLI.run(["export-site", out], environment: ["DTI_DATA_DIR": dir, "DTI_FRAMEWORKS_DIR": frameworks])
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

        let again = try CLI.run(["export-site", out], environment: ["DTI_DATA_DIR": dir, "DTI_FRAMEWORKS_DIR": frameworks])
        #expect(again.status == 1)
        #expect(again.stderr.contains("Lỗi: Thư mục \(out) không trống"), "\(again.stderr)")
    }

    /// A raw TCP connection to the server, to do what a browser never does.
    final class RawConnection {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        func write(_ data: Data) {
            _ = data.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// What arrives within `seconds`, and whether the server closed the connection meanwhile.
        func read(for seconds: Double, until stop: (String) -> Bool = { _ in false }) -> (text: String, closed: Bool) {
            var received = Data()
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while Date() < deadline {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n == 0 { return (String(decoding: received, as: UTF8.self), true) }
                if n > 0 { received.append(contentsOf: buffer[0..<n]) }
                if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return (String(decoding: received, as: UTF8.self), true) }
                if stop(String(decoding: received, as: UTF8.self)) { break }
            }
            return (String(decoding: received, as: UTF8.self), false)
        }
    }

    @Test("a connection that sends nothing is closed after DTI_IDLE_SECONDS; after an early refusal (401, 413) the connection is answered or closed, never left hanging (issue 31, Low)")
    func idleAndEarly413() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-idle-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = CLI.freePort()
        let process = try CLI.serve(dataDirectory: dir, port: port, demo: false, environment: ["DTI_IDLE_SECONDS": "2", "DTI_SITE_DIR": "off"])
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        #expect(try await CLI.becomesHealthy("http://127.0.0.1:\(port)", process: process))

        // Silent: connected, nothing sent. Closed after about two seconds.
        let silent = try RawConnection(port: port)
        let started = Date()
        let quiet = silent.read(for: 8)
        #expect(quiet.closed, "a silent connection is let go")
        #expect(Date().timeIntervalSince(started) < 6)

        // A body announced larger than the route takes (8 MB for results), then sent anyway.
        let early = try RawConnection(port: port)
        early.write(Data("POST /api/v1/results HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 9437184\r\n\r\n".utf8))
        early.write(Data(repeating: 0x20, count: 1 << 20))
        let refused = early.read(for: 5) { $0.contains("\r\n\r\n") }
        // Refused before the body is read (here 401: the route's guard answers before its 8 MB limit would).
        #expect(refused.text.hasPrefix("HTTP/1.1 4"), "\(refused.text.prefix(200))")
        // The same connection, asked again: an answer, or closed — not silence for ever.
        early.write(Data("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let after = early.read(for: 8) { $0.contains("HTTP/1.1 200") }
        #expect(after.closed || after.text.contains("HTTP/1.1 200"), "after the 413 the connection hung: \(after.text.prefix(200))")
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

    @Test("two processes started at once on an empty folder both come up: the second waits for the first one's migrations (issue 31, Low), and with --demo for its seeding",
          arguments: [false, true])
    func twoAtOnce(demo: Bool) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-two-at-once-\(UUID().uuidString)").path
        let crash = CrashConsistencyTests()
        let ports = [TwoServersTests.freePort(), TwoServersTests.freePort()]
        let logs = ports.map { FileManager.default.temporaryDirectory.appendingPathComponent("dti-two-at-once-\($0)-\(UUID().uuidString).log") }
        let processes = try zip(ports, logs).map { port, log in
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["serve", "--port", String(port)] + (demo ? ["--demo"] : [])
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "DATABASE_URL")
            env["DTI_DATA_DIR"] = dir
            env["DTI_SITE_DIR"] = "off"
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
        guard demo else { return }
        // One demo: seeded by whichever process came first, found by the other; its logins printed once.
        let whole = logs.map { String(decoding: (try? Data(contentsOf: $0)) ?? Data(), as: UTF8.self) }
        #expect(whole.filter { $0.contains("Tài khoản mẫu") }.count == 1, "\(printed)")
        let (status, body, _) = try await TwoServersTests.HTTP.send("GET", "http://127.0.0.1:\(ports[1])/api/v1/units?q=SNNPTNT", cookie: nil)
        #expect(status == 200)
        #expect(body.components(separatedBy: "\"SNNPTNT\"").count - 1 == 1, "\(body.prefix(300))")
    }
}
