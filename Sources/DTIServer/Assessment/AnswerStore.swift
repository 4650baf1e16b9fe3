import Fluent
import Foundation
import SQLKit

/// The one write path of an answer row (issue 30, ADR 0038): the form's
/// sheet, the API's single save, the Excel import, the evaluator's and the
/// council's scores and an accepted complaint all write through `write`.
///
/// One statement per row, with the version condition: a conditional update
/// of the row still at the version its writer read, or, for version 0, an
/// insert that does nothing when a row is already there (an upsert). Both
/// return the row as written. Every write sets who (`updated_by`), when
/// (`updated_at`) and why (`change_reason`); the database's triggers log each
/// changed field in the same statement (M021) and raise the submission's
/// answers revision (M018). So a single save needs no transaction, and a
/// sheet's or an import's rows commit together inside the caller's one.
enum AnswerStore {
    /// What a write changes in an answer row.
    enum Change: Sendable {
        /// The unit's own answer and the points it earns.
        case answer(value: String, b: String, explanation: String, points: Int64?)
        /// The evaluator's score and comment.
        case evaluator(points: Int64, comment: String)
        /// The council's score and reason (also an accepted complaint or a correction after publication).
        case council(points: Int64, reason: String)
    }

    /// A row as the write left it: the model, and the row the statement returned (KeptAnswers keeps it).
    struct Written {
        var answer: Answer
        var row: any SQLRow
    }

    /// `criterion`'s row of `submission` changed by `change`, if the stored row is still at
    /// `version` (0: there is no row yet). Nil when it is not: someone else wrote first.
    static func write(_ change: Change, criterion: String, submission: UUID, version: Int, by actor: String, reason: String = "",
                      at: Date = Date(), on db: any Database) async throws -> Written? {
        let returned: (any SQLRow)?
        if version == 0 {
            returned = try await db.firstRow(Insert.self, insert(change, criterion: criterion, submission: submission, by: actor, reason: reason, at: at))
        } else {
            returned = try await update(change, criterion: criterion, submission: submission, version: version, by: actor, reason: reason, at: at, on: db)
        }
        guard let returned else { return nil }
        return Written(answer: try Answer.decode(row: returned), row: returned)
    }

    /// One row of a batch of the unit's own answers (`writeAnswers`).
    struct AnswerRow: Sendable {
        var submission: UUID
        var criterion: String
        /// The version read (0: there is no row yet).
        var version: Int
        var value: String
        var explanation: String
        var points: Int64
        /// Why, as the change log keeps it.
        var reason: String
    }

    /// Many rows' own answers by one writer (a feed's ingestion): the same insert and conditional
    /// update as `write`, a few hundred rows to a statement, so the triggers still log each changed
    /// field and raise each submission's revision. Returns the keys (`submission|criterion`) of the
    /// rows written; a row missing from them had been written by someone else meanwhile.
    static func writeAnswers(_ rows: [AnswerRow], by actor: String, at: Date, on db: any Database) async throws -> Set<String> {
        let sql = try db.sql
        struct Key: Decodable { var submission_id: UUID; var criterion: String }
        var written: Set<String> = []
        for chunk in rows.filter({ $0.version == 0 }).chunked(150) {
            let values: [SQLQueryString] = chunk.map { r in
                "(\(bind: UUID()), \(bind: r.submission), \(bind: r.criterion), \(bind: r.value), '', \(bind: r.explanation), \(bind: r.points), NULL, '', '', NULL, '', '', 1, \(bind: actor), \(bind: at), \(bind: r.reason))"
            }
            let keys = try await sql.raw("""
                INSERT INTO answers (\(unsafeRaw: insertColumns))
                VALUES \(values.joined(separator: ", "))
                ON CONFLICT (submission_id, criterion) DO NOTHING
                RETURNING submission_id, criterion
                """).all(decoding: Key.self)
            for k in keys { written.insert("\(k.submission_id)|\(k.criterion)") }
        }
        for chunk in rows.filter({ $0.version > 0 }).chunked(150) {
            let values: [SQLQueryString] = chunk.map { r in
                "(\(bind: r.submission), \(bind: r.criterion), \(bind: r.version), \(bind: r.value), \(bind: r.explanation), \(bind: r.points), \(bind: r.reason))"
            }
            // The conditional update of `write`, joined to the batch: only rows still at the version read change.
            let keys = try await sql.raw("""
                WITH v(submission_id, criterion, version, value, explanation, self_points, change_reason) AS (VALUES \(values.joined(separator: ", ")))
                UPDATE answers SET value = v.value, b = '', explanation = v.explanation, self_points = v.self_points,
                  updated_by = \(bind: actor), updated_at = \(bind: at), change_reason = v.change_reason, version = answers.version + 1
                FROM v WHERE answers.submission_id = v.submission_id AND answers.criterion = v.criterion AND answers.version = v.version
                RETURNING answers.submission_id, answers.criterion
                """).all(decoding: Key.self)
            for k in keys { written.insert("\(k.submission_id)|\(k.criterion)") }
        }
        return written
    }

    /// The row as it stands now, for a conflict's answer.
    static func current(criterion: String, submission: UUID, on db: any Database) async throws -> Answer? {
        try await Answer.rows(try db.sql, where: "submission_id = \(bind: submission) AND criterion = \(bind: criterion)").first
    }

    // MARK: Statements

    /// The columns a first row names, in the order of its values (`insert` and `writeAnswers`).
    static let insertColumns = """
        id, submission_id, criterion, value, b, explanation, self_points, evaluator_points, evaluator_comment, \
        evaluator_by, council_points, council_reason, council_by, version, updated_by, updated_at, change_reason
        """

    /// The columns every statement returns, as the answers' read names them.
    static let returned = Answer.columns.joined(separator: ", ")

    enum Insert: KeptStatement { static let name = "answer_insert" }
    enum UpdateAnswer: KeptStatement { static let name = "answer_update" }
    enum UpdateEvaluator: KeptStatement { static let name = "answer_update_evaluator" }
    enum UpdateCouncil: KeptStatement { static let name = "answer_update_council" }

    /// A first row: every column named (the same text for every change, so it is prepared once).
    private static func insert(_ change: Change, criterion: String, submission: UUID, by actor: String, reason: String, at: Date) -> SQLQueryString {
        var value = "", b = "", explanation = "", selfPoints: Int64?
        var evaluator: Int64?, comment = "", evaluatorBy = "", council: Int64?, councilReason = "", councilBy = ""
        switch change {
        case .answer(let v, let bb, let e, let p): (value, b, explanation, selfPoints) = (v, bb, e, p)
        case .evaluator(let p, let c): (evaluator, comment, evaluatorBy) = (p, c, actor)
        case .council(let p, let r): (council, councilReason, councilBy) = (p, r, actor)
        }
        return """
            INSERT INTO answers (\(unsafeRaw: insertColumns))
            VALUES (\(bind: UUID()), \(bind: submission), \(bind: criterion), \(bind: value), \(bind: b), \(bind: explanation), \(bind: selfPoints),
              \(bind: evaluator), \(bind: comment), \(bind: evaluatorBy), \(bind: council), \(bind: councilReason), \(bind: councilBy),
              1, \(bind: actor), \(bind: at), \(bind: reason))
            ON CONFLICT (submission_id, criterion) DO NOTHING
            RETURNING \(unsafeRaw: returned)
            """
    }

    /// The conditional update: only the row still at `version` changes.
    private static func update(_ change: Change, criterion: String, submission: UUID, version: Int, by actor: String, reason: String, at: Date,
                               on db: any Database) async throws -> (any SQLRow)? {
        let condition: SQLQueryString = """
            updated_by = \(bind: actor), updated_at = \(bind: at), change_reason = \(bind: reason), version = version + 1
            WHERE submission_id = \(bind: submission) AND criterion = \(bind: criterion) AND version = \(bind: version)
            RETURNING \(unsafeRaw: returned)
            """
        switch change {
        case .answer(let value, let b, let explanation, let points):
            return try await db.firstRow(UpdateAnswer.self, """
                UPDATE answers SET value = \(bind: value), b = \(bind: b), explanation = \(bind: explanation), self_points = \(bind: points),
                \(condition)
                """)
        case .evaluator(let points, let comment):
            return try await db.firstRow(UpdateEvaluator.self, """
                UPDATE answers SET evaluator_points = \(bind: points), evaluator_comment = \(bind: comment), evaluator_by = \(bind: actor),
                \(condition)
                """)
        case .council(let points, let reason):
            return try await db.firstRow(UpdateCouncil.self, """
                UPDATE answers SET council_points = \(bind: points), council_reason = \(bind: reason), council_by = \(bind: actor),
                \(condition)
                """)
        }
    }
}
