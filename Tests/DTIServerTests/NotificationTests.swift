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

    @Test("the outbox logic, whatever mail server there is: a failure keeps the message with its error, a success marks it sent at the clock's time, twenty failures stop the retries")
    func outbox() async throws {
        try await withDemoApp { app in
            let user = try #require(try await UserAccount.query(on: app.db).filter(\.$username == "daumoi.snn").first())
            try await Notifier.notify([user], kind: "correction_request", subject: "Yêu cầu bổ sung tiêu chí 3", body: "Đề nghị bổ sung biên bản.", on: app.db)
            let mailer = RecordingMailer()
            let clock = FixedClock(Date(timeIntervalSince1970: 1_780_000_000))
            mailer.failing = true
            #expect(try await Notifier.deliverPending(app.db, mailer: mailer, clock: clock) == (0, 1))
            var message = try #require(try await OutboxMessage.query(on: app.db).first())
            #expect(message.sentAt == nil && message.attempts == 1 && message.lastError.contains("máy chủ thư"))
            mailer.failing = false
            #expect(try await Notifier.deliverPending(app.db, mailer: mailer, clock: clock) == (1, 0))
            message = try #require(try await OutboxMessage.query(on: app.db).first())
            #expect(message.sentAt == clock.now() && message.attempts == 2)
            #expect(mailer.sent.map(\.to) == ["daumoi.snn@dti.daklak.example"] && mailer.sent[0].kind == "correction_request")
            // Sent once: nothing more to deliver.
            #expect(try await Notifier.deliverPending(app.db, mailer: mailer, clock: clock) == (0, 0))
            // A message that failed twenty times is left for the administrator, not retried for ever.
            try await Notifier.notify([user], kind: "reminder", subject: "Nhắc hạn", body: "…", on: app.db)
            mailer.failing = true
            for _ in 0..<25 { _ = try await Notifier.deliverPending(app.db, mailer: mailer, clock: clock) }
            let stuck = try #require(try await OutboxMessage.query(on: app.db).filter(\.$kind == "reminder").first())
            #expect(stuck.attempts == 20 && stuck.sentAt == nil)
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

/// A mailer that records what it sends, or fails when told to.
final class RecordingMailer: Mailer, @unchecked Sendable {
    struct Sent { var to: String; var subject: String; var kind: String }
    private let lock = NSLock()
    private var _sent: [Sent] = []
    private var _failing = false
    var sent: [Sent] { lock.withLock { _sent } }
    var failing: Bool {
        get { lock.withLock { _failing } }
        set { lock.withLock { _failing = newValue } }
    }

    struct Down: Error, CustomStringConvertible { var description: String { "máy chủ thư không trả lời" } }

    func send(to: String, subject: String, body: String, kind: String) async throws {
        if failing { throw Down() }
        lock.withLock { _sent.append(Sent(to: to, subject: subject, kind: kind)) }
    }
}
