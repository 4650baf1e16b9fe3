import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// A period's phases and frameworks are kept between requests (PeriodCache,
/// ADR 0024), and a change reaches the next request however it was made:
/// through the administrator's form here, or by a statement this process
/// never saw (another server process, a hand-written fix), through the
/// database's triggers.
@Suite("Kept periods: a change of phases or frameworks is seen on the next request", .serialized)
struct PeriodCacheTests {
    func save(_ b: Browser, _ period: String, value: String, version: Int) async throws -> Browser.Result {
        struct Body: Encodable { var value: String; var version: Int }
        return try await b.send(.PUT, "/api/v1/periods/\(period)/units/SNNPTNT/answers/1", json: Body(value: value, version: version))
    }

    func revision(_ app: Application, _ period: String) async throws -> Int {
        let row = try await (app.db as! any SQLDatabase).raw("SELECT revision FROM periods WHERE id = \(bind: UUID(uuidString: period)!)").first()
        return try #require(row).decode(column: "revision", as: Int.self)
    }

    @Test("the administrator closes self-assessment: the next save is refused, though the period was kept")
    func closedThroughTheForm() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await save(focal, period, value: "10", version: 0).status == .ok)
            #expect(try await save(focal, period, value: "11", version: 1).status == .ok)
            #expect((app.periodCache?.count ?? 0) >= 1, "the period is kept after the first save")
            let before = try await revision(app, period)

            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            struct Redate: Encodable { var phases: [PeriodInput.PhaseInput]; var reason: String }
            let yesterday = DateText.adding(days: -1, to: DateText.todayISO(app.clock.now()))
            let closed = try await admin.send(.PATCH, "/api/v1/periods/\(period)", json: Redate(phases: [
                .init(phase: "self_assessment", startsOn: "2020-01-01", endsOn: yesterday), .init(phase: "evaluation", startsOn: "2100-01-01", endsOn: "2100-02-01")],
                reason: "Hết hạn tự đánh giá"))
            #expect(closed.status == .ok, "\(closed.body.prefix(500))")
            #expect(try await revision(app, period) > before)

            let refused = try await save(focal, period, value: "12", version: 2)
            #expect(refused.status == .conflict, "\(refused.body)")
            #expect(refused.body.contains("Ngoài thời gian tự đánh giá"), "\(refused.body)")
        }
    }

    @Test("phases and framework links changed by statements this process never made are seen on the next request")
    func changedBehindTheProcess() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let id = UUID(uuidString: period)!
            let sql = app.db as! any SQLDatabase
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await save(focal, period, value: "10", version: 0).status == .ok)

            // Self-assessment ended long ago: another process's change, made in the database only.
            var before = try await revision(app, period)
            try await sql.raw("UPDATE period_phases SET ends_on = '2020-06-30' WHERE period_id = \(bind: id) AND phase = 'self_assessment'").run()
            #expect(try await revision(app, period) == before + 1)
            #expect(try await save(focal, period, value: "11", version: 1).status == .conflict)

            // Reopened: removed and added again.
            before = try await revision(app, period)
            try await sql.raw("DELETE FROM period_phases WHERE period_id = \(bind: id) AND phase = 'self_assessment'").run()
            try await sql.raw("""
                INSERT INTO period_phases (id, period_id, phase, starts_on, ends_on) VALUES (\(bind: UUID()), \(bind: id), 'self_assessment', '2020-01-01', '2099-12-31')
                """).run()
            #expect(try await revision(app, period) == before + 2)
            #expect(try await save(focal, period, value: "11", version: 1).status == .ok)

            // The department level's framework link removed: the form says the period has none.
            before = try await revision(app, period)
            try await sql.raw("DELETE FROM period_frameworks WHERE period_id = \(bind: id) AND level = 'department'").run()
            #expect(try await revision(app, period) == before + 1)
            let none = try await save(focal, period, value: "12", version: 2)
            #expect(none.status == .conflict && none.body.contains("chưa có bộ chỉ số cho cấp"), "\(none.body)")
        }
    }
}
