import Fluent

/// Evidence files and the criteria they back.
struct M008CreateEvidence: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(EvidenceFile.schema)
            .id()
            .field("submission_id", .uuid, .required, .references(Submission.schema, "id"))
            .field("stored_name", .string, .required)
            .field("original_name", .string, .required)
            .field("kind", .string, .required)
            .field("size", .int64, .required)
            .field("sha256", .string, .required)
            .field("document_number", .string, .required)
            .field("issuer", .string, .required)
            .field("document_date", .string, .required)
            .field("criteria", .string, .required)
            .field("uploaded_by", .string, .required)
            .field("uploaded_at", .datetime)
            .unique(on: "stored_name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(EvidenceFile.schema).delete()
    }
}
