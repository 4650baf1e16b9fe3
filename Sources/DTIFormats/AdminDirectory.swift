import DTICore
import Foundation

/// Việt Nam's administrative directory as of the 2025 reorganisation
/// (`directory/`, written by `scripts/prepare-directory.py`): provinces,
/// the communes in force since 1 July 2025 with their official codes, types
/// and centroids, the pre-reform communes with their districts, and which new
/// commune(s) each pre-reform commune went to. Every row is checked on
/// reading; a broken one is named by file, line and field.
public struct AdminDirectory: Sendable {
    public struct Province: Sendable, Hashable {
        public var code: String, name: String, shortName: String, lat: Double?, lon: Double?
    }
    public struct Commune: Sendable, Hashable {
        public var code: String, name: String, type: String, provinceCode: String, lat: Double?, lon: Double?
    }
    public struct LegacyCommune: Sendable, Hashable {
        public var provinceCode: String, provinceName: String, districtCode: String, districtName: String, districtType: String
        public var code: String, name: String, type: String, lat: Double?, lon: Double?
    }
    public struct Link: Sendable, Hashable {
        /// The pre-reform commune, the new one, and whether it is the main successor of a divided commune.
        public var legacyCode: String, code: String, main: Bool
    }

    public var provinces: [Province]
    public var communes: [Commune]
    public var legacy: [LegacyCommune]
    public var links: [Link]

    /// The day the 2025 reorganisation took effect.
    public static let reformDate = "2025-07-01"

    /// `./directory` when run from the repository, else the source tree's.
    public static func defaultDirectory() -> String {
        if FileManager.default.fileExists(atPath: "directory/communes.csv") { return "directory" }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("directory").path
    }

    /// Reads the four files of `directory`, every problem listed at once.
    public static func load(directory: String) throws(ProblemList) -> AdminDirectory {
        var problems: [TableProblem] = []
        func table(_ name: String, _ columns: [String]) -> [(line: Int, file: String, cells: [String: String])] {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append(TableProblem(location: path, message: "không đọc được tệp danh mục (không tồn tại hoặc không có quyền đọc)"))
                return []
            }
            let doc: CSVDocument
            do { doc = try CSVReader.parse([UInt8](data), file: path) } catch { problems.append(error); return [] }
            var index: [String: Int] = [:]
            for column in columns {
                guard let i = doc.column(column) else {
                    problems.append(TableProblem(location: "\(path):\(doc.header.line):1", message: "thiếu cột \"\(column)\"")); return []
                }
                index[column] = i
            }
            return doc.records.map { record in
                (record.line, path, Dictionary(uniqueKeysWithValues: columns.map { c in
                    (c, index[c]! < record.fields.count ? record.fields[index[c]!].trimmingCharacters(in: .whitespaces) : "")
                }))
            }
        }
        func code(_ row: (line: Int, file: String, cells: [String: String]), _ field: String) -> String {
            let v = row.cells[field] ?? ""
            if v.isEmpty || !v.allSatisfy(\.isNumber) {
                problems.append(TableProblem(location: "\(row.file):\(row.line)", message: "trường \"\(field)\": mã \"\(v)\" phải là các chữ số"))
            }
            return v
        }
        func text(_ row: (line: Int, file: String, cells: [String: String]), _ field: String) -> String {
            let v = row.cells[field] ?? ""
            if v.isEmpty { problems.append(TableProblem(location: "\(row.file):\(row.line)", message: "trường \"\(field)\" không được để trống")) }
            return v
        }
        func coordinate(_ row: (line: Int, file: String, cells: [String: String]), _ field: String, _ range: ClosedRange<Double>) -> Double? {
            let v = row.cells[field] ?? ""
            if v.isEmpty { return nil }
            guard let d = Double(v), range.contains(d) else {
                problems.append(TableProblem(location: "\(row.file):\(row.line)", message: "trường \"\(field)\": \"\(v)\" không phải tọa độ trong khoảng \(range.lowerBound)…\(range.upperBound)"))
                return nil
            }
            return d
        }
        let lat = 5.0...25.0, lon = 100.0...120.0
        let provinces = table("provinces.csv", ["code", "name", "short_name", "lat", "lon"]).map {
            Province(code: code($0, "code"), name: text($0, "name"), shortName: text($0, "short_name"), lat: coordinate($0, "lat", lat), lon: coordinate($0, "lon", lon))
        }
        let provinceCodes = Set(provinces.map(\.code))
        let communes = table("communes.csv", ["code", "name", "type", "province_code", "lat", "lon"]).map { row -> Commune in
            let c = Commune(code: code(row, "code"), name: text(row, "name"), type: text(row, "type"), provinceCode: code(row, "province_code"),
                            lat: coordinate(row, "lat", lat), lon: coordinate(row, "lon", lon))
            if !provinceCodes.isEmpty && !provinceCodes.contains(c.provinceCode) {
                problems.append(TableProblem(location: "\(row.file):\(row.line)", message: "trường \"province_code\": không có tỉnh mã \"\(c.provinceCode)\""))
            }
            return c
        }
        let legacy = table("legacy-communes.csv", ["province_code", "province_name", "district_code", "district_name", "district_type", "code", "name", "type", "lat", "lon"])
            .compactMap { row -> LegacyCommune? in
                // Island districts without communes have no commune code: nothing to link.
                if (row.cells["code"] ?? "").isEmpty { return nil }
                return LegacyCommune(provinceCode: code(row, "province_code"), provinceName: text(row, "province_name"), districtCode: code(row, "district_code"),
                                     districtName: text(row, "district_name"), districtType: row.cells["district_type"] ?? "", code: code(row, "code"),
                                     name: text(row, "name"), type: row.cells["type"] ?? "", lat: coordinate(row, "lat", lat), lon: coordinate(row, "lon", lon))
            }
        let communeCodes = Set(communes.map(\.code)), legacyCodes = Set(legacy.map(\.code))
        let links = table("lineage-2025.csv", ["legacy_code", "code", "main"]).map { row -> Link in
            let link = Link(legacyCode: code(row, "legacy_code"), code: code(row, "code"), main: row.cells["main"] == "1")
            if !legacyCodes.isEmpty && !legacyCodes.contains(link.legacyCode) {
                problems.append(TableProblem(location: "\(row.file):\(row.line)", message: "trường \"legacy_code\": không có xã cũ mã \"\(link.legacyCode)\""))
            }
            if !communeCodes.isEmpty && !communeCodes.contains(link.code) {
                problems.append(TableProblem(location: "\(row.file):\(row.line)", message: "trường \"code\": không có xã mới mã \"\(link.code)\""))
            }
            return link
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        return AdminDirectory(provinces: provinces, communes: communes, legacy: legacy, links: links)
    }

    /// A province by its code, name or short name, with or without diacritics
    /// ("66", "Đắk Lắk", "dak lak", "Tỉnh Đắk Lắk").
    public func province(_ query: String) -> Province? {
        let key = VietnameseText.searchKey(query.trimmingCharacters(in: .whitespaces))
        return provinces.first { $0.code == query.trimmingCharacters(in: .whitespaces) }
            ?? provinces.first { VietnameseText.searchKey($0.name) == key || VietnameseText.searchKey($0.shortName) == key }
    }
}
