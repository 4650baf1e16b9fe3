import DTIFormats
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// The live ranking is kept per process and brought up to date from what
/// changed (LiveRanking, ADR 0027). Whatever the change and however it was
/// made, the next ranking must be byte for byte the one computed from
/// scratch, and only a change of the directory, the frameworks or the list
/// of units may cost a full computation.
@Suite("Live ranking: kept, and after each change equal to a fresh computation", .serialized)
struct LiveRankingTests {
    /// The demo period in evaluation (33 units submitted, two levels).
    func demoPeriod(_ app: Application) async throws -> Period {
        try #require(try await Period.query(on: app.db).filter(\.$year == 2025).first())
    }

    /// What the live ranking must answer: computed from scratch, as publication does.
    func fresh(_ app: Application, _ period: Period) async throws -> String {
        let loaded = try #require(try await PeriodService.load(period.id!, on: app.db))
        let levels = try await ResultsService.compute(loaded, on: app.db)
        return JSONValue.object([("period", .string(loaded.title)), ("live", .bool(true)), ("levels", ResultsService.rankingJSON(levels))]).serialized()
    }

    func counts(_ app: Application) -> (full: Int, rescored: Int) {
        app.liveRanking!.counts.withLockedValue { $0 }
    }

    func expectFresh(_ app: Application, _ evaluator: Browser, _ period: Period, _ what: String) async throws -> String {
        let live = try await evaluator.send(.GET, "/api/v1/periods/\(period.id!)/ranking")
        #expect(live.status == .ok, "\(what): \(live.body.prefix(300))")
        let expected = try await fresh(app, period)
        #expect(live.body == expected, "\(what): the live ranking differs from a fresh computation")
        return live.body
    }

    func index(_ body: String, of unit: String) throws -> String? {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let units = (json["levels"] as? [[String: Any]] ?? []).flatMap { ($0["units"] as? [[String: Any]]) ?? [] }
        return units.first { $0["unit"] as? String == unit }?["display"] as? String
    }

    @Test("scores through the API and statements behind the process: each reaches the next ranking, and only the changed unit is scored again")
    func followsEveryChange() async throws {
        try await withDemoApp { app in
            let period = try await demoPeriod(app)
            let sql = app.db as! any SQLDatabase
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")

            let first = try await expectFresh(app, evaluator, period, "first")
            #expect(counts(app).full == 1 && counts(app).rescored == 0)
            _ = try await expectFresh(app, evaluator, period, "asked again")
            #expect(counts(app).full == 1 && counts(app).rescored == 0, "nothing changed: nothing read again")

            // The evaluator scores one criterion of one unit through the API.
            struct Review: Encodable { var points: String; var note: String?; var version: Int }
            let scored = try await evaluator.send(.PUT, "/api/v1/periods/\(period.id!)/units/STTTT/evaluation/6.KHAC", json: Review(points: "0", note: "đo lại", version: 1))
            #expect(scored.status == .ok, "\(scored.body)")
            let afterScore = try await expectFresh(app, evaluator, period, "after the evaluator's score")
            #expect(try index(afterScore, of: "Sở Thông tin và Truyền thông") != index(first, of: "Sở Thông tin và Truyền thông"))
            #expect(counts(app).full == 1 && counts(app).rescored == 1)

            // Another process's council score: a statement this process never saw.
            try await sql.raw("""
                UPDATE answers SET council_points = 0, council_reason = 'x', council_by = 'khac'
                WHERE criterion = '1' AND submission_id = (SELECT s.id FROM submissions s JOIN units u ON u.id = s.unit_id
                                                           WHERE s.period_id = \(bind: period.id!) AND u.code = 'SNNPTNT')
                """).run()
            _ = try await expectFresh(app, evaluator, period, "after a council score made elsewhere")
            #expect(counts(app).full == 1 && counts(app).rescored == 2)

            // A unit's self-assessment sent back: it no longer counts as reporting.
            try await sql.raw("""
                UPDATE submissions SET status = 'returned', return_reason = 'x'
                WHERE period_id = \(bind: period.id!) AND unit_id = (SELECT id FROM units WHERE code = 'STTTT')
                """).run()
            let returned = try await expectFresh(app, evaluator, period, "after a submission was sent back")
            #expect(counts(app).full == 1 && counts(app).rescored == 3)
            #expect(try index(returned, of: "Sở Thông tin và Truyền thông") != index(afterScore, of: "Sở Thông tin và Truyền thông"))

            // A unit renamed in the directory: computed again from scratch, under its new name.
            try await sql.raw("UPDATE units SET name = 'Sở Khoa học và Công nghệ (tên mới)' WHERE code = 'SKHCN'").run()
            let renamed = try await expectFresh(app, evaluator, period, "after a unit was renamed")
            #expect(renamed.contains("Sở Khoa học và Công nghệ (tên mới)"))
            #expect(counts(app).full == 2)

            // The period's list of units: one unit marked as not reporting.
            let units = try await Participation.units(try #require(try await PeriodService.load(period.id!, on: app.db)), on: app.db)
            for p in units {
                try await sql.raw("""
                    INSERT INTO period_units (id, period_id, unit_id, not_reporting_reason)
                    VALUES (\(bind: UUID()), \(bind: period.id!), \(bind: p.unit.id!), \(bind: p.unit.code == "SNNPTNT" ? "Không nộp báo cáo" : ""))
                    """).run()
            }
            _ = try await expectFresh(app, evaluator, period, "after the list of units changed")
            #expect(counts(app).full == 3)

            // A framework link removed: one level left.
            try await sql.raw("DELETE FROM period_frameworks WHERE period_id = \(bind: period.id!) AND level = 'district'").run()
            let oneLevel = try await expectFresh(app, evaluator, period, "after a framework link was removed")
            #expect(!oneLevel.contains(#""level":"district""#))
            #expect(counts(app).full == 4)
        }
    }

    @Test("a long level lists its groups; each group has its own pages of 300 rows; bad addresses are refused with the range named")
    func longLevelByGroup() async throws {
        try await withDemoApp { app in
            let period = try await demoPeriod(app)
            let sql = app.db as! any SQLDatabase
            // 325 more district-level units: the demo period takes every unit of its levels (no list of its own).
            for n in 1...325 {
                let group = n <= 310 ? "Cụm thử Đông" : "Cụm thử Tây"
                try await sql.raw("""
                    INSERT INTO units (id, code, name, search_key, level, group_name, tags)
                    VALUES (\(bind: UUID()), \(bind: String(format: "CT%03d", n)), \(bind: String(format: "Huyện thử %03d", n)), 'huyen thu', 'district', \(bind: group), '')
                    """).run()
            }
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let base = "/periods/\(period.id!)/ranking"
            let overview = try await evaluator.send(.GET, base)
            #expect(overview.status == .ok)
            #expect(overview.body.contains("table class=\"groups\""), "the district level lists its groups")
            #expect(overview.body.contains("Cấp này có 349 đơn vị"), "\(overview.body.prefix(3000))")
            #expect(!overview.body.contains("Huyện thử 001"), "no unit of a long level on the overview")
            #expect(overview.body.contains("Sở Thông tin và Truyền thông"), "the department level (33 units) is shown whole")
            // The groups are numbered as listed; find the link of the long group.
            let link = try #require(overview.body.range(of: #"href="[^"]*group=(\d+)">(\d+)\. Cụm thử Đông"#, options: .regularExpression))
            let href = String(overview.body[link].dropFirst(6).prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
            let first = try await evaluator.send(.GET, href)
            #expect(first.status == .ok)
            #expect(first.body.components(separatedBy: "<tr><td><a href=").count - 1 == 300)
            #expect(first.body.contains("hàng 1–300 của 310 đơn vị"))
            let second = try await evaluator.send(.GET, href + "&page=2")
            #expect(second.body.components(separatedBy: "<tr><td><a href=").count - 1 == 10)
            #expect(second.body.contains("<strong aria-current=\"page\">2</strong>"))
            #expect(try await evaluator.send(.GET, href + "&page=3").status == .notFound)
            #expect(try await evaluator.send(.GET, href + "&page=0").status == .badRequest)
            #expect(try await evaluator.send(.GET, base + "?level=district&group=99").body.contains("đánh số từ 1 đến"))
            #expect(try await evaluator.send(.GET, base + "?level=district&group=99").status == .notFound)
            #expect(try await evaluator.send(.GET, base + "?level=xa&group=1").status == .notFound)
            #expect(try await evaluator.send(.GET, base + "?level=district&group=x").status == .badRequest)
            // A unit's focal point may not see it, nor may an anonymous reader.
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await focal.send(.GET, href).status == .forbidden)
            #expect(try await Browser(app).send(.GET, href).status != .ok)
        }
    }

    @Test("the joined submissions are compared item by item, and anything but the same units in the same order is read whole")
    func changedItems() {
        let a = "u1|s1|submitted|3,u2|s2|draft|0,u3|s3|submitted|7"
        #expect(LiveRanking.changedItems(from: a, to: a) == [])
        #expect(LiveRanking.changedItems(from: a, to: "u1|s1|submitted|3,u2|s2|submitted|1,u3|s3|submitted|17") == ["u2|s2|submitted|1", "u3|s3|submitted|17"])
        #expect(LiveRanking.changedItems(from: a, to: "u1|s1|submitted|3,u2|s2|draft|0") == nil, "a unit fewer")
        #expect(LiveRanking.changedItems(from: a, to: a + ",u4|s4|draft|0") == nil, "a unit more")
        #expect(LiveRanking.changedItems(from: a, to: "u1|s1|submitted|3,u9|s2|draft|0,u3|s3|submitted|7") == nil, "another unit in its place")
        #expect(LiveRanking.changedItems(from: "", to: "") == [])
        #expect(LiveRanking.changedItems(from: "", to: a) == nil)
    }

    @Test("the live ranking page follows a score as the JSON does")
    func pageFollows() async throws {
        try await withDemoApp { app in
            let period = try await demoPeriod(app)
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let before = try await evaluator.send(.GET, "/periods/\(period.id!)/ranking")
            #expect(before.status == .ok)
            struct Review: Encodable { var points: String; var note: String?; var version: Int }
            #expect(try await evaluator.send(.PUT, "/api/v1/periods/\(period.id!)/units/STTTT/evaluation/6.KHAC", json: Review(points: "0", note: nil, version: 1)).status == .ok)
            let after = try await evaluator.send(.GET, "/periods/\(period.id!)/ranking")
            #expect(after.status == .ok)
            // The page tells what moved since this account last looked.
            #expect(after.body.contains("xuống") || after.body.contains("→"), "\(after.body.prefix(2000))")
            #expect(counts(app).full == 1 && counts(app).rescored == 1)
        }
    }
}
