import Fluent

/// Correction requests per criterion and their message threads.
struct M007CreateCorrectionRequests: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CorrectionRequest.schema)
            .id()
            .field("submission_id", .uuid, .required, .references(Submission.schema, "id"))
            .field("criterion", .string, .required)
            .field("status", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await database.schema(CorrectionMessage.schema)
            .id()
            .field("request_id", .uuid, .required, .references(CorrectionRequest.schema, "id"))
            .field("author", .string, .required)
            .field("text", .string, .required)
            .field("at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CorrectionMessage.schema).delete()
        try await database.schema(CorrectionRequest.schema).delete()
    }
}
