import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
@testable import DTIServer

/// The one write path of an answer (issue 30, ADR 0038), called as a
/// function against the database (SQLite here, PostgreSQL in the test
/// command's second pass): one statement per row with the version condition,
/// and the change log the database writes for it (M021).
@Suite("AnswerStore: one write path, one change log", .serialized)
struct AnswerStoreTests {
    /// A fresh period with an empty submission of one demo unit.
    func submission(_ app: Application) async throws -> UUID {
        let period = Period(year: 2040, title: "Thử ghi số liệu")
        try await period.create(on: app.db)
        let unit = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "SNNPTNT").first())
        let submission = Submission(periodID: period.id!, unitID: unit.id!)
        try await submission.create(on: app.db)
        return submission.id!
    }

    func log(_ app: Application, _ submission: UUID) async throws -> [String] {
        try await ChangeEntry.query(on: app.db).filter(\.$submissionID == submission).sort(\.$at).all()
            .map { "\($0.criterion) \($0.field) \($0.actor): \($0.oldValue) → \($0.newValue) (\($0.reason))" }
    }

    @Test("a first answer is an insert, a later one the conditional update; a stale or impossible version changes nothing")
    func versions() async throws {
        try await withDemoApp { app in
            let id = try await submission(app)
            let first = try await AnswerStore.write(.answer(value: "40", b: "", explanation: "Kế hoạch 12", points: 4_000_000),
                                                    criterion: "1", submission: id, version: 0, by: "daumoi.snn", on: app.db)
            #expect(first?.answer.version == 1 && first?.answer.value == "40" && first?.answer.updatedBy == "daumoi.snn")
            // Version 0 again: the row is there, nothing is written.
            #expect(try await AnswerStore.write(.answer(value: "41", b: "", explanation: "", points: 0), criterion: "1", submission: id,
                                                version: 0, by: "khac", on: app.db) == nil)
            let second = try await AnswerStore.write(.answer(value: "45", b: "", explanation: "Kế hoạch 12", points: 4_500_000),
                                                     criterion: "1", submission: id, version: 1, by: "daumoi.snn", reason: "Nhập từ tệp Excel a.xlsx", on: app.db)
            #expect(second?.answer.version == 2 && second?.answer.selfPoints == 4_500_000)
            // The version it read has moved on; a criterion without a row cannot be at version 3.
            #expect(try await AnswerStore.write(.answer(value: "46", b: "", explanation: "", points: 0), criterion: "1", submission: id,
                                                version: 1, by: "khac", on: app.db) == nil)
            #expect(try await AnswerStore.write(.answer(value: "1", b: "", explanation: "", points: 0), criterion: "2", submission: id,
                                                version: 3, by: "khac", on: app.db) == nil)
            #expect(try await AnswerStore.current(criterion: "1", submission: id, on: app.db)?.value == "45")
            #expect(try await AnswerStore.current(criterion: "2", submission: id, on: app.db) == nil)
            let entries = try await log(app, id)
            #expect(entries.count == 3)
            #expect(Set(entries) == ["1 value daumoi.snn:  → 40 ()", "1 explanation daumoi.snn:  → Kế hoạch 12 ()",
                                     "1 value daumoi.snn: 40 → 45 (Nhập từ tệp Excel a.xlsx)"], "\(entries)")
        }
    }

    @Test("reviewers' scores go through the same path: who and when set, each logged with its note; a criterion the unit left empty gets a row")
    func reviewers() async throws {
        try await withDemoApp { app in
            let id = try await submission(app)
            let before = Date(timeIntervalSinceNow: -1)
            let scored = try #require(try await AnswerStore.write(.evaluator(points: 7_500_000, comment: "Thiếu minh chứng"), criterion: "3",
                                                                  submission: id, version: 0, by: "thamdinh", on: app.db))
            #expect(scored.answer.value == "" && scored.answer.evaluatorPoints == 7_500_000 && scored.answer.evaluatorBy == "thamdinh")
            #expect(scored.answer.updatedBy == "thamdinh" && (scored.answer.updatedAt ?? .distantPast) >= before)
            let council = try #require(try await AnswerStore.write(.council(points: 8_000_000, reason: "Đã bổ sung"), criterion: "3",
                                                                   submission: id, version: 1, by: "hoidong", on: app.db))
            #expect(council.answer.version == 2 && council.answer.councilBy == "hoidong" && council.answer.evaluatorPoints == 7_500_000)
            #expect(Set(try await log(app, id)) == [
                "3 evaluator_points thamdinh:  → 7,50 (Thiếu minh chứng)",
                "3 council_points hoidong:  → 8,00 (Đã bổ sung)",
            ])
        }
    }

    @Test("the database writes points in the log as the pages do: two decimals, a comma, half away from zero", arguments: [
        Int64(0), 1, 4_999, 5_000, 9_999, 10_000, 994_999, 995_000, 999_995, 12_344_999, 12_345_000, 100_000_000, 7_005_000, 1_000_004_999,
    ])
    func pointsAsPagesWriteThem(_ micros: Int64) async throws {
        try await withDemoApp { app in
            let id = try await submission(app)
            _ = try #require(try await AnswerStore.write(.council(points: micros, reason: "r"), criterion: "1", submission: id, version: 0,
                                                         by: "hoidong", on: app.db))
            let entry = try #require(try await ChangeEntry.query(on: app.db).filter(\.$submissionID == id).first())
            #expect(entry.newValue == PointsText.points(micros), "\(micros)")
            #expect(entry.oldValue == "")
        }
    }
}
