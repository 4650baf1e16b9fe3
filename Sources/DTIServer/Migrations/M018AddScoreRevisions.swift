import Fluent
import SQLKit

/// What the live ranking needs to tell, in one read, which of a period's
/// units changed since it last ranked them (`LiveRanking`, ADR 0027):
///
/// - `submissions.answers_revision`, raised whenever one of the submission's
///   answers is inserted, changed or deleted (a focal point's save, an
///   evaluator's or the council's score, a correction);
/// - `periods.revision` (M017) now also rises when the period's list of
///   units (`period_units`, with the not-reporting marks) changes;
/// - `directory_revision`, one row, raised whenever any unit is added,
///   changed or removed (a name, a group, a tag, validity dates).
///
/// As in M017, triggers raise them, in the same transaction as the change.
struct M018AddScoreRevisions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Submission.schema).field("answers_revision", .int, .required, .sql(.default(0))).update()
        try await database.schema("directory_revision")
            .field("id", .int, .identifier(auto: false))
            .field("revision", .int, .required, .sql(.default(0)))
            .create()
        let sql = try database.sql
        try await sql.raw("INSERT INTO directory_revision (id, revision) VALUES (1, 0)").run()
        if sql.dialect.name == "sqlite" {
            try await sql.raw("""
                CREATE TRIGGER answers_revision_insert AFTER INSERT ON answers
                BEGIN UPDATE submissions SET answers_revision = answers_revision + 1 WHERE id = NEW.submission_id; END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER answers_revision_update AFTER UPDATE ON answers
                BEGIN UPDATE submissions SET answers_revision = answers_revision + 1 WHERE id IN (OLD.submission_id, NEW.submission_id); END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER answers_revision_delete AFTER DELETE ON answers
                BEGIN UPDATE submissions SET answers_revision = answers_revision + 1 WHERE id = OLD.submission_id; END
                """).run()
            try await M017AddPeriodRevision.sqliteTriggers(on: "period_units", sql)
            for event in ["INSERT", "UPDATE", "DELETE"] {
                try await sql.raw("""
                    CREATE TRIGGER units_revision_\(unsafeRaw: event.lowercased()) AFTER \(unsafeRaw: event) ON units
                    BEGIN UPDATE directory_revision SET revision = revision + 1 WHERE id = 1; END
                    """).run()
            }
        } else {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION dti_answers_revision() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.submission_id IS DISTINCT FROM NEW.submission_id) THEN
                    UPDATE submissions SET answers_revision = answers_revision + 1 WHERE id = OLD.submission_id;
                  END IF;
                  IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    UPDATE submissions SET answers_revision = answers_revision + 1 WHERE id = NEW.submission_id;
                  END IF;
                  RETURN NULL;
                END $$
                """).run()
            try await sql.raw("""
                CREATE TRIGGER answers_revision AFTER INSERT OR UPDATE OR DELETE ON answers
                FOR EACH ROW EXECUTE FUNCTION dti_answers_revision()
                """).run()
            // M017's function raises the revision of the period a row names.
            try await sql.raw("""
                CREATE TRIGGER period_units_revision AFTER INSERT OR UPDATE OR DELETE ON period_units
                FOR EACH ROW EXECUTE FUNCTION dti_period_revision()
                """).run()
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION dti_directory_revision() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN UPDATE directory_revision SET revision = revision + 1 WHERE id = 1; RETURN NULL; END $$
                """).run()
            try await sql.raw("""
                CREATE TRIGGER units_revision AFTER INSERT OR UPDATE OR DELETE ON units
                FOR EACH STATEMENT EXECUTE FUNCTION dti_directory_revision()
                """).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = try database.sql
        if sql.dialect.name == "sqlite" {
            for table in ["answers", "period_units", "units"] {
                for event in ["insert", "update", "delete"] { try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_revision_\(unsafeRaw: event)").run() }
            }
        } else {
            for table in ["answers", "period_units", "units"] {
                try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_revision ON \(unsafeRaw: table)").run()
            }
            try await sql.raw("DROP FUNCTION IF EXISTS dti_answers_revision()").run()
            try await sql.raw("DROP FUNCTION IF EXISTS dti_directory_revision()").run()
        }
        try await database.schema("directory_revision").delete()
        try await database.schema(Submission.schema).deleteField("answers_revision").update()
    }
}
