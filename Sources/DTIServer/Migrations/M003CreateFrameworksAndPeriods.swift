import Fluent

/// Framework versions and periods with their phases.
struct M003CreateFrameworksAndPeriods: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(FrameworkVersion.schema)
            .id()
            .field("key", .string, .required)
            .field("version", .int, .required)
            .field("level", .string, .required)
            .field("year", .int, .required)
            .field("title", .string, .required)
            .field("yaml", .string, .required)
            .field("sha256", .string, .required)
            .field("imported_at", .datetime)
            .unique(on: "key", "version")
            .create()
        try await database.schema(Period.schema)
            .id()
            .field("year", .int, .required)
            .field("title", .string, .required)
            .field("locked", .bool, .required)
            .field("created_at", .datetime)
            .create()
        try await database.schema(PeriodFramework.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id"))
            .field("level", .string, .required)
            .field("framework_version_id", .uuid, .required, .references(FrameworkVersion.schema, "id"))
            .unique(on: "period_id", "level")
            .create()
        try await database.schema(PeriodPhase.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id"))
            .field("phase", .string, .required)
            .field("starts_on", .string, .required)
            .field("ends_on", .string, .required)
            .unique(on: "period_id", "phase")
            .create()
    }

    func revert(on database: any Database) async throws {
        for schema in [PeriodPhase.schema, PeriodFramework.schema, Period.schema, FrameworkVersion.schema] {
            try await database.schema(schema).delete()
        }
    }
}
