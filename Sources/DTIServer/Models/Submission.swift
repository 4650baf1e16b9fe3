import Fluent
import Foundation

/// One unit's self-assessment for one period, and where it stands.
final class Submission: Model, @unchecked Sendable {
    static let schema = "submissions"

    /// draft → awaiting_approval (focal point submits) → submitted (leader
    /// approves and sends) or returned (leader sends back) → draft again.
    enum Status: String, Codable, CaseIterable {
        case draft
        case awaitingApproval = "awaiting_approval"
        case returned
        case submitted

        var label: String {
            switch self {
            case .draft: return "Đang nhập"
            case .awaitingApproval: return "Chờ lãnh đạo duyệt"
            case .returned: return "Lãnh đạo trả lại"
            case .submitted: return "Đã gửi thẩm định"
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Parent(key: "unit_id") var unit: UnitModel
    @Field(key: "status") var status: String
    @OptionalField(key: "return_reason") var returnReason: String?
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @Field(key: "version") var version: Int
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(periodID: UUID, unitID: UUID) {
        self.$period.id = periodID
        self.$unit.id = unitID
        self.status = Status.draft.rawValue
        self.version = 1
    }

    var state: Status { Status(rawValue: status) ?? .draft }
}

/// A unit's answer to one criterion, with its points as computed by DTICore.
final class Answer: Model, @unchecked Sendable {
    static let schema = "answers"

    @ID(key: .id) var id: UUID?
    @Parent(key: "submission_id") var submission: Submission
    @Field(key: "criterion") var criterion: String
    @Field(key: "value") var value: String
    @Field(key: "b") var b: String
    @Field(key: "explanation") var explanation: String
    /// Self-score in millionths of a point (exact), nil when the answer is invalid.
    @OptionalField(key: "self_points") var selfPoints: Int64?
    /// The evaluator's score (millionths) and comment.
    @OptionalField(key: "evaluator_points") var evaluatorPoints: Int64?
    @Field(key: "evaluator_comment") var evaluatorComment: String
    @Field(key: "evaluator_by") var evaluatorBy: String
    /// The appraisal council's score (millionths) and the reason for it.
    @OptionalField(key: "council_points") var councilPoints: Int64?
    @Field(key: "council_reason") var councilReason: String
    @Field(key: "council_by") var councilBy: String
    /// Optimistic concurrency: a save names the version it read.
    @Field(key: "version") var version: Int
    @Field(key: "updated_by") var updatedBy: String
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    /// An answer with every field set and no reviewer's score yet: not
    /// stored (what a preview scores, version 0) or about to be created for a
    /// submission (version 1).
    init(unsaved criterion: String, value: String, b: String, explanation: String, selfPoints: Int64?, by username: String,
         submissionID: UUID? = nil, version: Int = 0) {
        if let submissionID { self.$submission.id = submissionID }
        self.criterion = criterion
        self.value = value
        self.b = b
        self.explanation = explanation
        self.selfPoints = selfPoints
        self.evaluatorComment = ""; self.evaluatorBy = ""; self.councilReason = ""; self.councilBy = ""
        self.version = version
        self.updatedBy = username
    }
}

/// Append-only history of every change to an answer or a submission.
final class ChangeEntry: Model, @unchecked Sendable {
    static let schema = "change_log"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "at", on: .create) var at: Date?
    @Field(key: "submission_id") var submissionID: UUID
    @Field(key: "criterion") var criterion: String
    @Field(key: "actor") var actor: String
    @Field(key: "field") var field: String
    @Field(key: "old_value") var oldValue: String
    @Field(key: "new_value") var newValue: String
    @Field(key: "reason") var reason: String

    init() {}

    init(submissionID: UUID, criterion: String, actor: String, field: String, old: String, new: String, reason: String = "") {
        self.submissionID = submissionID
        self.criterion = criterion
        self.actor = actor
        self.field = field
        self.oldValue = old
        self.newValue = new
        self.reason = reason
    }
}
