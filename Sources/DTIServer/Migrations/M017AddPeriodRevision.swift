import Fluent
import SQLKit

/// A revision on every period, raised by the database itself whenever the
/// period's phases, its framework links or a linked framework version change,
/// so a server process may keep a period's phases and frameworks between
/// requests and see another process's change on its next read of the period
/// row (`PeriodCache`, ADR 0024). Triggers, not application code, raise it:
/// no write path (an API route, a CLI command, a hand-written statement) can
/// forget to.
struct M017AddPeriodRevision: AsyncMigration {
    static let children = ["period_phases", "period_frameworks"]

    func prepare(on database: any Database) async throws {
        try await database.schema(Period.schema).field("revision", .int, .required, .sql(.default(0))).update()
        let sql = try database.sql
        if sql.dialect.name == "sqlite" {
            for table in Self.children { try await Self.sqliteTriggers(on: table, sql) }
            try await sql.raw("""
                CREATE TRIGGER framework_versions_revision AFTER UPDATE ON framework_versions
                BEGIN UPDATE periods SET revision = revision + 1
                WHERE id IN (SELECT period_id FROM period_frameworks WHERE framework_version_id IN (OLD.id, NEW.id)); END
                """).run()
        } else {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION dti_period_revision() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_TABLE_NAME = 'framework_versions' THEN
                    UPDATE periods SET revision = revision + 1
                    WHERE id IN (SELECT period_id FROM period_frameworks WHERE framework_version_id IN (OLD.id, NEW.id));
                    RETURN NULL;
                  END IF;
                  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.period_id IS DISTINCT FROM NEW.period_id) THEN
                    UPDATE periods SET revision = revision + 1 WHERE id = OLD.period_id;
                  END IF;
                  IF TG_OP IN ('INSERT', 'UPDATE') THEN UPDATE periods SET revision = revision + 1 WHERE id = NEW.period_id; END IF;
                  RETURN NULL;
                END $$
                """).run()
            for table in Self.children {
                try await sql.raw("""
                    CREATE TRIGGER \(unsafeRaw: table)_revision AFTER INSERT OR UPDATE OR DELETE ON \(unsafeRaw: table)
                    FOR EACH ROW EXECUTE FUNCTION dti_period_revision()
                    """).run()
            }
            try await sql.raw("""
                CREATE TRIGGER framework_versions_revision AFTER UPDATE ON framework_versions
                FOR EACH ROW EXECUTE FUNCTION dti_period_revision()
                """).run()
        }
    }

    /// SQLite: a child table of periods (its rows name `period_id`) raises the revision of each period it touches.
    static func sqliteTriggers(on table: String, _ sql: any SQLDatabase) async throws {
        try await sql.raw("""
            CREATE TRIGGER \(unsafeRaw: table)_revision_insert AFTER INSERT ON \(unsafeRaw: table)
            BEGIN UPDATE periods SET revision = revision + 1 WHERE id = NEW.period_id; END
            """).run()
        try await sql.raw("""
            CREATE TRIGGER \(unsafeRaw: table)_revision_update AFTER UPDATE ON \(unsafeRaw: table)
            BEGIN UPDATE periods SET revision = revision + 1 WHERE id IN (OLD.period_id, NEW.period_id); END
            """).run()
        try await sql.raw("""
            CREATE TRIGGER \(unsafeRaw: table)_revision_delete AFTER DELETE ON \(unsafeRaw: table)
            BEGIN UPDATE periods SET revision = revision + 1 WHERE id = OLD.period_id; END
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = try database.sql
        if sql.dialect.name == "sqlite" {
            for table in Self.children {
                for event in ["insert", "update", "delete"] { try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_revision_\(unsafeRaw: event)").run() }
            }
            try await sql.raw("DROP TRIGGER IF EXISTS framework_versions_revision").run()
        } else {
            for table in Self.children + ["framework_versions"] {
                try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_revision ON \(unsafeRaw: table)").run()
            }
            try await sql.raw("DROP FUNCTION IF EXISTS dti_period_revision()").run()
        }
        try await database.schema(Period.schema).deleteField("revision").update()
    }
}
