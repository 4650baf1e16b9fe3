import Fluent

/// Notifications lead somewhere (the form, the criterion's row) and are
/// read or not: the header counts the unread ones.
struct M013AddNotificationLinks: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(OutboxMessage.schema)
            .field("link", .string, .required, .sql(.default("")))
            .update()
        try await database.schema(OutboxMessage.schema)
            .field("read_at", .datetime)
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OutboxMessage.schema).deleteField("link").update()
        try await database.schema(OutboxMessage.schema).deleteField("read_at").update()
    }
}
