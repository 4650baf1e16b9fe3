import Fluent

/// Preliminary results with a complaint window, the units' complaints and
/// their answers, and the reason of a published record's later version.
struct M015AddPreliminaryResultsAndComplaints: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Period.schema).field("preliminary_at", .datetime).update()
        try await database.schema(Period.schema).field("complaints_until", .string).update()
        try await database.schema(Complaint.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id"))
            .field("unit_id", .uuid, .required, .references(UnitModel.schema, "id"))
            .field("criterion", .string, .required)
            .field("text", .string, .required)
            .field("evidence_id", .uuid)
            .field("filed_by", .string, .required)
            .field("created_at", .datetime)
            .field("status", .string, .required)
            .field("answer", .string, .required, .sql(.default("")))
            .field("answered_by", .string, .required, .sql(.default("")))
            .field("answered_at", .datetime)
            .field("points_before", .int64)
            .field("points_after", .int64)
            .create()
        try await database.schema(PublishedRecordRow.schema).field("reason", .string, .required, .sql(.default(""))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Complaint.schema).delete()
        try await database.schema(Period.schema).deleteField("preliminary_at").update()
        try await database.schema(Period.schema).deleteField("complaints_until").update()
        try await database.schema(PublishedRecordRow.schema).deleteField("reason").update()
    }
}
