import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer
#if canImport(Glibc)
import Glibc
#endif

/// `python3 -m aiosmtpd` is there (scripts/test.sh installs it).
let smtpListenerAvailable: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import aiosmtpd"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}()

@Suite("Notifications", .serialized)
struct NotificationTests {
    @Test("submission, return and approval notify the right people in the application")
    func inApp() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            struct Body: Encodable { var value: String; var version: Int }
            for (code, value) in [("1", "90"), ("2", "100"), ("3", "80"), ("4", "75"), ("5", "60"), ("6.DVC", "70"), ("6.KHAC", "350")] {
                _ = try await focal.send(.PUT, "/api/v1/periods/\(period)/units/SNNPTNT/answers/\(code)", json: Body(value: value, version: 0))
            }
            _ = try await focal.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/submit", json: [String: String]())
            let leader = Browser(app)
            _ = try await leader.signIn("lanhdao.snn")
            let waiting = try await leader.send(.GET, "/api/v1/notifications")
            #expect(waiting.body.contains("Bản tự đánh giá chờ duyệt: Sở Nông nghiệp và Phát triển nông thôn"))
            _ = try await leader.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/return", json: ["reason": "Bổ sung giải trình chỉ số 3"])
            let returned = try await focal.send(.GET, "/api/v1/notifications")
            #expect(returned.body.contains("Bổ sung giải trình chỉ số 3"))
            _ = try await focal.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/submit", json: [String: String]())
            _ = try await leader.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/approve", json: [String: String]())
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            #expect(try await evaluator.send(.GET, "/api/v1/notifications").body.contains("Đơn vị đã gửi bản tự đánh giá"))
            // Each account sees only its own.
            #expect(!(try await evaluator.send(.GET, "/api/v1/notifications").body.contains("Bổ sung giải trình chỉ số 3")))
        }
    }

    @Test("delivered by SMTP to a real listener; nothing lost while the mail server is down",
          .enabled(if: smtpListenerAvailable))
    func smtp() async throws {
        try await withDemoApp { app in
            try await Notifier.notify([try #require(try await UserAccount.query(on: app.db).filter(\.$username == "daumoi.snn").first())],
                                      kind: "correction_request", subject: "Yêu cầu bổ sung tiêu chí 3", body: "Đề nghị bổ sung biên bản.", on: app.db)
            let port = Int.random(in: 30_000...39_999)
            let mailer = SMTPMailer(host: "127.0.0.1", port: port, from: "dti@daklak.example")
            // Down: the message stays, with the attempt and the error.
            let down = try await Notifier.deliverPending(app.db, mailer: mailer)
            #expect(down.sent == 0 && down.failed == 1)
            let pending = try #require(try await OutboxMessage.query(on: app.db).first())
            #expect(pending.sentAt == nil && pending.attempts == 1 && !pending.lastError.isEmpty)
            // Up: a real SMTP listener on loopback receives it.
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString).txt")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            let listener = Process()
            listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            listener.arguments = ["python3", "-u", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Debugging"]
            listener.standardOutput = try FileHandle(forWritingTo: out)
            listener.standardError = FileHandle.nullDevice
            try listener.run()
            // aiosmtpd ignores SIGTERM: stop it with SIGKILL (its output is unbuffered, nothing is lost).
            defer { if listener.isRunning { kill(listener.processIdentifier, SIGKILL) } }
            var up = (sent: 0, failed: 0)
            for _ in 0..<50 {
                try await Task.sleep(nanoseconds: 200_000_000)
                up = try await Notifier.deliverPending(app.db, mailer: mailer)
                if up.sent > 0 { break }
            }
            #expect(up.sent == 1)
            let delivered = try #require(try await OutboxMessage.query(on: app.db).first())
            #expect(delivered.sentAt != nil && delivered.attempts >= 2)
            try await Task.sleep(nanoseconds: 300_000_000)
            kill(listener.processIdentifier, SIGKILL)
            listener.waitUntilExit()
            let received = try String(contentsOf: out, encoding: .utf8)
            #expect(received.contains("To: <daumoi.snn@dti.daklak.example>"))
            #expect(received.contains("X-OpenDTI-Kind: correction_request"))
            #expect(received.contains(Data("Đề nghị bổ sung biên bản.".utf8).base64EncodedString()))
        }
    }
}
