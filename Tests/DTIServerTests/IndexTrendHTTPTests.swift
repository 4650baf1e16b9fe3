import DTICore
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Issue 33: each unit's index month by month over HTTP — the API and the page, who may
/// read them, the month under way equal to the form's figure, past months kept.
@Suite("Monthly index over HTTP", .serialized)
struct IndexTrendHTTPTests {
    struct Trend: Decodable {
        struct Month: Decodable { var month: String; var index: Double?; var change: Double?; var live: Bool }
        var unit: String
        var months: [Month]
    }
    struct Form: Decodable {
        struct Row: Decodable { var code: String; var version: Int }
        var index: String
        var rows: [Row]
    }

    @Test("the month under way is the form's index; past months are kept whatever changes after them; only those who may read the form may read it")
    func trend() async throws {
        try await withDemoApp { app in
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2026).first()?.id)
            let path = "/api/v1/periods/\(period)/units/24133/trend"
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.xa")
            let first = try await focal.send(.GET, path)
            #expect(first.status == .ok, "\(first.body.prefix(300))")
            let trend = try first.json(Trend.self)
            let now = IndexTrendService.month(of: app.clock.now())
            let expected = IndexTrend.months(of: 2026, through: now).map(\.description)
            #expect(trend.unit == "24133" && trend.months.map(\.month) == expected, "\(trend.months.map(\.month))")
            // Every month has an index (the 766 feed's months count from January); the year's months before the
            // answers were typed count only the criteria filled from the feed, so they are below the month under way.
            #expect(trend.months.allSatisfy { $0.index != nil }, "\(trend.months)")
            let kept = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM index_months").first(decoding: [String: Int].self)?["n"]
            #expect(kept == trend.months.filter { !$0.live }.count)

            func form() async throws -> Form { try await focal.send(.GET, "/api/v1/periods/\(period)/units/24133/self-assessment").json(Form.self) }
            func number(_ text: String) -> Double { Double(text.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: "."))! }
            if let live = trend.months.last, live.live {
                #expect(live.index == number(try await form().index), "the month under way is the form's figure")
                // A typed answer changes the month under way, never a month already kept.
                struct Body: Encodable { var value: String; var version: Int }
                let version = try await form().rows.first { $0.code == "1.2" }?.version ?? 0
                let saved = try await focal.send(.PUT, "/api/v1/periods/\(period)/units/24133/answers/1.2", json: Body(value: "3", version: version))
                #expect(saved.status == .ok, "\(saved.body.prefix(300))")
                let after = try await focal.send(.GET, path).json(Trend.self)
                #expect(after.months.dropLast().map(\.index) == trend.months.dropLast().map(\.index))
                #expect(after.months.last?.index == number(try await form().index))
            }
            // A correction of January's feed after the months were kept: the kept months stay what was known then.
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let corrected = try await admin.send(.POST, "/api/v1/feeds/dvc-766/data?name=sua.csv", body: "unit,period,cong_khai,tien_do,so_hoa,truc_tuyen,hai_long\n24133,2026-01,0,0,0,0,0\n",
                                                 contentType: HTTPMediaType(type: "text", subType: "csv"))
            #expect(corrected.status == .created, "\(corrected.body)")
            let later = try await focal.send(.GET, path).json(Trend.self)
            #expect(later.months.filter { !$0.live }.map(\.index) == trend.months.filter { !$0.live }.map(\.index))

            // Who may read it: the unit's leader, reviewers; not another unit, a viewer, or nobody signed in.
            for (user, status) in [("lanhdao.xa", HTTPStatus.ok), ("thamdinh", .ok), ("hoidong", .ok), ("daumoi.snn", .forbidden), ("xem", .forbidden)] {
                let b = Browser(app)
                _ = try await b.signIn(user)
                #expect(try await b.send(.GET, path).status == status, "\(user)")
                #expect(try await b.send(.GET, "/periods/\(period)/units/24133/trend").status == status, "\(user) page")
            }
            #expect(try await Browser(app).send(.GET, path).status == .unauthorized)

            // The page: the chart, the months newest first, the criteria filled from the feed.
            let page = try await focal.send(.GET, "/periods/\(period)/units/24133/trend")
            #expect(page.status == .ok)
            #expect(page.body.contains("Chỉ số theo tháng — Phường Buôn Ma Thuột") && page.body.contains("<svg viewBox=\"0 0 640 240\""), "\(page.body.count)")
            #expect(page.body.contains("<td>01/2026</td>") && page.body.contains("6.8 ") && page.body.contains("(dvc-766, so_hoa)"))
            #expect(try await focal.send(.GET, "/periods/\(period)/units/24133").body.contains("/units/24133/trend\">Chỉ số theo tháng</a>"))
        }
    }

    @Test("the season board names the units whose index rose and fell most over the last complete month, as their own months say")
    func movers() async throws {
        try await withDemoApp { app in
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2026).first()?.id)
            let now = IndexTrendService.month(of: app.clock.now())
            guard now.year == 2026, now.month > 2 else { return }  // the demo's year has no two complete months to compare
            let last = FeedMonth(year: 2026, month: now.month - 1), previous = FeedMonth(year: 2026, month: now.month - 2)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let board = try await admin.send(.GET, "/periods/\(period)/board")
            #expect(board.status == .ok)
            #expect(board.body.contains("Tăng, giảm nhiều nhất tháng \(last.label) (so với tháng \(previous.label))"), "\(board.body.count)")
            // The first commune that rose: its own trend says the same two figures.
            let html = board.body
            let link = try #require(html.range(of: "<h4>Tăng nhiều nhất</h4><ol><li><a href=\""))
            let rest = html[link.upperBound...]
            let href = String(rest.prefix { $0 != "\"" })
            let figures = rest.drop { $0 != "<" }.dropFirst(4).drop { $0 != ":" }.dropFirst(2).prefix { $0 != "<" }  // "a → b "
            let parts = figures.components(separatedBy: " → ").map { $0.trimmingCharacters(in: .whitespaces) }
            let trend = try await admin.send(.GET, "/api/v1" + href).json(IndexTrendHTTPTests.Trend.self)
            func shown(_ v: Double?) -> String { v.map { ScaledDecimal(micros: Int64(($0 * 1_000_000).rounded())).vietnamese } ?? "-" }
            let months = Dictionary(uniqueKeysWithValues: trend.months.map { ($0.month, $0.index) })
            #expect(parts.count == 2 && parts[0] == shown(months[previous.description] ?? nil) && parts[1] == shown(months[last.description] ?? nil), "\(parts) \(trend.months)")
            // A unit's accounts have no board.
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.xa")
            #expect(try await focal.send(.GET, "/periods/\(period)/board").status == .forbidden)
        }
    }
}
