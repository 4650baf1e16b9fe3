import Fluent
import SQLKit

/// Each unit's index at the end of each month of a running period (issue 33, ADR 0045),
/// kept once the month is over: a past month is computed the first time it is asked
/// for and never again, so a month's figure stays what was known then.
struct M024CreateIndexMonths: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("index_months")
            .id()
            .field("period_id", .uuid, .required, .references("periods", "id", onDelete: .cascade))
            .field("unit_id", .uuid, .required, .references(UnitModel.schema, "id", onDelete: .cascade))
            .field("month", .string, .required)
            // The index as ScaledDecimal writes it; NULL when nothing applied.
            .field("index_value", .string)
            .field("computed_at", .datetime, .required)
            .unique(on: "period_id", "unit_id", "month")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("index_months").delete()
    }
}
