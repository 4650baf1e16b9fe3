import Fluent

/// One typed published record per period (and version): what the portal,
/// the exports and `dti verify` read.
struct M012CreatePublishedRecords: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PublishedRecordRow.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id", onDelete: .cascade))
            .field("version", .int, .required)
            .field("sha256", .string, .required)
            .field("content", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "period_id", "version")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PublishedRecordRow.schema).delete()
    }
}
