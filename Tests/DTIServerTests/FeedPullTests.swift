import DTICore
import DTIFormats
import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Issue 33: a feed pulled from its source on a schedule, against a feed server the test
/// starts on this machine — one that answers with data (behind a token), one that takes
/// too long, one that answers 500 and one whose body is not the data. A source that fails
/// changes nothing and says so on the feed's page, beside the data still in use.
@Suite("Data feeds: pulled from a source", .serialized)
struct FeedPullTests {
    struct Ingestion: Decodable { var number: Int; var status: String; var source: String; var changed: Int; var answersChanged: Int; var problems: [String] }

    static let tokenVariable = "OPENDTI_TEST_FEED_TOKEN"
    static let token = "bi-mat-\(UUID().uuidString.prefix(8))"

    /// The feed server: `/dvc.csv` (needs the token), `/slow.csv` (answers after 3 s), `/fail.csv` (500), `/bad.json` (a web page).
    static func feedServer() async throws -> (Application, Int) {
        let server = try await Application.make(.testing)
        server.get("dvc.csv") { req -> Response in
            guard req.headers.first(name: "X-Feed-Token") == Self.token else { return Response(status: .unauthorized, body: "token") }
            return Response(status: .ok, body: .init(string: "unit,period,cong_khai\n24133,2026-12,0\n"))
        }
        server.get("slow.csv") { _ -> String in
            try await Task.sleep(nanoseconds: 3_000_000_000)
            return "unit,period,cong_khai\n24133,2026-12,1\n"
        }
        server.get("fail.csv") { _ in Response(status: .internalServerError, body: "lỗi máy chủ") }
        server.get("bad.json") { _ in "<html><body>Bảo trì</body></html>" }
        try await server.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(server.http.server.shared.localAddress?.port)
        return (server, port)
    }

    /// The shipped 766 feed pulled from `path` of the feed server (other keys than dvc-766 bind no criterion).
    static func pulledFeed(key: String, port: Int, path: String, timeout: Int = 10, token: Bool = false) throws -> Feed {
        var text = try String(contentsOf: TestPaths.root.appendingPathComponent("feeds/dvc-766.yaml"), encoding: .utf8)
        let format = path.hasSuffix(".json") ? "json" : "csv"
        text = text.replacingOccurrences(of: "key: dvc-766", with: "key: \(key)")
        text = text.replacingOccurrences(of: "source:\n  type: upload\n", with: """
            source:
              type: pull
              url: http://127.0.0.1:\(port)/\(path)
              format: \(format)
              every_minutes: 60
              timeout_seconds: \(timeout)
            \(token ? "  header: X-Feed-Token\n  token_env: \(tokenVariable)\n" : "")
            """)
        return try FeedLoader.parse(text, file: "\(key).yaml")
    }

    static func answer(_ app: Application) async throws -> String? {
        try await FeedIngestionTests.answer(app, unit: "24133", criterion: "6.6")?.value
    }

    @Test("a pull takes the source's data (with its token); the same data again changes nothing; the schedule pulls only when due")
    func pulled() async throws {
        let (server, port) = try await Self.feedServer()
        setenv(Self.tokenVariable, Self.token, 1)
        defer { unsetenv(Self.tokenVariable) }
        try await withDemoApp { app in
            app.feeds = FeedRegistry(feeds: [try Self.pulledFeed(key: "dvc-766", port: port, path: "dvc.csv", token: true)])
            let before = try #require(try await Self.answer(app))
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let first = try await admin.send(.POST, "/api/v1/feeds/dvc-766/pull")
            #expect(first.status == .created, "\(first.body)")
            let taken = try first.json(Ingestion.self)
            #expect(taken.status == "accepted" && taken.source == "pull" && taken.changed == 1 && taken.answersChanged == 1, "\(taken)")
            // December's 0 joins the year's mean of "công khai": criterion 6.6 of the commune changes, with the pull's provenance.
            let after = try #require(try await FeedIngestionTests.answer(app, unit: "24133", criterion: "6.6"))
            #expect(after.value != before && after.explanation.contains("tháng 12/2026") && after.explanation.contains("lần nhận số \(taken.number)"), "\(after)")
            let again = try await admin.send(.POST, "/api/v1/feeds/dvc-766/pull")
            let repeated = try again.json(Ingestion.self)
            #expect(again.status == .ok && repeated.status == "unchanged", "\(again.body)")
            // The schedule: the last attempt is minutes old and the feed pulls hourly, so a sweep does nothing.
            #expect(await FeedPull.sweep(app, logger: app.logger).isEmpty)
            // Without the token, the source refuses (401): a failed pull, nothing changed.
            unsetenv(Self.tokenVariable)
            let noToken = try await admin.send(.POST, "/api/v1/feeds/dvc-766/pull")
            #expect(noToken.status == .badGateway && noToken.body.contains("OPENDTI_TEST_FEED_TOKEN"), "\(noToken.body)")
            #expect(try await Self.answer(app) == after.value)
            // An uploaded feed has nothing to pull.
            app.feeds = FeedRegistry(feeds: [try FeedLoader.parse(String(contentsOf: TestPaths.root.appendingPathComponent("feeds/dvc-766.yaml"), encoding: .utf8), file: "dvc-766.yaml")])
            let upload = try await admin.send(.POST, "/api/v1/feeds/dvc-766/pull")
            #expect(upload.status == .conflict && upload.body.contains("không có địa chỉ để lấy tự động"), "\(upload.body)")
        }
        await server.server.shutdown()
        try await server.asyncShutdown()
    }

    @Test("a source that times out, answers 500 or sends a web page changes nothing, and the page names the error beside the data in use")
    func failures() async throws {
        let (server, port) = try await Self.feedServer()
        try await withDemoApp { app in
            let slow = try Self.pulledFeed(key: "cham", port: port, path: "slow.csv", timeout: 1)
            let fail = try Self.pulledFeed(key: "loi-500", port: port, path: "fail.csv")
            let bad = try Self.pulledFeed(key: "sai-dang", port: port, path: "bad.json")
            app.feeds = FeedRegistry(feeds: app.feeds.feeds + [slow, fail, bad])
            let sql = try #require(app.db as? any SQLDatabase)
            let values = try await sql.raw("SELECT COUNT(*) AS n FROM feed_values").first(decoding: [String: Int].self)?["n"]
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")

            let timedOut = try await admin.send(.POST, "/api/v1/feeds/cham/pull")
            #expect(timedOut.status == .badGateway, "\(timedOut.body)")
            let t = try timedOut.json(Ingestion.self)
            #expect(t.status == "failed" && t.problems.first?.hasPrefix("Nguồn không trả lời đủ trong 1 giây.") == true, "\(t)")

            let failed = try await admin.send(.POST, "/api/v1/feeds/loi-500/pull")
            #expect(failed.status == .badGateway && failed.body.contains("Nguồn trả lời mã 500"), "\(failed.body)")

            let malformed = try await admin.send(.POST, "/api/v1/feeds/sai-dang/pull")
            #expect(malformed.status == .unprocessableEntity && malformed.body.contains("bị từ chối"), "\(malformed.body)")
            #expect(try await sql.raw("SELECT COUNT(*) AS n FROM feed_values").first(decoding: [String: Int].self)?["n"] == values)

            // The page's "Lấy số liệu ngay": post, redirect, get, with the error; the schedule and the last error on the feed.
            let form = try await admin.send(.POST, "/admin/feeds/loi-500/pull", form: [:])
            #expect(form.status == .seeOther, "\(form.body.prefix(300))")
            let location = try #require(form.headers.first(name: .location))
            #expect(location == "/feeds?feed=loi-500&ingestion=2#ket-qua")
            let page = try await admin.send(.GET, String(location.prefix { $0 != "#" }))
            #expect(page.body.contains("Không lấy được số liệu từ nguồn (lần nhận số 2); không có gì thay đổi"), "\(page.body.count)")
            #expect(page.body.contains("Lỗi lần gần nhất") && page.body.contains("Lần 2: Nguồn trả lời mã 500 (Internal Server Error)"), "\(page.body.count)")
            #expect(page.body.contains("http://127.0.0.1:\(port)/fail.csv") && page.body.contains("mỗi 60 phút, chờ tối đa 10 giây"))
            #expect(page.body.contains("Lỗi nguồn, không đổi") && page.body.contains("action=\"/admin/feeds/loi-500/pull\""))
            // The demo feed's data in use is still named.
            #expect(page.body.contains("Lần nhận số 1, lúc") && page.body.contains("(dvc-766-2026.csv)"))

            // The evaluator reads the page but has no button and may not pull.
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let read = try await evaluator.send(.GET, "/feeds")
            #expect(read.status == .ok && !read.body.contains("/admin/feeds/loi-500/pull"))
            #expect(try await evaluator.send(.POST, "/api/v1/feeds/loi-500/pull").status == .forbidden)

            // The schedule: the three sources were just tried; a sweep an hour later tries each again.
            #expect(await FeedPull.sweep(app, logger: app.logger).isEmpty)
            app.clock = FixedClock(app.clock.now().addingTimeInterval(3_601))
            let swept = await FeedPull.sweep(app, logger: app.logger)
            #expect(swept.map(\.ingestion.feed_key).sorted() == ["cham", "loi-500", "sai-dang"] && swept.allSatisfy { $0.ingestion.received_by == "lịch tự động" })
        }
        await server.server.shutdown()
        try await server.asyncShutdown()
    }
}
