import Fluent

/// A period covers the units chosen for it, each possibly marked as not
/// reporting with a reason; an account may have to change its password at
/// its next sign-in (after a reset).
struct M014AddParticipationAndPasswordChange: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PeriodUnit.schema)
            .id()
            .field("period_id", .uuid, .required, .references(Period.schema, "id"))
            .field("unit_id", .uuid, .required, .references(UnitModel.schema, "id"))
            .field("not_reporting_reason", .string, .required, .sql(.default("")))
            .unique(on: "period_id", "unit_id")
            .create()
        try await database.schema(UserAccount.schema)
            .field("must_change_password", .bool, .required, .sql(.default(false)))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PeriodUnit.schema).delete()
        try await database.schema(UserAccount.schema).deleteField("must_change_password").update()
    }
}
