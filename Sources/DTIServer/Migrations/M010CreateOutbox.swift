import Fluent

/// Notifications: e-mail addresses on accounts and the outbox.
struct M010CreateOutbox: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserAccount.schema).field("email", .string, .required, .sql(.default(""))).update()
        try await database.schema(OutboxMessage.schema)
            .id()
            .field("recipient", .string, .required)
            .field("email", .string, .required)
            .field("kind", .string, .required)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime)
            .field("sent_at", .datetime)
            .field("attempts", .int, .required)
            .field("last_error", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OutboxMessage.schema).delete()
        try await database.schema(UserAccount.schema).deleteField("email").update()
    }
}
