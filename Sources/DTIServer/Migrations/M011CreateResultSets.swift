import Fluent

/// Published results as tables: one per level (or file) of a published
/// period, and periods that hold results only (past decisions).
struct M011CreateResultSets: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Period.schema).field("results_only", .bool, .required, .sql(.default(false))).update()
        try await database.schema(ResultSet.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("level", .string, .required)
            .field("file_name", .string, .required)
            .field("content", .string, .required)
            .field("manifest", .string, .required)
            .field("unit_codes", .string, .required)
            .field("source", .string, .required)
            .field("sha256", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ResultSet.schema).delete()
        try await database.schema(Period.schema).deleteField("results_only").update()
    }
}
