import Fluent
import Foundation

/// A correction request (Yêu cầu bổ sung, chỉnh sửa) on one criterion: the
/// evaluator sends it back with a message, the unit fixes just that
/// criterion and answers; the thread is kept.
final class CorrectionRequest: Model, @unchecked Sendable {
    static let schema = "correction_requests"

    enum Status: String, Codable {
        case open, answered, closed

        var label: String {
            switch self {
            case .open: return "Đang mở"
            case .answered: return "Đơn vị đã trả lời"
            case .closed: return "Đã đóng"
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "submission_id") var submission: Submission
    @Field(key: "criterion") var criterion: String
    @Field(key: "status") var status: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Children(for: \.$request) var messages: [CorrectionMessage]

    init() {}

    init(submissionID: UUID, criterion: String, createdBy: String) {
        self.$submission.id = submissionID
        self.criterion = criterion
        self.status = Status.open.rawValue
        self.createdBy = createdBy
    }
}

final class CorrectionMessage: Model, @unchecked Sendable {
    static let schema = "correction_messages"

    @ID(key: .id) var id: UUID?
    @Parent(key: "request_id") var request: CorrectionRequest
    @Field(key: "author") var author: String
    @Field(key: "text") var text: String
    @Timestamp(key: "at", on: .create) var at: Date?

    init() {}

    init(requestID: UUID, author: String, text: String) {
        self.$request.id = requestID
        self.author = author
        self.text = text
    }
}
