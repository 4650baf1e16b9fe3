import Fluent
import SQLKit

/// Browsers an account's owner has signed in from (and codes e-mailed to the
/// owner of a locked account), so that guessing by strangers cannot lock the
/// owner out (ADR 0039); and the time from which an account's sessions count,
/// moved by a password change, a reset and a disable, so that those end the
/// sessions started before them.
struct M022AddTrustedDevicesAndSessionEpoch: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(TrustedDevice.schema)
            .id()
            .field("user_id", .uuid, .required, .references(UserAccount.schema, "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("kind", .string, .required)
            .field("failures", .int, .required, .sql(.default(0)))
            .field("created_at", .datetime)
            .field("expires_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.sql.raw("CREATE INDEX IF NOT EXISTS trusted_devices_user ON trusted_devices (user_id)").run()
        try await database.schema(UserAccount.schema).field("sessions_valid_from", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserAccount.schema).deleteField("sessions_valid_from").update()
        try await database.schema(TrustedDevice.schema).delete()
    }
}
