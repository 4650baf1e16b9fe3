import Fluent

/// Self-assessments: a submission per unit and period, an answer per
/// criterion, and the append-only change log.
struct M005CreateSubmissions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Submission.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id"))
            .field("unit_id", .uuid, .required, .references(UnitModel.schema, "id"))
            .field("status", .string, .required)
            .field("return_reason", .string)
            .field("submitted_at", .datetime)
            .field("version", .int, .required)
            .field("updated_at", .datetime)
            .unique(on: "period_id", "unit_id")
            .create()
        try await database.schema(Answer.schema)
            .id()
            .field("submission_id", .uuid, .required, .references(Submission.schema, "id"))
            .field("criterion", .string, .required)
            .field("value", .string, .required)
            .field("b", .string, .required)
            .field("explanation", .string, .required)
            .field("self_points", .int64)
            .field("version", .int, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime)
            .unique(on: "submission_id", "criterion")
            .create()
        try await database.schema(ChangeEntry.schema)
            .id()
            .field("at", .datetime)
            .field("submission_id", .uuid, .required)
            .field("criterion", .string, .required)
            .field("actor", .string, .required)
            .field("field", .string, .required)
            .field("old_value", .string, .required)
            .field("new_value", .string, .required)
            .field("reason", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        for schema in [ChangeEntry.schema, Answer.schema, Submission.schema] { try await database.schema(schema).delete() }
    }
}
