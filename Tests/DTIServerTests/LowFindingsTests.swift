import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Issue 31's low findings that a request can show.
@Suite("Low findings: e-mail addresses that could carry SMTP commands, the home page before a forced password change", .serialized)
struct LowFindingsTests {
    @Test("an e-mail address with CR/LF, a space or an angle bracket is refused by the form, the API and bulk accounts; the mailer refuses it too")
    func emailInjection() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            for bad in ["a@b.vn\r\nRCPT TO:<x@evil.example>", "a@b.vn\nBcc: x@evil.example", "a b@c.vn", "a@b.vn>", "a@@b.vn", "a@b.vn,x@evil.example"] {
                let patched = try await admin.send(.PATCH, "/api/v1/users/thamdinh", json: ["email": bad])
                #expect(patched.status == .unprocessableEntity && patched.body.contains("không hợp lệ"), "\(bad.debugDescription) → \(patched.status)")
                let created = try await admin.send(.POST, "/api/v1/users", json: ["username": "thu.\(UUID().uuidString.prefix(6).lowercased())", "displayName": "Thư",
                                                                                  "password": "Mat-khau#2026", "role": "viewer", "email": bad])
                #expect(created.status == .unprocessableEntity, "\(bad.debugDescription) → \(created.status)")
            }
            let csv = "username,displayName,role,unitCode,email\nthu.moi,Người thư,viewer,,\"a@b.vn\r\nRCPT TO:<x@evil.example>\"\n"
            let bulk = try await admin.upload("/admin/users/import", file: (field: "file", name: "tai-khoan.csv", data: Data(csv.utf8)))
            #expect(bulk.status == .unprocessableEntity, "\(bulk.status) \(bulk.body.prefix(300))")
            #expect(try await UserAccount.query(on: app.db).filter(\.$username == "thu.moi").count() == 0)
            #expect(try await UserAccount.query(on: app.db).filter(\.$email ~~ "evil").count() == 0)
            // A good one is taken, Vietnamese government domains included.
            #expect(try await admin.send(.PATCH, "/api/v1/users/thamdinh", json: ["email": "thamdinh@stttt.daklak.gov.vn"]).status == .ok)
            #expect(SMTPMailer.isSafeAddress("thamdinh@stttt.daklak.gov.vn"))
            #expect(!SMTPMailer.isSafeAddress("a@b.vn\r\nDATA") && !SMTPMailer.isSafeAddress("a@b.vn\u{2028}x") && !SMTPMailer.isSafeAddress(""))
            let mailer = SMTPMailer(host: "127.0.0.1", port: 9, from: "dti@localhost", username: nil, password: nil)
            await #expect(throws: SMTPMailer.SMTPError.self) { try await mailer.converse(to: "a@b.vn\r\nRCPT TO:<x@evil.example>", subject: "s", body: "b", kind: "k") }
        }
    }

    @Test("after a password reset the home page, with its to-do list, waits for the new password as every signed-in page does")
    func homeWaitsForNewPassword() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            struct Temporary: Decodable { var password: String }
            let temporary = try await admin.send(.POST, "/api/v1/users/daumoi.snn/reset-password").json(Temporary.self).password
            let person = Browser(app)
            #expect(try await person.signIn("daumoi.snn", password: temporary).status == .seeOther)
            let home = try await person.send(.GET, "/")
            #expect(home.status == .seeOther && home.headers.first(name: .location) == "/account/password")
            #expect(!home.body.contains("Việc cần làm"))
            // Public pages stay readable, as for anyone.
            #expect(try await person.send(.GET, "/frameworks").status == .ok)
        }
    }
}
