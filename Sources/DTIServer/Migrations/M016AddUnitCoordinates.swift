import Fluent

/// A unit's centroid (from the administrative directory), for the map.
struct M016AddUnitCoordinates: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UnitModel.schema).field("latitude", .double).update()
        try await database.schema(UnitModel.schema).field("longitude", .double).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UnitModel.schema).deleteField("latitude").update()
        try await database.schema(UnitModel.schema).deleteField("longitude").update()
    }
}
