import Fluent
import Foundation

/// An administrator's exception to a deadline: one unit may still act in a
/// phase until a date, for a recorded reason.
final class PhaseException: Model, @unchecked Sendable {
    static let schema = "phase_exceptions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Parent(key: "unit_id") var unit: UnitModel
    @Field(key: "phase") var phase: String
    /// ISO date, inclusive.
    @Field(key: "until") var until: String
    @Field(key: "reason") var reason: String
    @Field(key: "granted_by") var grantedBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(periodID: UUID, unitID: UUID, phase: Phase, until: String, reason: String, grantedBy: String) {
        self.$period.id = periodID
        self.$unit.id = unitID
        self.phase = phase.rawValue
        self.until = until
        self.reason = reason
        self.grantedBy = grantedBy
    }
}
