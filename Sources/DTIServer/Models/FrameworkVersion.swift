import Fluent
import Foundation

/// One imported version of a framework file. Every version is kept; the
/// YAML text is stored as imported, with its SHA-256.
final class FrameworkVersion: Model, @unchecked Sendable {
    static let schema = "framework_versions"

    @ID(key: .id) var id: UUID?
    /// The framework's `id` in the file, e.g. "daklak-2023-department".
    @Field(key: "key") var key: String
    @Field(key: "version") var version: Int
    @Field(key: "level") var level: String
    @Field(key: "year") var year: Int
    @Field(key: "title") var title: String
    @Field(key: "yaml") var yaml: String
    @Field(key: "sha256") var sha256: String
    @Timestamp(key: "imported_at", on: .create) var importedAt: Date?

    init() {}

    init(key: String, version: Int, level: String, year: Int, title: String, yaml: String, sha256: String) {
        self.key = key
        self.version = version
        self.level = level
        self.year = year
        self.title = title
        self.yaml = yaml
        self.sha256 = sha256
    }
}
