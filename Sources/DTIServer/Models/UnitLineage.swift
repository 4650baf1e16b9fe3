import Fluent
import Foundation

/// A reorganisation step: units merged, split or renamed on a date, so
/// results of 2023 units can be followed to the units of 2026.
final class UnitLineage: Model, @unchecked Sendable {
    static let schema = "unit_lineage"

    enum Kind: String, Codable, CaseIterable { case merge, split, rename }

    @ID(key: .id) var id: UUID?
    @Parent(key: "predecessor_id") var predecessor: UnitModel
    @Parent(key: "successor_id") var successor: UnitModel
    @Field(key: "kind") var kind: String
    /// ISO date (yyyy-mm-dd).
    @Field(key: "effective_on") var effectiveOn: String
    @OptionalField(key: "note") var note: String?

    init() {}

    init(predecessorID: UUID, successorID: UUID, kind: Kind, effectiveOn: String, note: String?) {
        self.$predecessor.id = predecessorID
        self.$successor.id = successorID
        self.kind = kind.rawValue
        self.effectiveOn = effectiveOn
        self.note = note
    }
}
