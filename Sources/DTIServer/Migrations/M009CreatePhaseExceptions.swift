import Fluent

/// Deadline exceptions granted by an administrator.
struct M009CreatePhaseExceptions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PhaseException.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id"))
            .field("unit_id", .uuid, .required, .references(UnitModel.schema, "id"))
            .field("phase", .string, .required)
            .field("until", .string, .required)
            .field("reason", .string, .required)
            .field("granted_by", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PhaseException.schema).delete()
    }
}
