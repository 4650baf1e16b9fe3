import DTIFormats
import Fluent
import SQLKit
import Foundation
import Testing
import NIOConcurrencyHelpers
import Vapor
import VaporTesting
@testable import DTIServer

/// Results day: published pages are bytes with a strong ETag and 304 on
/// revalidation, compressed once; anonymous reading creates no session.
@Suite("Published pages as bytes; no session for anonymous reading", .serialized)
struct PublishedBytesTests {
    func publishedPeriod(_ app: Application) async throws -> UUID {
        try #require(try await Period.query(on: app.db).filter(\.$year == 2023).filter(\.$resultsOnly == true).first()).id!
    }

    @Test("the ranking, a scorecard, the JSON and an export: same bytes as a fresh render, a strong ETag, 304 on revalidation, gzip once")
    func bytesAndRevalidation() async throws {
        try await withDemoApp { app in
            let id = try await publishedPeriod(app)
            for path in ["/results/\(id)", "/results/\(id)/groups/1", "/results/\(id)/units/SNNPTNT", "/api/v1/results/\(id)", "/results/\(id)/export.csv", "/results/\(id)/record.json"] {
                var first: (HTTPStatus, HTTPHeaders, ByteBuffer)?
                try await app.testing().test(.GET, path) { res in first = (res.status, res.headers, res.body) }
                let (status, headers, body) = try #require(first)
                #expect(status == .ok, "\(path)")
                let etag = try #require(headers.first(name: .eTag), "\(path)")
                #expect(etag.hasPrefix("\"") && etag.count >= 34)
                #expect(headers.first(name: .cacheControl) == "public, max-age=300")
                #expect(headers.first(name: .lastModified) != nil)
                // A fresh render gives the same bytes. Pages are kept only for requests without credentials;
                // downloads, the same bytes for everyone, are kept for all, so they are forgotten first.
                let download = KeptRoutes(app.routes).match(path: path.prefix { $0 != "?" })?.rule.forEveryone == true
                if download { app.publishedBytes.forget(period: id) }
                try await app.testing().test(.GET, path, headers: ["Authorization": "Bearer nobody"]) { res in
                    if download {
                        #expect(res.headers.first(name: .eTag) == etag, "\(path): rendered again, kept again under the same ETag")
                    } else {
                        #expect(res.headers.first(name: .cacheControl) == nil, "rendered, not served from the kept bytes")
                    }
                    #expect(res.body == body, "\(path): the kept bytes equal a fresh render")
                }
                // Revalidation: 304 without a body.
                try await app.testing().test(.GET, path, headers: ["If-None-Match": etag]) { res in
                    #expect(res.status == .notModified, "\(path)")
                    #expect(res.body.readableBytes == 0)
                }
                // Compressed once, for clients that accept it: the same bytes once inflated.
                try await app.testing().test(.GET, path, headers: ["Accept-Encoding": "gzip, br"]) { res in
                    if body.readableBytes > 1024 && !path.hasSuffix(".xlsx") {
                        #expect(res.headers.first(name: .contentEncoding) == "gzip", "\(path)")
                        let inflated = try python("""
                        import gzip, sys
                        sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1], 'rb').read()))
                        """, try tempFile(Data(res.body.readableBytesView)))
                        #expect(inflated == String(decoding: body.readableBytesView, as: UTF8.self), "\(path)")
                    }
                }
            }
            // A signed-in reader gets the page rendered for them (their name in the header), not the kept bytes.
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let page = try await admin.send(.GET, "/results/\(id)")
            #expect(page.body.contains("Đăng xuất"))
            #expect(page.headers.first(name: .eTag) == nil)
            // Not published: never kept.
            try await app.testing().test(.GET, "/results/\(UUID())") { res in #expect(res.status == .notFound) }
            try await app.testing().test(.GET, "/results/\(UUID())") { res in #expect(res.headers.first(name: .eTag) == nil) }
        }
    }

    @Test("anonymous reading creates no session; the sign-in form still works without one")
    func noAnonymousSessions() async throws {
        try await withDemoApp { app in
            let id = try await publishedPeriod(app)
            let before = try await SessionRecord.query(on: app.db).count()
            for path in ["/", "/results", "/results/\(id)", "/frameworks", "/units", "/login"] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .ok, "\(path)")
                    #expect(res.headers[.setCookie].isEmpty, "\(path) set a cookie")
                }
            }
            #expect(try await SessionRecord.query(on: app.db).count() == before)
            let b = Browser(app)
            #expect(try await b.signIn("daumoi.snn").status == .seeOther)
            #expect(try await SessionRecord.query(on: app.db).count() == before + 1)
        }
    }
    @Test("another spelling of a published address (a lower-case id, a percent-encoded code) is sent to the one spelling, and not kept anew")
    func oneSpelling() async throws {
        try await withDemoApp { app in
            let id = try await publishedPeriod(app)
            let canonical = "/results/\(id.uuidString)"
            for (asked, expected) in [("/results/\(id.uuidString.lowercased())", canonical),
                                      ("/results/\(id.uuidString.lowercased())/units/%53NNPTNT?version=1", canonical + "/units/SNNPTNT?version=1"),
                                      ("/api/v1/results/\(id.uuidString.lowercased())/record", "/api/v1/results/\(id.uuidString)/record")] {
                let r = try await Browser(app).send(.GET, asked)
                #expect(r.status == .movedPermanently, "\(asked) → \(r.status)")
                #expect(r.headers.first(name: .location) == expected, "\(asked)")
                #expect(app.publishedBytes.entry(asked, now: Date()) == nil, "\(asked) was kept under its own spelling")
            }
            #expect(try await Browser(app).send(.GET, canonical).status == .ok)
            #expect(app.publishedBytes.entry(canonical, now: Date()) != nil)
            // The site's own links are the one spelling: followed, none is sent elsewhere.
            let page = try await Browser(app).send(.GET, canonical)
            let links = page.body.matches(of: try Regex(##"href="(/results/[^"#]+)""##)).compactMap { $0.output[1].substring.map(String.init) }
            #expect(!links.isEmpty)
            for link in Set(links).prefix(40) {
                let target = link.replacingOccurrences(of: "&amp;", with: "&")
                #expect(KeptRoutes(app.routes).canonical(target) == nil, "the page links to \(target), not the one spelling")
            }
        }
    }

    @Test("what is kept is declared at the route: a new route under /results/:id/ that declares nothing is rendered for every request; the declared ones are kept, and a rule's query is the only one kept")
    func keptOnlyWhereDeclared() async throws {
        try await withDemoApp { app in
            let id = try await publishedPeriod(app)
            let renders = NIOLockedValueBox(0)
            app.get("results", ":id", "fresh") { _ in "lần \(renders.withLockedValue { $0 += 1; return $0 })" }
            let first = try await Browser(app).send(.GET, "/results/\(id)/fresh")
            let second = try await Browser(app).send(.GET, "/results/\(id)/fresh")
            #expect(first.status == .ok && first.body == "lần 1" && second.body == "lần 2", "rendered each time: \(first.body), \(second.body)")
            #expect(app.publishedBytes.entry("/results/\(id)/fresh", now: Date()) == nil)
            #expect(second.headers.first(name: .eTag) == nil)
            // A lower-case id on an undeclared route is the route's business, not sent elsewhere.
            #expect(try await Browser(app).send(.GET, "/results/\(id.uuidString.lowercased())/fresh").status == .ok)
            // The declared ones: kept for good, under the query their rule chooses, and no other.
            let routes = KeptRoutes(app.routes)
            #expect(routes.match(path: "/results/\(id)")?.rule == .published())
            #expect(routes.match(path: "/results/\(id)/export.csv")?.rule.forEveryone == true)
            #expect(routes.match(path: "/results/\(id)/groups/1")?.rule.allows(query: "page=2") == true)
            #expect(routes.match(path: "/results/\(id)")?.rule.allows(query: "page=2") == false, "page chooses only a group's page")
            #expect(routes.match(path: "/")?.rule == .listing)
            #expect(routes.match(path: "/login") == nil)
            #expect(try await Browser(app).send(.GET, "/results/\(id)").status == .ok)
            #expect(app.publishedBytes.entry("/results/\(id)", now: Date()) != nil)
            #expect(try await Browser(app).send(.GET, "/results/\(id)/groups/1?page=01").status == .ok)
            #expect(app.publishedBytes.entry("/results/\(id)/groups/1?page=01", now: Date()) == nil, "a number written another way is not kept")
        }
    }

    @Test("a corrected record written by another process: the kept pages of its period go within the watch interval, and the new version is served")
    func correctionFromAnotherProcess() async throws {
        try await withDemoApp { app in
            let id = try await publishedPeriod(app)
            // The watch's first reading forgets whatever was kept before it: read until the page stays kept.
            var before = try await Browser(app).send(.GET, "/results/\(id)")
            for _ in 0..<40 where app.publishedBytes.entry("/results/\(id)", now: Date()) == nil {
                try await Task.sleep(nanoseconds: 250_000_000)
                before = try await Browser(app).send(.GET, "/results/\(id)")
            }
            #expect(before.status == .ok && !before.body.contains("Đính chính:"))
            #expect(app.publishedBytes.entry("/results/\(id)", now: Date()) != nil, "kept")
            // Another process on the same database publishes version 2: a row in the shared table, nothing said to this one.
            let v1 = try #require(try await PublishedRecordRow.query(on: app.db).filter(\.$period.$id == id).sort(\.$version, .descending).first())
            try await PublishedRecordRow(periodID: id, version: v1.version + 1, sha256: v1.sha256, content: v1.content,
                                         reason: "Đính chính từ máy chủ thứ hai").create(on: app.db)
            var shown = ""
            for _ in 0..<40 {
                shown = try await Browser(app).send(.GET, "/results/\(id)").body
                if shown.contains("Đính chính từ máy chủ thứ hai") { break }
                try await Task.sleep(nanoseconds: 250_000_000)
            }
            #expect(shown.contains("Đính chính:") && shown.contains("Đính chính từ máy chủ thứ hai"), "the kept page outlived the correction")
        }
    }

}

func tempFile(_ data: Data) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dti-\(UUID().uuidString)")
    try data.write(to: url)
    return url.path
}

@Suite("SQLite tuning")
struct SQLiteTuningTests {
    @Test("the SQLite file is in WAL mode, and every connection waits up to 5 s for a lock instead of spinning")
    func walAndBusyTimeout() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-wal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let app = try await Application.make(.testing)
        do {
            try await configure(app, settings: ServerSettings(dataDirectory: dir.path, storage: .sqliteFile(dir.appendingPathComponent("dti.sqlite").path),
                                                             frameworksDirectory: TestPaths.frameworks))
            for loop in app.eventLoopGroup.makeIterator() {
                let sql = try #require(app.databases.database(.sqlite, logger: app.logger, on: loop) as? any SQLDatabase)
                struct Mode: Decodable { var journal_mode: String }
                struct Timeout: Decodable { var timeout: Int }
                struct Sync: Decodable { var synchronous: Int }
                #expect(try await sql.raw("PRAGMA journal_mode").first(decoding: Mode.self)?.journal_mode == "wal")
                #expect(try await sql.raw("PRAGMA busy_timeout").first(decoding: Timeout.self)?.timeout == 5_000)
                #expect(try await sql.raw("PRAGMA synchronous").first(decoding: Sync.self)?.synchronous == 1)
            }
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

@Suite("Importing many new units", .serialized)
struct ManyUnitsImportTests {
    @Test("1,200 new communes whose initials collide get distinct codes, each found again by its name")
    func collidingInitials() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            struct Import: Encodable { var manifest: String; var files: [String: String] }
            // "Xã Hòa An 1", "Xã Hòa An 2", …: every name folds to the initials "XHA" plus a number's initial.
            let names = (1...1200).map { "Xã Hòa An \($0)" }
            let table = "group,unit,points\n" + names.enumerated().map { "Cấp xã,\($1),\($0 % 100)" }.joined(separator: "\n") + "\n"
            let manifest = """
            schema: opendti.results/1
            id: thu-nhieu-xa
            title: Thử nhiều xã
            year: 2024
            province: Đắk Lắk
            province_unit: DAKLAK
            source: thử
            tables:
              - {file: t.csv, level: commune}
            """
            let ok = try await admin.send(.POST, "/api/v1/results", json: Import(manifest: manifest, files: ["t.csv": table]))
            #expect(ok.status == .created, "\(ok.body.prefix(500))")
            // The table's communes (the demo has Đắk Lắk's own from the directory besides).
            let communes = try await UnitModel.query(on: app.db).filter(\.$level == "commune").all().filter { $0.name.hasPrefix("Xã Hòa An ") && !$0.name.hasSuffix(")") }
            #expect(communes.count == 1200)
            #expect(Set(communes.map(\.code)).count == 1200, "distinct codes")
            #expect(Set(communes.map(\.name)) == Set(names))
        }
    }
}

@Suite("Expired sessions", .serialized)
struct SessionSweepTests {
    @Test("the hourly sweep deletes sessions idle past the timeout, past their lifetime, or handed out and never signed in; live ones stay")
    func sweep() async throws {
        try await withDemoApp { app in
            let clock = FixedClock(Date(timeIntervalSince1970: 1_780_000_000))
            app.clock = clock
            let idle: TimeInterval = 30 * 60, absolute: TimeInterval = 12 * 3600
            let dozing = Browser(app), working = Browser(app), tokenOnly = Browser(app)
            #expect(try await dozing.signIn("daumoi.snn").status == .seeOther)
            #expect(try await working.signIn("thamdinh").status == .seeOther)
            try await tokenOnly.send(.GET, "/api/v1/session")
            #expect(try await SessionRecord.query(on: app.db).count() == 3)
            #expect(try await SessionSweep.run(on: app.db, now: clock.now(), idle: idle, absolute: absolute) == 0)
            // 25 minutes on, one person is still working; ten minutes later the other has been idle 35.
            clock.advance(25 * 60)
            #expect(try await working.send(.GET, "/api/v1/me").status == .ok)
            clock.advance(10 * 60)
            #expect(try await SessionSweep.run(on: app.db, now: clock.now(), idle: idle, absolute: absolute) == 2)
            #expect(try await working.send(.GET, "/api/v1/me").status == .ok, "the live session stays")
            #expect(try await dozing.send(.GET, "/api/v1/me").status == .unauthorized)
            #expect(try await SessionRecord.query(on: app.db).count() == 1)
            // Past the absolute lifetime, even a busy session goes.
            for _ in 0..<26 {
                clock.advance(29 * 60)
                #expect(try await working.send(.GET, "/api/v1/me").status == .ok || clock.now().timeIntervalSince1970 - 1_780_000_000 > absolute)
            }
            #expect(try await SessionSweep.run(on: app.db, now: clock.now(), idle: idle, absolute: absolute) == 1)
            #expect(try await SessionRecord.query(on: app.db).count() == 0)
        }
    }
}

@Suite("Sessions written only when they change", .serialized)
struct QuietSessionTests {
    @Test("a signed-in request writes its session back only when it changed: the last-seen time moves at most once a minute, and the idle limit still holds")
    func lastSeenOncePerMinute() async throws {
        try await withDemoApp { app in
            let clock = FixedClock(Date(timeIntervalSince1970: 1_780_000_000))
            app.clock = clock
            let b = Browser(app)
            #expect(try await b.signIn("daumoi.snn").status == .seeOther)
            func lastSeen() async throws -> String? {
                try await SessionRecord.query(on: app.db).all().first { $0.data["user_id"] != nil }?.data["last_seen"]
            }
            /// Session rows written so far, as /metrics counts them.
            func writes() async throws -> Int {
                let text = try await Browser(app).send(.GET, "/metrics").body
                let line = text.split(separator: "\n").first { $0.hasPrefix("dti_session_writes_total ") }
                return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
            }
            let signedInAt = try await lastSeen()
            #expect(signedInAt != nil)
            let before = try await writes()
            #expect(before > 0, "signing in wrote the session")
            clock.advance(30)
            #expect(try await b.send(.GET, "/api/v1/me").status == .ok)
            #expect(try await b.send(.GET, "/").status == .ok)
            #expect(try await b.send(.GET, "/periods").status == .ok)
            #expect(try await writes() == before, "nothing changed: nothing written")
            #expect(try await lastSeen() == signedInAt)
            clock.advance(31)
            #expect(try await b.send(.GET, "/api/v1/me").status == .ok)
            #expect(try await writes() == before + 1, "a minute on, the last-seen time is written once")
            #expect(try await lastSeen() == String(clock.now().timeIntervalSince1970))
            // Idle past the 30-minute limit (counted from the last time written): signed out.
            clock.advance(30 * 60 + 1)
            #expect(try await b.send(.GET, "/api/v1/me").status == .unauthorized)
        }
    }
}

@Suite("Public listings kept a few seconds", .serialized)
struct ListingBytesTests {
    @Test("the home page, frameworks, units and the list of results are kept 10 s for anonymous readers; an administrator's new unit shows after that, and at once to signed-in readers")
    func listings() async throws {
        try await withDemoApp { app in
            let clock = FixedClock(Date(timeIntervalSince1970: 1_780_000_000))
            app.clock = clock
            // A search is rendered each time and never kept: made-up queries cannot fill the store.
            for _ in 0..<2 {
                try await app.testing().test(.GET, "/units?q=krong") { res in
                    #expect(res.status == .ok)
                    #expect(res.headers.first(name: .cacheControl) == nil)
                }
            }
            #expect(app.publishedBytes.entry("/units?q=krong", now: clock.now()) == nil)
            for path in ["/", "/frameworks", "/units", "/results"] {
                var etag: String?
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .ok)
                    etag = res.headers.first(name: .eTag)
                    #expect(res.headers.first(name: .cacheControl) == "public, max-age=10", "\(path)")
                }
                try await app.testing().test(.GET, path, headers: ["If-None-Match": try #require(etag)]) { res in #expect(res.status == .notModified, "\(path)") }
            }
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let created = try await admin.send(.POST, "/api/v1/units", json: ["code": "XATHU", "name": "Xã Thử Nghiệm Mới", "level": "commune", "group": "Cấp xã"])
            #expect(created.status == .created, "\(created.body)")
            try await app.testing().test(.GET, "/units") { res in #expect(!res.body.string.contains("Xã Thử Nghiệm Mới"), "kept for 10 s") }
            #expect(try await admin.send(.GET, "/units").body.contains("Xã Thử Nghiệm Mới"), "a signed-in reader sees it at once")
            clock.advance(11)
            // Expired: while one request renders it again, the others are served the expired bytes.
            #expect(app.publishedBytes.entry("/units", now: clock.now()) == nil, "this caller renders")
            try await app.testing().test(.GET, "/units") { res in #expect(!res.body.string.contains("Xã Thử Nghiệm Mới"), "served meanwhile") }
            app.publishedBytes.refreshed("/units")
            try await app.testing().test(.GET, "/units") { res in #expect(res.body.string.contains("Xã Thử Nghiệm Mới"), "shown after 10 s") }
            try await app.testing().test(.GET, "/units") { res in #expect(res.body.string.contains("Xã Thử Nghiệm Mới"), "and kept") }
        }
    }

}
