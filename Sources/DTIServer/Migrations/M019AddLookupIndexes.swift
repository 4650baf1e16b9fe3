import Fluent
import SQLKit

/// Indexes on the columns every form view and every change-log page look
/// rows up by: without them each lookup read the whole table (the change log
/// grows by a row or two with every save; evidence, correction requests and
/// their messages with every unit). The unique constraints already index
/// answers, submissions and participation.
struct M019AddLookupIndexes: AsyncMigration {
    static let indexes: [(name: String, table: String, columns: String)] = [
        ("change_log_submission", "change_log", "submission_id, criterion"),
        ("correction_requests_submission", "correction_requests", "submission_id"),
        ("correction_messages_request", "correction_messages", "request_id"),
        ("evidence_files_submission", "evidence_files", "submission_id"),
        ("phase_exceptions_period_unit", "phase_exceptions", "period_id, unit_id"),
    ]

    func prepare(on database: any Database) async throws {
        let sql = try database.sql
        for index in Self.indexes {
            try await sql.raw("CREATE INDEX IF NOT EXISTS \(unsafeRaw: index.name) ON \(unsafeRaw: index.table) (\(unsafeRaw: index.columns))").run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = try database.sql
        for index in Self.indexes { try await sql.raw("DROP INDEX IF EXISTS \(unsafeRaw: index.name)").run() }
    }
}
