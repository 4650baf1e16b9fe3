import Fluent
import Foundation

/// One published results table of a period: the table exactly as `dti rank`
/// reads it, how to read it (the manifest entry, as JSON), which directory
/// unit each row names, and the hash of the table. Written at publication
/// or by a legacy import, never changed.
final class ResultSet: Model, @unchecked Sendable {
    static let schema = "result_sets"

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Field(key: "position") var position: Int
    @Field(key: "level") var level: String
    @Field(key: "file_name") var fileName: String
    @Field(key: "content") var content: String
    @Field(key: "manifest") var manifest: String
    /// JSON object: the unit name as the table writes it → unit code.
    @Field(key: "unit_codes") var unitCodes: String
    @Field(key: "source") var source: String
    @Field(key: "sha256") var sha256: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}
