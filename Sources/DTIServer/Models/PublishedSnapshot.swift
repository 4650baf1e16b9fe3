import Fluent
import Foundation

/// The published results of a period, frozen: framework versions, every
/// unit's inputs and scores, ranks and bands, with the SHA-256 of the
/// content. Written once; later edits to answers cannot change it.
final class PublishedSnapshot: Model, @unchecked Sendable {
    static let schema = "published_results"

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Timestamp(key: "published_at", on: .create) var publishedAt: Date?
    @Field(key: "published_by") var publishedBy: String
    @Field(key: "sha256") var sha256: String
    @Field(key: "content") var content: String

    init() {}

    init(periodID: UUID, publishedBy: String, sha256: String, content: String) {
        self.$period.id = periodID
        self.publishedBy = publishedBy
        self.sha256 = sha256
        self.content = content
    }
}
