import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Issue 31, Medium 4–6: guesses counted however they arrive, strangers
/// unable to lock the owner out, and sessions that end when the password
/// changes or the account is disabled (ADR 0039).
@Suite("Sign-in guards: guesses at once, the owner's browsers, codes by e-mail, sessions that end", .serialized)
struct SignInGuardTests {
    struct Credentials: Encodable { var username: String; var password: String }

    static func account(_ app: Application, _ name: String) async throws -> UserAccount {
        try #require(try await UserAccount.query(on: app.db).filter(\.$username == name).first())
    }

    @Test("forty wrong passwords sent at once: at most five are checked, the account locks, nothing answers 500")
    func simultaneousGuesses() async throws {
        try await withDemoApp { app in
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await Browser(app).send(.POST, "/api/v1/session", json: Credentials(username: "thamdinh", password: "doan-mo"), withCSRF: false).status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.count == 40)
            #expect(statuses.allSatisfy { $0 == .unauthorized || $0 == .tooManyRequests }, "\(statuses.map(\.code))")
            let checked = try await AuditEntry.query(on: app.db).filter(\.$action == "login_failed").filter(\.$target == "thamdinh").count()
            #expect(checked >= 1 && checked <= 5, "\(checked) wrong passwords were checked")
            let refused = try await AuditEntry.query(on: app.db).filter(\.$action == "login_refused_locked").count()
            let busy = statuses.filter { $0 == .tooManyRequests }.count
            #expect(checked + refused + busy == 40, "checked \(checked), refused \(refused), 429 \(busy)")
            // Locked now: the right password from a browser the owner never used is refused.
            let account = try await Self.account(app, "thamdinh")
            #expect((account.lockedUntil ?? .distantPast) > Date())
            let right = try await Browser(app).send(.POST, "/api/v1/session", json: Credentials(username: "thamdinh", password: DemoSeeder.password), withCSRF: false)
            #expect(right.status != .ok)
        }
    }

    @Test("a stranger's five guesses lock the account for strangers only: the owner's browser, session and token carry on")
    func strangerCannotLockOwnerOut() async throws {
        try await withDemoApp { app in
            // The owner signed in on this browser before: it holds the device cookie.
            let owner = Browser(app)
            let first = try await owner.signIn("thamdinh")
            #expect(first.status == .seeOther)
            let cookie = try #require(first.headers[.setCookie].first { $0.hasPrefix("dti_device=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            // A session on another of the owner's browsers, and an API token.
            let working = Browser(app)
            _ = try await working.signIn("thamdinh")
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let token = try await admin.issueToken(for: "thamdinh", name: "đồng bộ")
            try await owner.send(.POST, "/logout", form: [:])

            let stranger = Browser(app)
            for _ in 1...5 { #expect(try await stranger.signIn("thamdinh", password: "doan-mo").status == .unauthorized) }
            #expect(try await stranger.signIn("thamdinh").status == .unauthorized, "locked for the stranger, right password or not")
            #expect((try await Self.account(app, "thamdinh").lockedUntil ?? .distantPast) > Date())

            let back = try await owner.signIn("thamdinh")
            #expect(back.status == .seeOther, "the owner's browser is not locked out")
            #expect(try await owner.send(.GET, "/api/v1/me").status == .ok)
            #expect(try await working.send(.GET, "/api/v1/me").status == .ok, "a session started before the lock carries on")
            #expect(try await Browser(app).send(.GET, "/api/v1/me", headers: ["Authorization": "Bearer \(token)"]).status == .ok,
                    "the lock does not stop the owner's API token")
            let log = try await AuditEntry.query(on: app.db).filter(\.$action == "login").filter(\.$actorName == "thamdinh").all()
            #expect(log.contains { $0.detail == "trình duyệt quen" })
        }
    }

    @Test("the owner's browser has an allowance of its own: five wrong passwords on it, and it is a stranger's again")
    func ownBrowserAllowance() async throws {
        try await withDemoApp { app in
            let owner = Browser(app)
            _ = try await owner.signIn("hoidong")
            try await owner.send(.POST, "/logout", form: [:])
            for _ in 1...5 { #expect(try await owner.signIn("hoidong", password: "doan-mo").status == .unauthorized) }
            // Those five counted against the browser, not the account.
            #expect(try await Self.account(app, "hoidong").lockedUntil == nil)
            #expect(try await Self.account(app, "hoidong").failedLogins == 0)
            // The sixth is counted as a stranger's: against the account.
            #expect(try await owner.signIn("hoidong", password: "doan-mo").status == .unauthorized)
            #expect(try await Self.account(app, "hoidong").failedLogins == 1)
            // A right password still signs in (not locked), and the browser's count starts again under a new cookie.
            let old = owner.device
            #expect(try await owner.signIn("hoidong").status == .seeOther)
            #expect(owner.device != nil && owner.device != old)
        }
    }

    @Test("the owner of a locked account is sent a code once: with the password it signs in on a new browser, once")
    func codeByEmail() async throws {
        try await withDemoApp { app in
            let stranger = Browser(app)
            for _ in 1...5 { _ = try await stranger.signIn("thamdinh", password: "doan-mo") }
            let mail = try #require(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "thamdinh").filter(\.$kind == "account_locked").first())
            #expect(mail.body.contains("/login/code"))
            let pattern = try Regex("[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")
            let code = String(try #require(mail.body.firstMatch(of: pattern)).output[0].substring ?? "")
            // The lock runs out and the stranger locks it again: no second code the same day.
            let account = try await Self.account(app, "thamdinh")
            account.lockedUntil = Date().addingTimeInterval(-1)
            try await account.save(on: app.db)
            for _ in 1...5 { _ = try await stranger.signIn("thamdinh", password: "doan-mo") }
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "thamdinh").filter(\.$kind == "account_locked").count() == 1)

            let phone = Browser(app)
            let page = try await phone.send(.GET, "/login/code")
            #expect(page.status == .ok && page.body.contains("Mã trong thư"))
            let wrongCode = try await phone.send(.POST, "/login/code", form: ["username": "thamdinh", "code": "AAAA-BBBB-CCCC", "password": DemoSeeder.password])
            #expect(wrongCode.status == .unauthorized)
            #expect(wrongCode.body.contains("mã không đúng") || wrongCode.body.contains("mã hoặc mật khẩu không đúng"))
            let wrongPassword = try await phone.send(.POST, "/login/code", form: ["username": "thamdinh", "code": code, "password": "doan-mo"])
            #expect(wrongPassword.status == .unauthorized)
            // Typed in lower case with spaces, as people do.
            let typed = code.lowercased().replacingOccurrences(of: "-", with: " ")
            let signedIn = try await phone.send(.POST, "/login/code", form: ["username": "thamdinh", "code": typed, "password": DemoSeeder.password])
            #expect(signedIn.status == .seeOther)
            #expect(phone.device != nil)
            #expect(try await phone.send(.GET, "/api/v1/me").status == .ok)
            // The code worked once; the browser it was typed in is the owner's now, lock or not.
            let again = try await Browser(app).send(.POST, "/login/code", form: ["username": "thamdinh", "code": code, "password": DemoSeeder.password], withCSRF: false)
            #expect(again.status == .unauthorized)
            try await phone.send(.POST, "/logout", form: [:])
            #expect((try await Self.account(app, "thamdinh").lockedUntil ?? .distantPast) > Date())
            #expect(try await phone.signIn("thamdinh").status == .seeOther)
        }
    }

    @Test("signing in to one's own account does not clear what the address guessed at others")
    func successKeepsAddressCount() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            for i in 1...19 { _ = try await b.signIn("khong-co-\(i)", password: "doan-mo") }
            #expect(try await Browser(app).signIn("xem").status == .seeOther)
            _ = try await b.signIn("khong-co-20", password: "doan-mo")
            let blocked = try await Browser(app).signIn("quantri")
            #expect(blocked.status == .tooManyRequests)
        }
    }

    @Test("changing one's password ends the account's other sessions and keeps this one; a reset ends them all")
    func passwordChangeEndsSessions() async throws {
        try await withDemoApp { app in
            let here = Browser(app), elsewhere = Browser(app)
            _ = try await here.signIn("thamdinh")
            _ = try await elsewhere.signIn("thamdinh")
            try await here.send(.GET, "/account/password")
            let changed = try await here.send(.POST, "/account/password", form: ["current": DemoSeeder.password, "new": "Mật-khẩu-mới-2026", "confirm": "Mật-khẩu-mới-2026"])
            #expect(changed.status == .ok)
            #expect(try await here.send(.GET, "/api/v1/me").status == .ok, "the session that changed it carries on")
            #expect(try await elsewhere.send(.GET, "/api/v1/me").status == .unauthorized, "another session ends")
            let page = try await elsewhere.send(.GET, "/account/password")
            #expect(page.status != .ok)

            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            #expect(try await admin.send(.POST, "/api/v1/users/thamdinh/reset-password").status == .ok)
            #expect(try await here.send(.GET, "/api/v1/me").status == .unauthorized, "a reset ends every session")
            #expect(try await admin.send(.GET, "/api/v1/me").status == .ok)
        }
    }

    @Test("disabling an account ends its sessions and revokes its tokens: enabling it again brings none back")
    func disableIsFinal() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let token = try await admin.issueToken(for: "hoidong", name: "kịch bản")
            let member = Browser(app)
            _ = try await member.signIn("hoidong")
            let bearer: HTTPHeaders = ["Authorization": "Bearer \(token)"]
            #expect(try await Browser(app).send(.GET, "/api/v1/me", headers: bearer).status == .ok)
            #expect(try await admin.send(.POST, "/api/v1/users/hoidong/disable").status == .ok)
            #expect(try await admin.send(.POST, "/api/v1/users/hoidong/enable").status == .ok)
            #expect(try await member.send(.GET, "/api/v1/me").status == .unauthorized)
            #expect(try await Browser(app).send(.GET, "/api/v1/me", headers: bearer).status == .unauthorized)
            // The owner signs in anew, as from a browser never used (the disable forgot its browsers).
            #expect(try await member.signIn("hoidong").status == .seeOther)
            #expect(try await member.send(.GET, "/api/v1/me").status == .ok)
        }
    }
}
