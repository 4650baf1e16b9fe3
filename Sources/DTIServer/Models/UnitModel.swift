import DTICore
import Fluent
import Foundation

/// An assessed organisation (Đơn vị): a sở, a district, a commune.
final class UnitModel: Model, @unchecked Sendable {
    static let schema = "units"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    /// Folded name (no diacritics, đ→d, lower case) for search.
    @Field(key: "search_key") var searchKey: String
    /// province, department, district, commune.
    @Field(key: "level") var level: String
    /// Ranking group, e.g. "Sở, ban, ngành".
    @Field(key: "group_name") var groupName: String
    /// Tags separated by ";", e.g. "no-online-public-services".
    @Field(key: "tags") var tags: String
    @OptionalParent(key: "parent_id") var parent: UnitModel?
    /// ISO dates (yyyy-mm-dd): when the unit existed.
    @OptionalField(key: "valid_from") var validFrom: String?
    @OptionalField(key: "valid_until") var validUntil: String?
    /// The centroid from the administrative directory, when known.
    @OptionalField(key: "latitude") var latitude: Double?
    @OptionalField(key: "longitude") var longitude: Double?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(code: String, name: String, level: String, groupName: String, tags: [String] = [], parentID: UUID? = nil) {
        self.code = code
        self.name = name
        self.searchKey = ""
        self.level = level
        self.groupName = groupName
        self.tags = tags.joined(separator: ";")
        self.$parent.id = parentID
    }

    var tagList: [String] { Self.tagList(tags) }

    /// The tags as stored (";" between them), as a list: the one reading of the column.
    static func tagList(_ stored: String) -> [String] { stored.split(separator: ";").map(String.init) }

    /// The unit as DTICore scores it: its code, name, group and tags.
    var assessed: AssessedUnit { AssessedUnit(id: code, name: name, group: groupName, tags: Set(tagList)) }

    /// The units with these codes (`placed`: only those with coordinates),
    /// asked for in slices of 500 (databases bound the number of parameters
    /// of one statement).
    static func withCodes(_ codes: [String], placed: Bool = false, on db: any Database) async throws -> [UnitModel] {
        var out: [UnitModel] = []
        for start in stride(from: 0, to: codes.count, by: 500) {
            var query = UnitModel.query(on: db).filter(\.$code ~~ Array(codes[start..<min(start + 500, codes.count)]))
            if placed { query = query.filter(\.$latitude != nil) }
            out += try await query.all()
        }
        return out
    }

    /// Whether the unit existed at some time in `year` (a period of that year may cover it).
    func exists(in year: Int) -> Bool {
        (validUntil.map { $0 > "\(year)-01-01" } ?? true) && (validFrom.map { $0 <= "\(year)-12-31" } ?? true)
    }

    /// Whether the unit still exists at the end of `year`: a period of that year covers it
    /// unless the administrator says otherwise (a huyện dissolved on 1 July 2025 is listed
    /// for a 2025 period, not ticked).
    func lasts(through year: Int) -> Bool { exists(in: year) && (validUntil.map { $0 > "\(year)-12-31" } ?? true) }
}
