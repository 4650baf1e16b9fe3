import Fluent

/// Evaluators may be scoped to a field of criteria (main index codes) as
/// well as to a set of units.
struct M004AddEvaluatorFieldScope: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserAccount.schema)
            .field("scope_fields", .string, .required, .sql(.default("")))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserAccount.schema).deleteField("scope_fields").update()
    }
}
