import Fluent
import Foundation

/// A unit's complaint about one criterion of its preliminary results
/// (khiếu nại kết quả dự kiến), and the evaluator's or council's answer:
/// accepted with a changed score, or rejected with a reason.
final class Complaint: Model, @unchecked Sendable {
    static let schema = "complaints"

    enum Status: String, Codable, CaseIterable {
        case open, accepted, rejected

        var label: String {
            switch self {
            case .open: return "Chờ trả lời"
            case .accepted: return "Chấp nhận, đã điều chỉnh điểm"
            case .rejected: return "Không chấp nhận"
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Parent(key: "unit_id") var unit: UnitModel
    @Field(key: "criterion") var criterion: String
    @Field(key: "text") var text: String
    @OptionalField(key: "evidence_id") var evidenceID: UUID?
    @Field(key: "filed_by") var filedBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "status") var status: String
    @Field(key: "answer") var answer: String
    @Field(key: "answered_by") var answeredBy: String
    @OptionalField(key: "answered_at") var answeredAt: Date?
    /// The score that counted before and after an accepted complaint (millionths).
    @OptionalField(key: "points_before") var pointsBefore: Int64?
    @OptionalField(key: "points_after") var pointsAfter: Int64?

    init() {}

    init(periodID: UUID, unitID: UUID, criterion: String, text: String, evidenceID: UUID?, filedBy: String) {
        self.$period.id = periodID
        self.$unit.id = unitID
        self.criterion = criterion
        self.text = text
        self.evidenceID = evidenceID
        self.filedBy = filedBy
        self.status = Status.open.rawValue
        self.answer = ""
        self.answeredBy = ""
    }

    var state: Status { Status(rawValue: status) ?? .open }
}
