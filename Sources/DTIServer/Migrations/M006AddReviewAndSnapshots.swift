import Fluent

/// Evaluator and council scores beside the self-score, and the immutable
/// published snapshots.
struct M006AddReviewAndSnapshots: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // SQLite adds one column per ALTER TABLE.
        try await database.schema(Answer.schema).field("evaluator_points", .int64).update()
        try await database.schema(Answer.schema).field("evaluator_comment", .string, .required, .sql(.default(""))).update()
        try await database.schema(Answer.schema).field("evaluator_by", .string, .required, .sql(.default(""))).update()
        try await database.schema(Answer.schema).field("council_points", .int64).update()
        try await database.schema(Answer.schema).field("council_reason", .string, .required, .sql(.default(""))).update()
        try await database.schema(Answer.schema).field("council_by", .string, .required, .sql(.default(""))).update()
        try await database.schema(PublishedSnapshot.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id"))
            .field("published_at", .datetime)
            .field("published_by", .string, .required)
            .field("sha256", .string, .required)
            .field("content", .string, .required)
            .unique(on: "period_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PublishedSnapshot.schema).delete()
        for field in ["evaluator_points", "evaluator_comment", "evaluator_by", "council_points", "council_reason", "council_by"] {
            try await database.schema(Answer.schema).deleteField(.string(field)).update()
        }
    }
}
