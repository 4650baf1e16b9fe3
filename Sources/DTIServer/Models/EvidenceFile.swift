import Fluent
import Foundation

/// A document proving a claim (tài liệu kiểm chứng), stored outside any
/// public folder under a generated name, with its SHA-256. One document may
/// back several criteria.
final class EvidenceFile: Model, @unchecked Sendable {
    static let schema = "evidence_files"

    @ID(key: .id) var id: UUID?
    @Parent(key: "submission_id") var submission: Submission
    @Field(key: "stored_name") var storedName: String
    @Field(key: "original_name") var originalName: String
    /// pdf, docx, xlsx, png, jpeg — as detected from the content.
    @Field(key: "kind") var kind: String
    @Field(key: "size") var size: Int64
    @Field(key: "sha256") var sha256: String
    @Field(key: "document_number") var documentNumber: String
    @Field(key: "issuer") var issuer: String
    @Field(key: "document_date") var documentDate: String
    /// Criterion codes separated by ";".
    @Field(key: "criteria") var criteria: String
    @Field(key: "uploaded_by") var uploadedBy: String
    @Timestamp(key: "uploaded_at", on: .create) var uploadedAt: Date?

    init() {}
}
