import Fluent
import Foundation

/// A period's published record (`opendti.record/1`, DTIFormats
/// `PublishedRecord`): the JSON bytes as serialised once at publication or
/// import, and their SHA-256. Never changed: a correction would be a new
/// version beside it.
final class PublishedRecordRow: Model, @unchecked Sendable {
    static let schema = "published_records"

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Field(key: "version") var version: Int
    @Field(key: "sha256") var sha256: String
    @Field(key: "content") var content: String
    /// Why this version corrects the previous one (empty for the first).
    @Field(key: "reason") var reason: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(periodID: UUID, version: Int, sha256: String, content: String, reason: String = "") {
        self.$period.id = periodID
        self.version = version
        self.reason = reason
        self.sha256 = sha256
        self.content = content
    }
}
