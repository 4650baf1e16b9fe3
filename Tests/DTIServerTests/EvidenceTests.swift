import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer
#if canImport(Glibc)
import Glibc
#endif

@Suite("Evidence uploads", .serialized)
struct EvidenceTests {
    static let pdf = Data("%PDF-1.4\n% Biên bản họp Ban chỉ đạo\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".utf8)
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64))

    func evidenceFiles(_ app: Application) -> [String] {
        let dir = (try! app.fileStore as! LocalFileStore).directory.path
        return (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    }

    func upload(_ b: Browser, _ period: String, name: String, criteria: String, data: Data, live: Bool = false) async throws -> Browser.Result {
        let query = "name=\(name.urlEncoded)&criteria=\(criteria.urlEncoded)&number=12%2FBB-UBND&issuer=UBND&date=2025-03-01"
        return try await b.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/evidence?\(query)",
                                data: data, contentType: .binary, live: live)
    }

    @Test("a PDF is stored under a generated name with its SHA-256 and served only to those allowed, as a download")
    func storeAndServe() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let r = try await upload(focal, period, name: "Biên bản họp BCĐ.pdf", criteria: "1;2", data: Self.pdf)
            #expect(r.status == .created, "\(r.body)")
            struct Item: Decodable { var id: UUID; var sha256: String; var criteria: [String]; var kind: String }
            let item = try r.json(Item.self)
            #expect(item.sha256 == SHA256.hash(data: Self.pdf).hex)
            #expect(item.criteria == ["1", "2"] && item.kind == "pdf")
            #expect(evidenceFiles(app) == [try #require(try await EvidenceFile.find(item.id, on: app.db)).storedName])
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let got = try await evaluator.send(.GET, "/api/v1/evidence/\(item.id)")
            #expect(got.status == .ok)
            #expect(got.headers.first(name: .contentDisposition)?.hasPrefix("attachment;") == true)
            #expect(got.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(got.body == String(decoding: Self.pdf, as: UTF8.self))
            let viewer = Browser(app)
            _ = try await viewer.signIn("xem")
            #expect(try await viewer.send(.GET, "/api/v1/evidence/\(item.id)").status == .forbidden)
            #expect(try await Browser(app).send(.GET, "/api/v1/evidence/\(item.id)").status == .unauthorized)
            let list = try await focal.send(.GET, "/api/v1/periods/\(period)/units/SNNPTNT/evidence")
            #expect(list.body.contains("Biên bản họp BCĐ.pdf"))
        }
    }

    @Test("a PNG renamed to .pdf, a path in the name, an unknown type, an unknown criterion: refused, nothing stored")
    func refused() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let renamed = try await upload(focal, period, name: "bien-ban.pdf", criteria: "1", data: Self.png)
            #expect(renamed.status == .unsupportedMediaType)
            #expect(renamed.body.contains("không phải PDF (là PNG)"))
            let path = try await upload(focal, period, name: "../../etc/passwd.pdf", criteria: "1", data: Self.pdf)
            #expect(path.status == .unprocessableEntity)
            #expect(path.body.contains("không được chứa đường dẫn"))
            let exe = try await upload(focal, period, name: "virus.exe", criteria: "1", data: Self.pdf)
            #expect(exe.status == .unsupportedMediaType)
            let unknown = try await upload(focal, period, name: "a.pdf", criteria: "9.9", data: Self.pdf)
            #expect(unknown.status == .unprocessableEntity)
            let leader = Browser(app)
            _ = try await leader.signIn("lanhdao.snn")
            #expect(try await upload(leader, period, name: "a.pdf", criteria: "1", data: Self.pdf).status == .forbidden)
            #expect(evidenceFiles(app).isEmpty)
            #expect(try await EvidenceFile.query(on: app.db).count() == 0)
        }
    }

    @Test("an oversized file is refused while streaming and nothing is kept")
    func oversized() async throws {
        let app = try await Application.make(.testing)
        do {
            var settings = ServerSettings(storage: .sqliteMemory, frameworksDirectory: TestPaths.frameworks)
            settings.evidenceMaxMB = 1
            applyTestDatabase(&settings)
            try await configure(app, settings: settings)
            _ = try await DemoSeeder.seedIfEmpty(app, frameworksDirectory: TestPaths.frameworks)
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let big = Self.pdf + Data(repeating: 0x20, count: 1_300_000)
            let r = try await upload(focal, period, name: "lon.pdf", criteria: "1", data: big, live: true)
            #expect(r.status == .payloadTooLarge)
            #expect(r.body.contains("vượt giới hạn 1 MB"))
            #expect(evidenceFiles(app).isEmpty)
            try await dropTestSchema(app, settings)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    @Test("an interrupted upload leaves no file behind")
    func interrupted() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            struct TokenRequest: Encodable { var username: String; var name: String }
            struct Issued: Decodable { var token: String }
            let token = try await admin.send(.POST, "/api/v1/tokens", json: TokenRequest(username: "daumoi.snn", name: "thử")).json(Issued.self).token
            let port = Int.random(in: 50_001...60_000)
            app.http.server.configuration.port = port
            try await app.server.start(address: .hostname("127.0.0.1", port: port))
            // Promise 100 kB, send 2 kB, hang up.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            #expect(connected == 0)
            let head = "POST /api/v1/periods/\(period)/units/SNNPTNT/evidence?name=a.pdf&criteria=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n"
            let payload = Array(head.utf8) + Array(Self.pdf) + Array(repeating: 0x20, count: 2000)
            _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            try await Task.sleep(nanoseconds: 300_000_000)
            close(fd)
            // Give the server a moment to notice and clean up.
            for _ in 0..<40 where !evidenceFiles(app).isEmpty { try await Task.sleep(nanoseconds: 100_000_000) }
            #expect(evidenceFiles(app).isEmpty)
            #expect(try await EvidenceFile.query(on: app.db).count() == 0)
            await app.server.shutdown()
        }
    }
}
