import Fluent

/// Units and their reorganisation lineage.
struct M001CreateUnits: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UnitModel.schema)
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("search_key", .string, .required)
            .field("level", .string, .required)
            .field("group_name", .string, .required)
            .field("tags", .string, .required)
            .field("parent_id", .uuid, .references(UnitModel.schema, "id"))
            .field("valid_from", .string)
            .field("valid_until", .string)
            .field("created_at", .datetime)
            .unique(on: "code")
            .create()
        try await database.schema(UnitLineage.schema)
            .id()
            .field("predecessor_id", .uuid, .required, .references(UnitModel.schema, "id"))
            .field("successor_id", .uuid, .required, .references(UnitModel.schema, "id"))
            .field("kind", .string, .required)
            .field("effective_on", .string, .required)
            .field("note", .string)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UnitLineage.schema).delete()
        try await database.schema(UnitModel.schema).delete()
    }
}
