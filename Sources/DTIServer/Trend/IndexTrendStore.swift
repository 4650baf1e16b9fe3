import DTICore
import Fluent
import Foundation
import SQLKit

/// Every statement of the monthly index (issue 30: a store per aggregate owns its SQL):
/// the kept months, and what a month's index is computed from — the answers as stored,
/// the change log's entries after a moment, the feeds' months of the bound criteria.
struct IndexTrendStore {
    let sql: any SQLDatabase

    init(_ db: any Database) throws { sql = try db.sql }

    struct Kept: Decodable, Sendable { var unit_id: UUID; var month: String; var index_value: String? }

    /// The kept months of `units` in `period` (all the period's units when nil).
    func kept(period: UUID, units: [UUID]?, months: [String]) async throws -> [Kept] {
        guard let units else {
            return try await sql.raw("""
                SELECT unit_id, month, index_value FROM index_months WHERE period_id = \(bind: period) AND month IN \(SQLBind.group(months))
                """).all(decoding: Kept.self)
        }
        var out: [Kept] = []
        for chunk in units.chunked(400) {
            out += try await sql.raw("""
                SELECT unit_id, month, index_value FROM index_months
                WHERE period_id = \(bind: period) AND unit_id IN \(SQLBind.group(Array(chunk))) AND month IN \(SQLBind.group(months))
                """).all(decoding: Kept.self)
        }
        return out
    }

    /// Months computed now, kept; a month another request kept meanwhile stays as it was.
    func keep(period: UUID, _ rows: [(unit: UUID, month: String, index: ScaledDecimal?)], at now: Date) async throws {
        for chunk in rows.chunked(150) {
            var values: [SQLQueryString] = []
            for r in chunk {
                values.append("(\(bind: UUID()), \(bind: period), \(bind: r.unit), \(bind: r.month), \(bind: r.index?.description), \(bind: now))")
            }
            try await sql.raw("""
                INSERT INTO index_months (id, period_id, unit_id, month, index_value, computed_at) VALUES \(values.joined(separator: ", "))
                ON CONFLICT (period_id, unit_id, month) DO NOTHING
                """).run()
        }
    }

    struct AnswerRow: Decodable, Sendable {
        var submission_id: UUID
        var criterion: String
        var value: String
        var b: String
        var self_points: Int64?
        var evaluator_points: Int64?
        var council_points: Int64?

        var answer: IndexTrend.Answer {
            .init(value: value, b: b, selfPoints: self_points, evaluatorPoints: evaluator_points, councilPoints: council_points)
        }
    }

    /// Every answer of the period's submissions by unit and criterion, and the changes made after
    /// `moment` by unit: what a whole level's past months are computed from.
    func answersByUnit(period: UUID, changedAfter moment: Date)
        async throws -> (current: [UUID: [String: IndexTrend.Answer]], changes: [UUID: [IndexTrend.Change]]) {
        struct SubmissionRow: Decodable { var id: UUID; var unit_id: UUID }
        let submissions = try await sql.raw("SELECT id, unit_id FROM submissions WHERE period_id = \(bind: period)").all(decoding: SubmissionRow.self)
        let unitOf = Dictionary(uniqueKeysWithValues: submissions.map { ($0.id, $0.unit_id) })
        let answers = try await sql.raw("""
            SELECT a.submission_id, a.criterion, a.value, a.b, a.self_points, a.evaluator_points, a.council_points
            FROM answers a JOIN submissions s ON s.id = a.submission_id WHERE s.period_id = \(bind: period)
            """).all(decoding: AnswerRow.self)
        var current: [UUID: [String: IndexTrend.Answer]] = [:]
        for row in answers { if let unit = unitOf[row.submission_id] { current[unit, default: [:]][row.criterion] = row.answer } }
        var changes: [UUID: [IndexTrend.Change]] = [:]
        for row in try await self.changes(period: period, submissions: nil, after: moment) {
            if let unit = unitOf[row.submission_id] { changes[unit, default: []].append(row.change) }
        }
        return (current, changes)
    }

    struct ChangeRow: Decodable, Sendable {
        var submission_id: UUID
        var criterion: String
        var field: String
        var old_value: String
        var at: Date

        var change: IndexTrend.Change { .init(criterion: criterion, field: field, old: old_value, at: at) }
    }

    /// The logged changes of the fields a score depends on, made after `moment`, of these submissions
    /// (the period's all when nil).
    func changes(period: UUID, submissions: [UUID]?, after moment: Date) async throws -> [ChangeRow] {
        let fields = ["value", "b", "evaluator_points", "council_points"]
        guard let submissions else {
            return try await sql.raw("""
                SELECT c.submission_id, c.criterion, c.field, c.old_value, c."at" FROM change_log c JOIN submissions s ON s.id = c.submission_id
                WHERE s.period_id = \(bind: period) AND c."at" > \(bind: moment) AND c.field IN \(SQLBind.group(fields))
                """).all(decoding: ChangeRow.self)
        }
        var out: [ChangeRow] = []
        for chunk in submissions.chunked(400) {
            out += try await sql.raw("""
                SELECT submission_id, criterion, field, old_value, "at" FROM change_log
                WHERE submission_id IN \(SQLBind.group(Array(chunk))) AND "at" > \(bind: moment) AND field IN \(SQLBind.group(fields))
                """).all(decoding: ChangeRow.self)
        }
        return out
    }
}
