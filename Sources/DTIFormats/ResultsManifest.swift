import DTICore
import Foundation
import Yams

/// A published results table and how to read it: the `dti rank` options as
/// data, so that a province's past decisions load as results-only periods
/// (schema `opendti.results/1`; docs/FRAMEWORK-FORMAT.md).
public struct ResultsManifest: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        /// The table file (`dti rank` CSV/TSV), next to the manifest.
        public var file: String
        /// The level its units are at (department, district, commune, province).
        public var level: String
        /// How totals become indices (`--method`).
        public var method: String?
        /// The applicable max for rows without `max_points` (`--max`); also
        /// what normalises raw points across years.
        public var max: String?
        public var decimals: Int?
        public var separator: String?
        public var trimZeros: Bool?
        /// "Tốt:90,Khá:70,Trung bình:50,Yếu:0" (`--bands`).
        public var bands: String?
        /// reported or all (`--average-over`).
        public var averageOver: String?
        public var top: Int?
        /// Score groups for the written analysis, in points: column name (or
        /// "points" for the total) → edges, e.g. {"Chính quyền số": [130, 100]}.
        public var analysisEdges: [String: [String]]?
        /// The maximum of each column, where the framework gives it.
        public var columnMax: [String: String]?
        /// Groups whose units are at another level than `level`.
        public var groupLevels: [String: String]?
        /// Averages as published: "GROUP" or "GROUP:COLUMN" → value; checked against the table.
        public var statedAverages: [String: String]?
        /// The province, copied from the manifest when the table is stored.
        public var province: String?

        enum CodingKeys: String, CodingKey {
            case file, level, method, max, decimals, separator, bands, top
            case trimZeros = "trim_zeros", averageOver = "average_over", analysisEdges = "analysis_edges", columnMax = "column_max"
            case groupLevels = "group_levels", statedAverages = "stated_averages", province
        }

        public init(file: String, level: String, method: String? = nil, max: String? = nil, decimals: Int? = nil, separator: String? = nil,
                    trimZeros: Bool? = nil, bands: String? = nil, averageOver: String? = nil, top: Int? = nil,
                    analysisEdges: [String: [String]]? = nil, columnMax: [String: String]? = nil) {
            self.file = file
            self.level = level
            self.method = method
            self.max = max
            self.decimals = decimals
            self.separator = separator
            self.trimZeros = trimZeros
            self.bands = bands
            self.averageOver = averageOver
            self.top = top
            self.analysisEdges = analysisEdges
            self.columnMax = columnMax
        }

        /// The ranking settings, or every problem with the field it is in.
        public func settings() -> Result<RankingSettings, ProblemList> {
            var problems: [TableProblem] = []
            func problem(_ field: String, _ message: String) { problems.append(TableProblem(location: "\(file): \(field)", message: message)) }
            let method = IndexMethod(rawValue: self.method ?? "raw")
            if method == nil { problem("method", "\"\(self.method ?? "")\" không phải raw, fraction, percent") }
            var defaultMax: ScaledDecimal?
            if let max {
                switch WrittenNumber.parse(max) {
                case .success(let n) where n.value.micros > 0: defaultMax = n.value
                default: problem("max", "\"\(max)\" không phải số dương")
                }
            }
            var bands: [Band] = []
            if let text = self.bands, !text.isEmpty {
                switch Classification.parseBands(text) {
                case .success(let b): bands = b
                case .failure(let e): problem("bands", e.message)
                }
            }
            let averageOver = AverageRule(rawValue: self.averageOver ?? "reported")
            if averageOver == nil { problem("average_over", "\"\(self.averageOver ?? "")\" không phải reported hoặc all") }
            if let d = decimals, !(0...6).contains(d) { problem("decimals", "cần từ 0 đến 6") }
            if let s = separator, s != ",", s != "." { problem("separator", "dấu thập phân là \",\" hoặc \".\"") }
            if let top, !(1...1000).contains(top) { problem("top", "cần từ 1 đến 1000") }
            for (column, edges) in analysisEdges ?? [:] {
                for edge in edges where (try? WrittenNumber.parse(edge).get()) == nil { problem("analysis_edges.\(column)", "\"\(edge)\" không phải số") }
            }
            guard problems.isEmpty, let method, let averageOver else { return .failure(ProblemList(problems)) }
            var display = DisplayStyle.default(for: method)
            if let decimals { display.decimals = decimals }
            if let trimZeros { display.trimZeros = trimZeros }
            if let separator { display.separator = Character(separator) }
            return .success(RankingSettings(method: method, defaultMax: defaultMax, display: display, bands: bands,
                                            averageOver: averageOver, topK: top ?? 3))
        }

        public func level(ofGroup group: String) -> String { groupLevels?[group] ?? level }

        /// The published averages to check, as `dti audit --stated-average` takes them.
        public var stated: [StatedAverage] {
            (statedAverages ?? [:]).sorted { $0.key < $1.key }.compactMap { target, value in
                guard let n = try? WrittenNumber.parse(value).get() else { return nil }
                if let colon = target.lastIndex(of: ":") {
                    return StatedAverage(group: VietnameseText.normalized(String(target[..<colon])),
                                         column: VietnameseText.normalized(String(target[target.index(after: colon)...])), value: n)
                }
                return StatedAverage(group: VietnameseText.normalized(target), column: nil, value: n)
            }
        }

        public func edges(for column: String) -> [ScaledDecimal] {
            (analysisEdges?[column] ?? []).compactMap { try? WrittenNumber.parse($0).get().value }
        }

        public func maximum(of column: String) -> ScaledDecimal? {
            columnMax?[column].flatMap { try? WrittenNumber.parse($0).get().value }
        }
    }

    public var schema: String
    public var id: String
    public var title: String
    public var year: Int
    /// The province the units belong to, and the unit that stands for it.
    public var province: String?
    public var provinceUnit: String?
    /// Prefix for the codes of units the table names but the directory lacks.
    public var codePrefix: String?
    /// Table names that differ from the directory's: name → unit code.
    public var unitCodes: [String: String]?
    /// Where the figures come from (the decision, its date).
    public var source: String
    public var tables: [Table]

    enum CodingKeys: String, CodingKey {
        case schema, id, title, year, province, source, tables
        case provinceUnit = "province_unit", codePrefix = "code_prefix", unitCodes = "unit_codes"
    }

    public static let schemaName = "opendti.results/1"

    /// Reads a manifest; a problem names the file and the field.
    public static func load(yaml text: String, file: String) throws -> ResultsManifest {
        let manifest: ResultsManifest
        do {
            manifest = try YAMLDecoder().decode(ResultsManifest.self, from: text)
        } catch let DecodingError.keyNotFound(key, context) {
            throw TableProblem(location: file, message: "thiếu trường \"\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw TableProblem(location: file, message: "trường \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" sai kiểu")
        } catch {
            throw TableProblem(location: file, message: "không đọc được YAML: \(error)")
        }
        guard manifest.schema == schemaName else {
            throw TableProblem(location: file, message: "schema phải là \(schemaName), không phải \"\(manifest.schema)\"")
        }
        if manifest.tables.isEmpty { throw TableProblem(location: file, message: "không có bảng nào (tables)") }
        return manifest
    }
}
