import Fluent
import SQLKit

/// Every change of an answer row is logged by the database, in the statement
/// that makes it (issue 30, ADR 0038): a first answer (insert) as well as a
/// later change, and the reviewers' columns as well as the unit's. Before,
/// M020's trigger logged updates of value, B and explanation, the service
/// logged a first answer with an insert of its own, and the evaluator's and
/// the council's scores were logged by `ChangeEntry(...).create` in two
/// services. Now `AnswerStore.write` — the one write path of an answer —
/// sets who (`updated_by`), when (`updated_at`) and why (`change_reason`) on
/// the row, and these triggers write the entries:
///
/// - value, b, explanation: old and new text, the row's `change_reason`;
/// - evaluator_points / council_points: old and new points written as the
///   pages write them (two decimals, a decimal comma, half away from zero —
///   `PointsText.points`), the reviewer's comment or reason as the entry's
///   reason; logged when the points or that note change.
///
/// An insert logs its fields that are set (old ""), so the demo's seeded
/// answers are logged too, by "demo".
struct M021LogEveryAnswerChangeByTrigger: AsyncMigration {
    /// Each logged field: its name, its old and new text, whether it changed, and the entry's reason.
    struct Logged {
        var field: String
        var old: String
        var new: String
        var changed: String
        var reason: String
    }

    /// The fields an update logs, in SQL over OLD and NEW (`points` formats a points column).
    static func updated(points: (String) -> String) -> [Logged] {
        ["value", "b", "explanation"].map {
            Logged(field: $0, old: "OLD.\($0)", new: "NEW.\($0)", changed: "OLD.\($0) IS DISTINCT FROM NEW.\($0)", reason: "NEW.change_reason")
        } + [("evaluator", "evaluator_comment"), ("council", "council_reason")].map { stage, note in
            Logged(field: "\(stage)_points", old: points("OLD.\(stage)_points"), new: points("NEW.\(stage)_points"),
                   changed: "(OLD.\(stage)_points IS DISTINCT FROM NEW.\(stage)_points OR OLD.\(note) IS DISTINCT FROM NEW.\(note))",
                   reason: "NEW.\(note)")
        }
    }

    /// The fields an insert logs: those set.
    static func inserted(points: (String) -> String) -> [Logged] {
        ["value", "b", "explanation"].map {
            Logged(field: $0, old: "''", new: "NEW.\($0)", changed: "NEW.\($0) <> ''", reason: "NEW.change_reason")
        } + [("evaluator", "evaluator_comment"), ("council", "council_reason")].map { stage, note in
            Logged(field: "\(stage)_points", old: "''", new: points("NEW.\(stage)_points"), changed: "NEW.\(stage)_points IS NOT NULL", reason: "NEW.\(note)")
        }
    }

    /// Points in millionths as `PointsText.points` writes them: "12,35" for 12 345 000, "" for NULL.
    /// Cents rounded half away from zero with integers only, so both databases agree with Swift.
    static func points(_ column: String, text: (String) -> String, twoDigits: (String) -> String) -> String {
        let cents = "((abs(\(column)) + 5000) / 10000)"
        return "(CASE WHEN \(column) IS NULL THEN '' ELSE (CASE WHEN \(column) <= -5000 THEN '-' ELSE '' END) || "
            + "\(text("\(cents) / 100")) || ',' || \(twoDigits("\(cents) % 100")) END)"
    }

    static let columns = #"id, "at", submission_id, criterion, actor, field, old_value, new_value, reason"#
    /// The columns whose update fires the log.
    static let watched = "value, b, explanation, evaluator_points, evaluator_comment, council_points, council_reason"

    func prepare(on database: any Database) async throws {
        let sql = try database.sql
        if sql.dialect.name == "sqlite" {
            try await sql.raw("DROP TRIGGER IF EXISTS answers_change_log").run()
            func points(_ column: String) -> String {
                Self.points(column, text: { "CAST(\($0) AS TEXT)" }, twoDigits: { "substr('0' || (\($0)), -2)" })
            }
            // A UUID as Fluent stores one in SQLite (upper-case text), version 4, drawn per row.
            let uuid = "substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-' || "
                + "substr('89AB', 1 + (abs(random()) % 4), 1) || substr(h, 18, 3) || '-' || substr(h, 21, 12)"
            func body(_ logged: [Logged]) -> String {
                let rows = logged.map {
                    "SELECT '\($0.field)' AS field, \($0.old) AS old_value, \($0.new) AS new_value, (\($0.changed)) AS changed, \($0.reason) AS reason, hex(randomblob(16)) AS h"
                }.joined(separator: " UNION ALL ")
                return """
                    INSERT INTO change_log (\(Self.columns))
                    SELECT \(uuid), NEW.updated_at, NEW.submission_id, NEW.criterion, NEW.updated_by, field, old_value, new_value, reason
                    FROM (\(rows)) WHERE changed;
                    """
            }
            // SQLite has IS NOT where PostgreSQL has IS DISTINCT FROM.
            let update = body(Self.updated(points: points)).replacingOccurrences(of: "IS DISTINCT FROM", with: "IS NOT")
            try await sql.raw("""
                CREATE TRIGGER answers_change_log AFTER UPDATE OF \(unsafeRaw: Self.watched) ON answers
                BEGIN
                \(unsafeRaw: update)
                END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER answers_change_log_insert AFTER INSERT ON answers
                BEGIN
                \(unsafeRaw: body(Self.inserted(points: points)))
                END
                """).run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS answers_change_log ON answers").run()
            func points(_ column: String) -> String {
                Self.points(column, text: { "(\($0))::text" }, twoDigits: { "lpad((\($0))::text, 2, '0')" })
            }
            func function(_ name: String, _ logged: [Logged]) -> SQLQueryString {
                let values = logged.map { "('\($0.field)', \($0.old), \($0.new), (\($0.changed)), \($0.reason))" }.joined(separator: ", ")
                return """
                    CREATE OR REPLACE FUNCTION \(unsafeRaw: name)() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      INSERT INTO change_log (\(unsafeRaw: Self.columns))
                      SELECT gen_random_uuid(), NEW.updated_at, NEW.submission_id, NEW.criterion, NEW.updated_by,
                             f.field, f.old_value, f.new_value, f.reason
                      FROM (VALUES \(unsafeRaw: values)) AS f(field, old_value, new_value, changed, reason)
                      WHERE f.changed;
                      RETURN NULL;
                    END $$
                    """
            }
            try await sql.raw(function("dti_answers_change_log", Self.updated(points: points))).run()
            try await sql.raw(function("dti_answers_change_log_insert", Self.inserted(points: points))).run()
            try await sql.raw("""
                CREATE TRIGGER answers_change_log AFTER UPDATE OF \(unsafeRaw: Self.watched) ON answers
                FOR EACH ROW EXECUTE FUNCTION dti_answers_change_log()
                """).run()
            try await sql.raw("""
                CREATE TRIGGER answers_change_log_insert AFTER INSERT ON answers
                FOR EACH ROW EXECUTE FUNCTION dti_answers_change_log_insert()
                """).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = try database.sql
        if sql.dialect.name == "sqlite" {
            try await sql.raw("DROP TRIGGER IF EXISTS answers_change_log_insert").run()
            try await sql.raw("DROP TRIGGER IF EXISTS answers_change_log").run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS answers_change_log_insert ON answers").run()
            try await sql.raw("DROP TRIGGER IF EXISTS answers_change_log ON answers").run()
            try await sql.raw("DROP FUNCTION IF EXISTS dti_answers_change_log_insert()").run()
        }
        // M020's trigger again.
        try await M020LogAnswerChangesByTrigger.createTrigger(on: database)
    }
}
