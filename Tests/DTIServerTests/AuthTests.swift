import Fluent
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

@Suite("Sign-in, sessions, CSRF and lockout", .serialized)
struct AuthTests {
    @Test("signing in sets an HttpOnly, SameSite=Strict session cookie and logs the login")
    func signIn() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            let r = try await b.signIn("quantri")
            #expect(r.status == .seeOther)
            #expect(r.headers.first(name: .location) == "/")
            let setCookie = r.headers[.setCookie].first { $0.hasPrefix("dti_session=") } ?? ""
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            #expect(!setCookie.contains("Secure"))   // not over HTTPS in tests; DTI_SECURE_COOKIES turns it on
            let me = try await b.send(.GET, "/api/v1/me")
            #expect(me.status == .ok)
            #expect(me.body.contains(#""username":"quantri""#))
            let log = try await AuditEntry.query(on: app.db).filter(\.$action == "login").all()
            #expect(log.map(\.actorName) == ["quantri"])
        }
    }

    @Test("a sign-in from another site is refused; a browser holding a session must send its CSRF token")
    func csrfOnLogin() async throws {
        try await withDemoApp { app in
            // Anonymous pages create no session (ADR 0015): a sign-in without a cookie carries no
            // credentials to abuse, and one posted from another site is refused by its origin.
            let crossSite = Browser(app)
            try await crossSite.send(.GET, "/login")
            #expect(crossSite.cookie == nil)
            let forged = try await crossSite.send(.POST, "/login", form: ["username": "quantri", "password": DemoSeeder.password],
                                                  headers: ["Sec-Fetch-Site": "cross-site"], withCSRF: false)
            #expect(forged.status == .forbidden)
            #expect(try await crossSite.send(.GET, "/api/v1/me").status == .unauthorized)
            let otherOrigin = try await crossSite.send(.POST, "/login", form: ["username": "quantri", "password": DemoSeeder.password],
                                                       headers: ["Origin": "https://evil.example", "Host": "127.0.0.1:8080"], withCSRF: false)
            #expect(otherOrigin.status == .forbidden)
            // A browser that holds a session (here from the sign-in API's GET) must send its token.
            let b = Browser(app)
            try await b.send(.GET, "/api/v1/session")
            #expect(b.cookie != nil)
            let r = try await b.send(.POST, "/login", form: ["username": "quantri", "password": DemoSeeder.password], withCSRF: false)
            #expect(r.status == .forbidden)
            #expect(r.body.contains("thiếu mã CSRF"))
            #expect(try await b.send(.GET, "/api/v1/me").status == .unauthorized)
        }
    }

    @Test("a state-changing form without the token, or from another site, changes nothing")
    func csrfOnForms() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            _ = try await b.signIn("quantri")
            let before = try await UnitModel.query(on: app.db).count()
            let form = ["code": "MOI", "name": "Đơn vị mới", "level": "department", "group": "Sở, ban, ngành"]
            let noToken = try await b.send(.POST, "/admin/units", form: form, withCSRF: false)
            #expect(noToken.status == .forbidden)
            let crossSite = try await b.send(.POST, "/admin/units", form: form, headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(crossSite.status == .forbidden)
            let otherOrigin = try await b.send(.POST, "/admin/units", form: form, headers: ["Origin": "https://evil.example", "Host": "dti.daklak.gov.vn"])
            #expect(otherOrigin.status == .forbidden)
            #expect(try await UnitModel.query(on: app.db).count() == before)
            let ok = try await b.send(.POST, "/admin/units", form: form)
            #expect(ok.status == .seeOther)
            #expect(try await UnitModel.query(on: app.db).count() == before + 1)
        }
    }

    @Test("a wrong password is refused in Vietnamese; five failures lock the account, also for the right password")
    func lockout() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            let message = LoginService.Failure.wrongCredentials.message
            for _ in 1...5 {
                let r = try await b.signIn("thamdinh", password: "sai-mat-khau")
                #expect(r.status == .unauthorized)
                #expect(r.body.contains(message))
            }
            let right = try await b.signIn("thamdinh")
            #expect(right.status == .unauthorized)
            #expect(right.body.contains(message), "a locked account answers as a wrong password does")
            let failures = try await AuditEntry.query(on: app.db).filter(\.$action == "login_failed").count()
            #expect(failures == 5)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "login_refused_locked").count() == 1)
            // Unknown accounts get the same answer as wrong passwords.
            let unknown = try await b.signIn("khongco")
            #expect(unknown.body.contains(message))
        }
    }

    @Test("after sign-in the next page is only ever a local path")
    func openRedirect() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            try await b.send(.GET, "/login")
            let r = try await b.send(.POST, "/login", form: ["username": "xem", "password": DemoSeeder.password, "next": "//evil.example/"])
            #expect(r.headers.first(name: .location) == "/")
        }
    }

    @Test("the JSON API signs in with the session and then needs the X-CSRF-Token header")
    func apiSession() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            try await b.send(.GET, "/api/v1/session")
            struct Credentials: Encodable { var username: String; var password: String }
            let login = try await b.send(.POST, "/api/v1/session", json: Credentials(username: "quantri", password: DemoSeeder.password))
            #expect(login.status == .ok)
            #expect(login.body.contains(#""signedIn":true"#))
            let unit = ["code": "API1", "name": "Đơn vị qua API", "level": "commune", "group": "UBND cấp xã"]
            let refused = try await b.send(.POST, "/api/v1/units", json: unit, withCSRF: false)
            #expect(refused.status == .forbidden)
            #expect(refused.body.contains(#""error":true"#))
            let created = try await b.send(.POST, "/api/v1/units", json: unit)
            #expect(created.status == .created)
            let logout = try await b.send(.DELETE, "/api/v1/session")
            #expect(logout.status == .noContent)
            #expect(try await b.send(.GET, "/api/v1/me").status == .unauthorized)
        }
    }

    @Test("bearer tokens: issued once by an administrator, work without cookies, only their hash is stored")
    func bearer() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            struct TokenRequest: Encodable { var username: String; var name: String; var days: Int }
            struct Issued: Decodable { var token: String }
            let issued = try await admin.send(.POST, "/api/v1/tokens", json: TokenRequest(username: "quantri", name: "Đồng bộ Excel", days: 30))
            #expect(issued.status == .created)
            let token = try issued.json(Issued.self).token
            #expect(try await ApiToken.query(on: app.db).filter(\.$tokenHash == token).count() == 0)
            let client = Browser(app)
            let headers: HTTPHeaders = ["Authorization": "Bearer \(token)"]
            let unit = ["code": "BEARER1", "name": "Đơn vị từ máy khách", "level": "commune", "group": "UBND cấp xã"]
            let created = try await client.send(.POST, "/api/v1/units", json: unit, headers: headers)
            #expect(created.status == .created)
            #expect(client.cookie == nil, "a bearer request must not open a cookie session")
            let wrong = try await client.send(.GET, "/api/v1/me", headers: ["Authorization": "Bearer dti_khong_dung"])
            #expect(wrong.status == .unauthorized)
        }
    }

    @Test("a session ends after its absolute lifetime, even when active")
    func absoluteTimeout() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            _ = try await b.signIn("xem")
            #expect(try await b.send(.GET, "/api/v1/me").status == .ok)
            // Signed in thirteen hours ago, active a minute ago: the 12-hour limit ends it.
            for record in try await SessionRecord.query(on: app.db).all() {
                record.data["login_at"] = String(Date().timeIntervalSince1970 - 13 * 3600)
                record.data["last_seen"] = String(Date().timeIntervalSince1970 - 60)
                try await record.save(on: app.db)
            }
            #expect(try await b.send(.GET, "/api/v1/me").status == .unauthorized)
            let page = try await b.send(.GET, "/periods")
            #expect(page.status == .seeOther)
            #expect(page.headers.first(name: .location) == "/login?next=/periods")
        }
    }

    @Test("an idle session ends")
    func idleTimeout() async throws {
        let app = try await Application.make(.testing)
        do {
            var settings = ServerSettings(storage: .sqliteMemory, frameworksDirectory: TestPaths.frameworks, sessionIdleMinutes: 1)
            applyTestDatabase(&settings)
            try await configure(app, settings: settings)
            _ = try await DemoSeeder.seedIfEmpty(app, frameworksDirectory: TestPaths.frameworks)
            let b = Browser(app)
            _ = try await b.signIn("xem")
            #expect(try await b.send(.GET, "/api/v1/me").status == .ok)
            // Age the session as if the user had been away for two minutes.
            let records = try await SessionRecord.query(on: app.db).all()
            for record in records {
                record.data["last_seen"] = String(Date().timeIntervalSince1970 - 120)
                try await record.save(on: app.db)
            }
            #expect(try await b.send(.GET, "/api/v1/me").status == .unauthorized)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

@Suite("A unit's data is its own", .serialized)
struct UnitIsolationTests {
    @Test("a focal point reads its own unit's accounts and is refused another unit's")
    func ownUnitOnly() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            _ = try await b.signIn("daumoi.snn")
            let own = try await b.send(.GET, "/api/v1/units/SNNPTNT/accounts")
            #expect(own.status == .ok)
            #expect(own.body.contains("lanhdao.snn"))
            let other = try await b.send(.GET, "/api/v1/units/STTTT/accounts")
            #expect(other.status == .forbidden)
            #expect(other.body.contains("không có quyền xem tài khoản của đơn vị khác"))
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            #expect(try await evaluator.send(.GET, "/api/v1/units/SNNPTNT/accounts").status == .forbidden)
        }
    }

    @Test("tokens and records are hashed as the standard SHA-256 hex (stored hashes stay valid)")
    func hexDigests() {
        // FIPS 180-2's examples: a wrong digit order would still agree with itself, not with these.
        #expect(Digests.sha256Hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digests.sha256Hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect([UInt8]([0x00, 0x0f, 0xa0, 0xff]).lowercaseHex == "000fa0ff")
    }
}
