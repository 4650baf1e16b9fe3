import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `dti backup` while the server runs, `dti restore` into a fresh data
/// folder: every published record and every evidence file comes back
/// byte for byte; a damaged backup is refused before anything is written.
@Suite("Backup and restore", .serialized)
struct BackupTests {
    typealias HTTP = TwoServersTests.HTTP
    let crash = CrashConsistencyTests()

    static let pdf = Data("%PDF-1.4\n% Biên bản họp Ban chỉ đạo\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".utf8)

    func recordHashes(_ base: String) async throws -> [String: String] {
        let (_, list, _) = try await HTTP.send("GET", base + "/api/v1/results", cookie: nil)
        var hashes: [String: String] = [:]
        for item in (try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]]) ?? [] {
            let id = try #require(item["id"] as? String)
            let (_, response) = try await HTTP.session.data(from: URL(string: base + "/results/\(id)/record.json")!)
            hashes[id] = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "X-DTI-SHA256")
        }
        return hashes
    }

    func download(_ url: String, cookie: String) async throws -> Data {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("dti_session=\(cookie)", forHTTPHeaderField: "Cookie")
        let (data, response) = try await HTTP.session.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(url)")
        return data
    }

    @Test("back up a running server, restore into a new folder, everything checks; a damaged backup is refused")
    func roundTrip() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dti-backup-\(UUID().uuidString)").path
        let source = root + "/data", backup = root + "/backup", restored = root + "/restored"
        let port = CLI.freePort()
        let base = "http://127.0.0.1:\(port)"
        let server = try crash.start(source, port: port, demo: true)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        try await crash.waitHealthy(base)
        // An evidence file, uploaded by the focal point in an open period.
        let admin = try await crash.signIn(base, "quantri")
        let periodJSON = #"{"year":2026,"title":"Thử sao lưu","phases":[{"phase":"self_assessment","startsOn":"2020-01-01","endsOn":"2099-12-31"}],"frameworks":[{"level":"department","key":"daklak-2023-department","version":1}]}"#
        let (_, periodBody, _) = try await HTTP.send("POST", base + "/api/v1/periods", cookie: admin.cookie, csrf: admin.csrf, json: periodJSON)
        let period = try #require(((try JSONSerialization.jsonObject(with: Data(periodBody.utf8)) as? [String: Any])?["period"] as? [String: Any])?["id"] as? String)
        let focal = try await crash.signIn(base, "daumoi.snn")
        var upload = URLRequest(url: URL(string: base + "/api/v1/periods/\(period)/units/SNNPTNT/evidence?name=bien-ban.pdf&criteria=1")!)
        upload.httpMethod = "POST"
        upload.setValue("dti_session=\(focal.cookie)", forHTTPHeaderField: "Cookie")
        upload.setValue(focal.csrf, forHTTPHeaderField: "X-CSRF-Token")
        upload.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        upload.httpBody = Self.pdf
        let (uploaded, uploadResponse) = try await HTTP.session.data(for: upload)
        #expect((uploadResponse as? HTTPURLResponse)?.statusCode == 201, "\(String(decoding: uploaded, as: UTF8.self))")
        let evidence = try #require((try JSONSerialization.jsonObject(with: uploaded) as? [String: Any])?["id"] as? String)
        let hashes = try await recordHashes(base)
        #expect(hashes.count >= 3 && hashes.values.allSatisfy { $0.count == 64 })

        // Online backup, the server still running.
        let made = try CLI.run(["backup", backup], environment: ["DTI_DATA_DIR": source])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("1 tệp minh chứng"), "\(made.stdout)")
        let again = try CLI.run(["backup", backup], environment: ["DTI_DATA_DIR": source])
        #expect(again.status == 2 && again.stderr.contains("đã có dữ liệu"), "a backup never overwrites another")
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()

        // A damaged copy is refused, and nothing is written.
        let damaged = root + "/damaged"
        try FileManager.default.copyItem(atPath: backup, toPath: damaged)
        let evidenceFile = try #require(try FileManager.default.contentsOfDirectory(atPath: damaged + "/evidence").first)
        try Data("hỏng".utf8).write(to: URL(fileURLWithPath: damaged + "/evidence/" + evidenceFile))
        let refused = try CLI.run(["restore", damaged], environment: ["DTI_DATA_DIR": root + "/nowhere"])
        #expect(refused.status == 2 && refused.stderr.contains("không khớp"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/nowhere/opendti.sqlite"))

        // A crafted manifest naming a file outside the backup's folders, with its right checksum,
        // is refused whole and nothing is written (issue 31, Low).
        let crafted = root + "/crafted"
        try FileManager.default.copyItem(atPath: backup, toPath: crafted)
        let planted = Data("ngoài thư mục".utf8)
        try planted.write(to: URL(fileURLWithPath: root + "/planted.txt"))
        let manifestURL = URL(fileURLWithPath: crafted + "/manifest.json")
        var manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any])
        var files = try #require(manifest["files"] as? [[String: Any]])
        // The planted file's checksum, as a forger would write it.
        let sha = try #require(String(decoding: try Self.output("/usr/bin/sha256sum", [root + "/planted.txt"]), as: UTF8.self).split(separator: " ").first)
        files.append(["path": "evidence/../../planted.txt", "bytes": planted.count, "sha256": String(sha)])
        manifest["files"] = files
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
        let traversal = try CLI.run(["restore", crafted], environment: ["DTI_DATA_DIR": root + "/nowhere2"])
        #expect(traversal.status == 2 && traversal.stderr.contains("đường dẫn không được phép"), "\(traversal.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/nowhere2/opendti.sqlite"))

        // Restore into a fresh folder; the restored server serves the same records and the same file.
        let restore = try CLI.run(["restore", backup], environment: ["DTI_DATA_DIR": restored])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("mọi mã SHA-256 khớp"))
        let refusedOver = try CLI.run(["restore", backup], environment: ["DTI_DATA_DIR": restored])
        #expect(refusedOver.status == 2 && refusedOver.stderr.contains("đã có cơ sở dữ liệu"))
        let port2 = port + 1
        let server2 = try crash.start(restored, port: port2, demo: false)
        defer { if server2.isRunning { server2.terminate(); server2.waitUntilExit() } }
        let base2 = "http://127.0.0.1:\(port2)"
        try await crash.waitHealthy(base2)
        #expect(try await recordHashes(base2) == hashes)
        let focal2 = try await crash.signIn(base2, "daumoi.snn")
        #expect(try await download(base2 + "/api/v1/evidence/\(evidence)", cookie: focal2.cookie) == Self.pdf)
    }

    /// What a program prints.
    static func output(_ program: String, _ arguments: [String]) throws -> Data {
        let process = Process(), pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }
}
