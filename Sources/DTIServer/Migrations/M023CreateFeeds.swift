import Fluent
import SQLKit

/// Data feeds (issue 33, ADR 0044): every file or pull kept as an ingestion
/// (its SHA-256, who or what brought it, when, and what became of it), and
/// each unit's value of a field for a month, superseded — never overwritten —
/// by a later ingestion that corrects it.
struct M023CreateFeeds: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("feed_ingestions")
            .id()
            .field("feed_key", .string, .required)
            .field("number", .int, .required)
            .field("sha256", .string, .required)
            .field("byte_count", .int, .required)
            .field("file_name", .string, .required)
            .field("format", .string, .required)
            .field("source", .string, .required)
            .field("received_by", .string, .required)
            .field("received_at", .datetime, .required)
            .field("status", .string, .required)
            .field("problems", .string, .required)
            .field("stored_name", .string)
            .field("row_count", .int, .required)
            .field("value_count", .int, .required)
            .field("changed", .int, .required)
            .field("answers_changed", .int, .required)
            .unique(on: "feed_key", "number")
            .create()
        try await database.schema("feed_values")
            .id()
            .field("feed_key", .string, .required)
            .field("unit_id", .uuid, .required, .references(UnitModel.schema, "id", onDelete: .cascade))
            .field("month", .string, .required)
            .field("field", .string, .required)
            .field("value", .string, .required)
            .field("ingestion_id", .uuid, .required, .references("feed_ingestions", "id"))
            .field("superseded_by", .uuid, .references("feed_ingestions", "id"))
            .create()
        let sql = try database.sql
        // One current value per unit, field and month; the superseded ones stay beside it.
        try await sql.raw("CREATE UNIQUE INDEX IF NOT EXISTS feed_values_current ON feed_values (feed_key, unit_id, field, month) WHERE superseded_by IS NULL").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS feed_values_ingestion ON feed_values (ingestion_id)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS feed_ingestions_sha ON feed_ingestions (feed_key, sha256)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("feed_values").delete()
        try await database.schema("feed_ingestions").delete()
    }
}
