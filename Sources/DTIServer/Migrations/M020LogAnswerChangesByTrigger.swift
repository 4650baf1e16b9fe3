import Fluent
import SQLKit

/// The change log of an answer's self-assessed fields (value, B, explanation)
/// is written by the database, in the statement that changes the row
/// (ADR 0031): a save is then the conditional update alone, atomic without a
/// transaction of its own, where it was `BEGIN`, the update, the change log's
/// insert and `COMMIT` — four statements, each a trip to SQLite's thread pool
/// or to PostgreSQL.
///
/// The trigger takes who and when from the row (`updated_by`, `updated_at`)
/// and the reason from `answers.change_reason`, which every update of those
/// fields sets (`SelfAssessmentService.replace`). It fires only on updates
/// that name one of the three fields and logs each one whose value changed,
/// so an evaluator's or the council's score, or the write that only claims
/// SQLite's lock, logs nothing here. An answer's first save (an insert) is
/// still logged by the service, in its transaction: no trigger on insert, so
/// the demo's seeded answers and a reviewer's empty rows log nothing, as before.
struct M020LogAnswerChangesByTrigger: AsyncMigration {
    /// The fields the trigger logs, in the order the service logged them.
    static let fields = ["value", "b", "explanation"]

    func prepare(on database: any Database) async throws {
        try await database.schema(Answer.schema).field("change_reason", .string, .required, .sql(.default(""))).update()
        try await Self.createTrigger(on: database)
    }

    /// The trigger of value, B and explanation updates (also what M021's revert puts back).
    static func createTrigger(on database: any Database) async throws {
        let sql = try database.sql
        let columns = #"id, "at", submission_id, criterion, actor, field, old_value, new_value, reason"#
        if sql.dialect.name == "sqlite" {
            // A UUID as Fluent stores one in SQLite (upper-case text), version 4, drawn per row.
            let uuid = "substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-' || "
                + "substr('89AB', 1 + (abs(random()) % 4), 1) || substr(h, 18, 3) || '-' || substr(h, 21, 12)"
            let changes = Self.fields.map { "SELECT '\($0)' AS field, OLD.\($0) AS old_value, NEW.\($0) AS new_value, hex(randomblob(16)) AS h" }
                .joined(separator: " UNION ALL ")
            try await sql.raw("""
                CREATE TRIGGER answers_change_log AFTER UPDATE OF \(unsafeRaw: Self.fields.joined(separator: ", ")) ON answers
                BEGIN
                  INSERT INTO change_log (\(unsafeRaw: columns))
                  SELECT \(unsafeRaw: uuid), NEW.updated_at, NEW.submission_id, NEW.criterion, NEW.updated_by,
                         field, old_value, new_value, NEW.change_reason
                  FROM (\(unsafeRaw: changes)) WHERE old_value IS NOT new_value;
                END
                """).run()
        } else {
            let changes = Self.fields.map { "('\($0)', OLD.\($0), NEW.\($0))" }.joined(separator: ", ")
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION dti_answers_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  INSERT INTO change_log (\(unsafeRaw: columns))
                  SELECT gen_random_uuid(), NEW.updated_at, NEW.submission_id, NEW.criterion, NEW.updated_by,
                         f.field, f.old_value, f.new_value, NEW.change_reason
                  FROM (VALUES \(unsafeRaw: changes)) AS f(field, old_value, new_value)
                  WHERE f.old_value IS DISTINCT FROM f.new_value;
                  RETURN NULL;
                END $$
                """).run()
            try await sql.raw("""
                CREATE TRIGGER answers_change_log AFTER UPDATE OF \(unsafeRaw: Self.fields.joined(separator: ", ")) ON answers
                FOR EACH ROW EXECUTE FUNCTION dti_answers_change_log()
                """).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = try database.sql
        if sql.dialect.name == "sqlite" {
            try await sql.raw("DROP TRIGGER IF EXISTS answers_change_log").run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS answers_change_log ON answers").run()
            try await sql.raw("DROP FUNCTION IF EXISTS dti_answers_change_log()").run()
        }
        try await database.schema(Answer.schema).deleteField("change_reason").update()
    }
}
