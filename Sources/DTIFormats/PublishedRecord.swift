import DTICore
import Foundation

/// The one published record of a period (`opendti.record/1`): for each level
/// the ranking options, every unit's points per column, index by the
/// framework's method, rank, band and reported flag, and each group's
/// statistics — all computed once by DTICore (`ResultTable.ranked`) and
/// serialised once with exact decimals. The portal, the exports, the
/// scorecard, the analysis and the open data read this record, typed; `dti
/// verify` recomputes it from its own inputs (docs/decisions/0012).
public struct PublishedRecord: Sendable {
    public static let schema = "opendti.record/1"

    public struct FrameworkRef: Sendable, Equatable {
        public var key: String
        public var version: Int
        public var sha256: String
        public init(key: String, version: Int, sha256: String) { self.key = key; self.version = version; self.sha256 = sha256 }
    }

    /// One ranked table: a level of the period.
    public struct Level: Sendable {
        public var level: String
        /// Where the figures come from (a decision, or OpenDTI's workflow).
        public var source: String
        /// The framework scored, for a period run on OpenDTI.
        public var framework: FrameworkRef?
        /// The SHA-256 of the inputs: the imported table, or the published answers.
        public var inputsSHA256: String
        /// The ranking options, as `dti rank` takes them.
        public var options: ResultsManifest.Table
        /// For the weighted method: each column's weight (a main index's share).
        public var columnWeights: [ScaledDecimal]?
        /// Table name → unit code.
        public var unitCodes: [String: String]
        /// What `dti rank` computed: units in rank order and group statistics.
        public var results: RankedResults
        /// For the weighted method: each unit's applicable maximum per column.
        public var columnMax: [String: [ScaledDecimal]]

        public init(level: String, source: String, framework: FrameworkRef?, inputsSHA256: String, options: ResultsManifest.Table,
                    columnWeights: [ScaledDecimal]? = nil, unitCodes: [String: String], results: RankedResults, columnMax: [String: [ScaledDecimal]] = [:]) {
            self.level = level; self.source = source; self.framework = framework; self.inputsSHA256 = inputsSHA256
            self.options = options; self.columnWeights = columnWeights; self.unitCodes = unitCodes; self.results = results; self.columnMax = columnMax
        }

        /// The table the ranking was computed from (for the analysis and the audit).
        public var table: ResultTable { ResultTable(columnNames: results.columnNames, rows: results.units.map(\.row)) }
    }

    public var periodID: String
    public var year: Int
    public var title: String
    /// ISO 8601 date and time of publication.
    public var publishedAt: String
    public var levels: [Level]

    public init(periodID: String, year: Int, title: String, publishedAt: String, levels: [Level]) {
        self.periodID = periodID; self.year = year; self.title = title; self.publishedAt = publishedAt; self.levels = levels
    }
}

// MARK: Writing

extension PublishedRecord {
    /// The record as JSON: keys in a fixed order, numbers exact ("127.00"
    /// keeps its two decimals). These bytes are what is hashed and stored.
    public func serialized() -> String { json().serialized() + "\n" }

    public func json() -> JSONValue {
        .object([
            ("schema", .string(Self.schema)),
            ("period", .object([("id", .string(periodID)), ("year", .int(year)), ("title", .string(title))])),
            ("published_at", .string(publishedAt)),
            ("levels", .array(levels.map { $0.json() })),
        ])
    }
}

extension PublishedRecord.Level {
    func json() -> JSONValue {
        let r = results
        let optionsJSON = (try? JSONEncoder.sorted.encode(options)).flatMap { try? JSONValue.parse([UInt8]($0)) } ?? .null
        return .object([
            ("level", .string(level)),
            ("source", .string(source)),
            ("framework", framework.map { .object([("key", .string($0.key)), ("version", .int($0.version)), ("sha256", .string($0.sha256))]) } ?? .null),
            ("inputs_sha256", .string(inputsSHA256)),
            ("options", optionsJSON),
            ("columns", .array(r.columnNames.map { .string($0) })),
            ("column_weights", columnWeights.map { .array($0.map { .number($0) }) } ?? .null),
            ("units", .array(r.units.map { u in
                .object([
                    ("code", .string(unitCodes[u.row.unit])),
                    ("unit", .string(u.row.unit)),
                    ("group", .string(u.row.group)),
                    ("reported", .bool(u.row.reported)),
                    ("points", .written(u.row.points)),
                    ("max_points", .number(u.maxPoints)),
                    ("columns", .array(u.row.columns.map { .written($0) })),
                    ("column_max", columnMax[u.row.unit].map { .array($0.map { .number($0) }) } ?? .null),
                    ("index", .number(u.index)),
                    ("display", .string(u.display)),
                    ("rank", u.rank > 0 ? .int(u.rank) : .null),
                    ("band", .string(u.band)),
                ])
            })),
            ("groups", .array(r.groups.map { g in
                .object([
                    ("group", .string(g.group)),
                    ("count", .int(g.count)),
                    ("reported", .int(g.reported)),
                    ("average", .number(g.average)),
                    ("column_averages", .array(g.columnAverages.map { .number($0) })),
                    ("top_average", .number(g.topAverage)),
                    ("bottom_average", .number(g.bottomAverage)),
                    ("gap", .number(g.gap)),
                    ("decimals", .int(g.decimals)),
                    ("column_decimals", .array(g.columnDecimals.map { .int($0) })),
                    ("top_units", .array(g.topUnits.map { .string($0) })),
                    ("bottom_units", .array(g.bottomUnits.map { .string($0) })),
                ])
            })),
        ])
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

// MARK: Reading

extension PublishedRecord {
    /// Why a file is not a record OpenDTI can read.
    public struct ReadError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Reads a record back, typed: the figures exactly as published, nothing recomputed.
    public static func parse(_ data: Data) throws(ReadError) -> PublishedRecord {
        let root: JSONValue
        do { root = try JSONValue.parse([UInt8](data)) } catch { throw ReadError(message: "không phải JSON hợp lệ (\(error))") }
        guard root["schema"]?.string == schema else {
            throw ReadError(message: "không phải bản ghi kết quả công bố của OpenDTI (cần \"schema\": \"\(schema)\")")
        }
        func need<T>(_ value: T?, _ field: String) throws(ReadError) -> T {
            guard let value else { throw ReadError(message: "thiếu hoặc sai trường \"\(field)\"") }
            return value
        }
        let period = try need(root["period"], "period")
        var levels: [Level] = []
        for (n, item) in try need(root["levels"]?.array, "levels").enumerated() {
            let at = "levels[\(n)]"
            let optionsData = Data(try need(item["options"], "\(at).options").serialized().utf8)
            let options: ResultsManifest.Table
            do { options = try JSONDecoder().decode(ResultsManifest.Table.self, from: optionsData) } catch {
                throw ReadError(message: "trường \"\(at).options\" không đọc được")
            }
            let settings: RankingSettings
            switch options.settings() {
            case .success(let s): settings = s
            case .failure(let list): throw ReadError(message: "\(at).options: " + list.problems.map(\.description).joined(separator: "; "))
            }
            let columns = try need(item["columns"]?.array, "\(at).columns").compactMap(\.string)
            var codes: [String: String] = [:]
            var columnMax: [String: [ScaledDecimal]] = [:]
            var units: [RankedUnit] = []
            for (k, u) in try need(item["units"]?.array, "\(at).units").enumerated() {
                let where_ = "\(at).units[\(k)]"
                let name = try need(u["unit"]?.string, "\(where_).unit")
                if let code = u["code"]?.string { codes[name] = code }
                let values = try need(u["columns"]?.array, "\(where_).columns")
                guard values.count == columns.count else { throw ReadError(message: "\(where_).columns: cần \(columns.count) giá trị") }
                var row = ResultRow(group: try need(u["group"]?.string, "\(where_).group"), unit: name,
                                    points: u["points"]?.writtenNumber, maxPoints: u["max_points"]?.decimal,
                                    columns: values.map(\.writtenNumber))
                if let maxes = u["column_max"]?.array { columnMax[name] = maxes.map { $0.decimal ?? .zero } }
                let index = u["index"]?.decimal
                if settings.method == .weighted { row.computedIndex = index }
                units.append(RankedUnit(row: row, maxPoints: u["max_points"]?.decimal, index: index,
                                        display: u["display"]?.string ?? "-", rank: u["rank"]?.int ?? 0, band: u["band"]?.string))
            }
            var groups: [GroupSummary] = []
            for g in try need(item["groups"]?.array, "\(at).groups") {
                groups.append(GroupSummary(
                    group: g["group"]?.string ?? "", count: g["count"]?.int ?? 0, reported: g["reported"]?.int ?? 0,
                    average: g["average"]?.decimal, columnAverages: (g["column_averages"]?.array ?? []).map(\.decimal),
                    topAverage: g["top_average"]?.decimal, bottomAverage: g["bottom_average"]?.decimal, gap: g["gap"]?.decimal,
                    decimals: g["decimals"]?.int ?? 2, columnDecimals: (g["column_decimals"]?.array ?? []).compactMap(\.int),
                    topUnits: (g["top_units"]?.array ?? []).compactMap(\.string), bottomUnits: (g["bottom_units"]?.array ?? []).compactMap(\.string)))
            }
            let framework = item["framework"].flatMap { f -> FrameworkRef? in
                guard let key = f["key"]?.string, let version = f["version"]?.int, let sha = f["sha256"]?.string else { return nil }
                return FrameworkRef(key: key, version: version, sha256: sha)
            }
            levels.append(Level(level: try need(item["level"]?.string, "\(at).level"), source: item["source"]?.string ?? "",
                                framework: framework, inputsSHA256: item["inputs_sha256"]?.string ?? "", options: options,
                                columnWeights: item["column_weights"]?.array?.map { $0.decimal ?? .zero }, unitCodes: codes,
                                results: RankedResults(columnNames: columns, settings: settings, units: units, groups: groups),
                                columnMax: columnMax))
        }
        return PublishedRecord(periodID: period["id"]?.string ?? "", year: try need(period["year"]?.int, "period.year"),
                               title: period["title"]?.string ?? "", publishedAt: root["published_at"]?.string ?? "", levels: levels)
    }
}

// MARK: Checking

extension PublishedRecord {
    /// Recomputes every level from its own inputs (each unit's points,
    /// maximum and columns, and the ranking options) with `dti rank`'s code,
    /// and lists every figure that differs. Empty: the record is right.
    /// With `frameworks` (compiled framework files by key), each level's
    /// columns and weights are also checked against the framework it names.
    public func verify(frameworks: [String: CompiledFramework] = [:]) -> [String] {
        var differences: [String] = []
        for level in levels {
            let r = level.results
            let tag = "[\(level.level)]"
            var table = level.table
            if r.settings.method == .weighted {
                guard let weights = level.columnWeights, weights.count == r.columnNames.count else {
                    differences.append("\(tag) phương pháp weighted cần trọng số của từng chỉ số chính (column_weights)")
                    continue
                }
                let decimals = r.settings.display.decimals ?? 4
                for i in table.rows.indices {
                    let row = table.rows[i]
                    guard row.reported, let maxes = level.columnMax[row.unit], maxes.count == weights.count else { table.rows[i].computedIndex = nil; continue }
                    table.rows[i].computedIndex = ScoringEngine.weightedIndex(points: row.columns.map { $0?.value ?? .zero },
                                                                               applicableMax: maxes, weights: weights, decimals: decimals)
                }
            }
            if let ref = level.framework, let fw = frameworks[ref.key] {
                let nodes = fw.pillars.isEmpty ? fw.mainIndices : fw.pillars
                let names = nodes.map { fw.nodes[$0].name }
                if names != r.columnNames { differences.append("\(tag) các cột \(r.columnNames) khác bộ chỉ số \(ref.key): \(names)") }
                if r.settings.method == .weighted, let weights = level.columnWeights, weights != ScoringEngine.mainIndexWeights(fw) {
                    differences.append("\(tag) trọng số các chỉ số chính khác bộ chỉ số \(ref.key)")
                }
                if fw.framework.method != r.settings.method {
                    differences.append("\(tag) phương pháp \(r.settings.method.rawValue) khác bộ chỉ số \(ref.key) (\(fw.framework.method.rawValue))")
                }
            }
            let again = table.ranked(under: r.settings)
            let published = Dictionary(r.units.map { ($0.row.group + "\u{1F}" + $0.row.unit, $0) }, uniquingKeysWith: { a, _ in a })
            if again.units.count != r.units.count { differences.append("\(tag) số đơn vị: \(r.units.count) trong bản ghi, \(again.units.count) khi tính lại") }
            for u in again.units {
                guard let p = published[u.row.group + "\u{1F}" + u.row.unit] else { continue }
                let name = u.row.unit
                if p.index != u.index { differences.append("\(tag) \(name): chỉ số \(p.index?.description ?? "-") trong bản ghi, tính lại được \(u.index?.description ?? "-")") }
                if p.display != u.display { differences.append("\(tag) \(name): hiển thị \"\(p.display)\" trong bản ghi, tính lại được \"\(u.display)\"") }
                if p.rank != u.rank { differences.append("\(tag) \(name): hạng \(p.rankText) trong bản ghi, tính lại được \(u.rankText)") }
                if p.band != u.band { differences.append("\(tag) \(name): xếp loại \(p.band ?? "-") trong bản ghi, tính lại được \(u.band ?? "-")") }
            }
            let groups = Dictionary(r.groups.map { ($0.group, $0) }, uniquingKeysWith: { a, _ in a })
            for g in again.groups {
                guard let p = groups[g.group] else { differences.append("\(tag) thiếu nhóm \(g.group)"); continue }
                func check(_ what: String, _ a: ScaledDecimal?, _ b: ScaledDecimal?) {
                    if a != b { differences.append("\(tag) \(g.group): \(what) \(a?.description ?? "-") trong bản ghi, tính lại được \(b?.description ?? "-")") }
                }
                check("giá trị trung bình", p.average, g.average)
                check("trung bình nhóm đầu", p.topAverage, g.topAverage)
                check("trung bình nhóm cuối", p.bottomAverage, g.bottomAverage)
                check("chênh lệch", p.gap, g.gap)
                for (c, column) in r.columnNames.enumerated() {
                    check("trung bình \(column)", p.columnAverages.indices.contains(c) ? p.columnAverages[c] : nil,
                          g.columnAverages.indices.contains(c) ? g.columnAverages[c] : nil)
                }
                if p.count != g.count || p.reported != g.reported {
                    differences.append("\(tag) \(g.group): \(p.reported)/\(p.count) báo cáo trong bản ghi, tính lại được \(g.reported)/\(g.count)")
                }
            }
        }
        return differences
    }
}

extension PublishedRecord.Level {
    /// A level from a ranked table: what publication and the legacy import
    /// both call, so every record is computed by `dti rank`'s code.
    public static func ranking(_ table: ResultTable, options: ResultsManifest.Table, level: String, source: String,
                               framework: PublishedRecord.FrameworkRef?, inputsSHA256: String, unitCodes: [String: String],
                               columnWeights: [ScaledDecimal]? = nil, columnMax: [String: [ScaledDecimal]] = [:]) throws(ProblemList) -> PublishedRecord.Level {
        let settings: RankingSettings
        switch options.settings() {
        case .success(let s): settings = s
        case .failure(let list): throw list
        }
        return PublishedRecord.Level(level: level, source: source, framework: framework, inputsSHA256: inputsSHA256, options: options,
                                     columnWeights: columnWeights, unitCodes: unitCodes, results: table.ranked(under: settings), columnMax: columnMax)
    }
}
