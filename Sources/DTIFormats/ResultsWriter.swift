import Foundation
import DTICore

/// Output formats of `dti rank` and `dti score`.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, csv, json, markdown
}

/// Writes ranked results as a table like the published decisions, CSV, JSON
/// or Markdown. Every figure comes from `RankedResults`: nothing is recomputed here.
public struct ResultsWriter: Sendable {
    public let results: RankedResults
    /// Decided once: asked for every row, a scan here made output quadratic.
    let hasMax: Bool
    /// Positions in `results.units` of each group's units: positions, not
    /// copies of the units (the live ranking builds a writer per changed score).
    let positionsByGroup: [String: [Int]]
    let summaryByGroup: [String: GroupSummary]

    public init(_ results: RankedResults) {
        self.results = results
        hasMax = results.units.contains { $0.row.maxPoints != nil } || results.settings.defaultMax != nil && results.settings.method != .raw
        var positions: [String: [Int]] = [:]
        // Units come grouped: a group's name is hashed once per run of its units, not once per unit.
        var runStart = 0
        for i in results.units.indices where i + 1 == results.units.count || results.units[i + 1].row.group != results.units[i].row.group {
            positions[results.units[i].row.group, default: []] += runStart...i
            runStart = i + 1
        }
        positionsByGroup = positions
        summaryByGroup = Dictionary(results.groups.map { ($0.group, $0) }, uniquingKeysWith: { a, _ in a })
    }

    var settings: RankingSettings { results.settings }
    var separator: Character { settings.display.separator }
    var hasBands: Bool { !settings.bands.isEmpty }

    func text(_ value: ScaledDecimal?, _ decimals: Int) -> String {
        value?.formatted(decimals: decimals, separator: separator, trimZeros: settings.display.trimZeros) ?? "-"
    }

    func written(_ value: WrittenNumber?) -> String {
        guard let value else { return "-" }
        return value.value.formatted(decimals: settings.display.decimals.map { min($0, 6) } ?? value.decimals, separator: separator)
    }

    public var indexHeader: String {
        switch settings.method {
        case .raw: return "Tổng điểm"
        case .fraction, .weighted: return "Chỉ số CĐS"
        case .percent: return "Chỉ số CĐS (%)"
        }
    }

    /// A group's units in display order (the rows of `grid`).
    public func units(in group: String) -> [RankedUnit] { (positionsByGroup[group] ?? []).map { results.units[$0] } }

    /// A group's average index as the tables print it.
    public func averageText(_ g: GroupSummary) -> String { text(g.average, g.decimals) }

    /// Header and cells of one group, in display order.
    public func grid(_ group: String) -> (header: [String], rows: [[String]], summary: [[String]]) {
        var header = ["TT", "Đơn vị"]
        header += results.columnNames
        if hasMax { header += ["Tổng điểm tối đa", "Tổng điểm đạt được"] }
        header.append(indexHeader)
        header.append("Xếp hạng")
        if hasBands { header.append("Xếp loại") }
        var rows: [[String]] = []
        for (i, unit) in units(in: group).enumerated() {
            var cells = [String(i + 1), unit.row.unit]
            cells += unit.row.columns.map(written)
            if hasMax {
                cells.append(unit.maxPoints.map { $0.formatted(decimals: $0.significantDecimals, separator: separator) } ?? "-")
                cells.append(written(unit.row.points))
            }
            cells.append(unit.display)
            cells.append(unit.rankText)
            if hasBands { cells.append(unit.band ?? "-") }
            rows.append(cells)
        }
        var summary: [[String]] = []
        if let g = summaryByGroup[group] {
            var avg = ["", "Giá trị trung bình"]
            avg += zip(g.columnAverages, g.columnDecimals).map { text($0, $1) }
            if hasMax { avg += ["", ""] }
            avg.append(text(g.average, g.decimals))
            summary.append(avg)
        }
        return (header, rows, summary)
    }

    /// The group's statistics as Vietnamese sentences.
    public func notes(_ g: GroupSummary) -> [String] {
        var lines = ["Số đơn vị báo cáo: \(g.reported)/\(g.count)."]
        let rule = settings.averageOver == .all ? "tính cả đơn vị không báo cáo là 0" : "chỉ tính đơn vị có báo cáo"
        lines.append("Giá trị trung bình: \(text(g.average, g.decimals)) (\(rule)).")
        if let top = g.topAverage, let bottom = g.bottomAverage, let gap = g.gap, g.reported / 2 >= settings.topK {
            lines.append("Trung bình \(settings.topK) đơn vị đứng đầu (\(g.topUnits.joined(separator: ", "))): \(text(top, g.decimals)); \(settings.topK) đơn vị cuối (\(g.bottomUnits.joined(separator: ", "))): \(text(bottom, g.decimals)); chênh lệch \(text(gap, g.decimals)).")
        }
        return lines
    }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .table: return table()
        case .csv: return csv()
        case .json: return json().serialized() + "\n"
        case .markdown: return markdown()
        }
    }

    public func table() -> String {
        var out = ""
        for (n, g) in results.groups.enumerated() {
            out += "\(n + 1). \(g.group)\n\n"
            let (header, rows, summary) = grid(g.group)
            out += Self.aligned([header] + rows + summary, numericFrom: 2)
            out += "\n" + notes(g).joined(separator: "\n") + "\n"
            if n + 1 < results.groups.count { out += "\n" }
        }
        return out
    }

    public func markdown() -> String {
        var out = ""
        for g in results.groups {
            out += "## \(g.group)\n\n"
            let (header, rows, summary) = grid(g.group)
            out += "| " + header.joined(separator: " | ") + " |\n"
            out += "|" + header.indices.map { $0 < 2 ? "---|" : "---:|" }.joined() + "\n"
            for r in rows + summary { out += "| " + r.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
            out += "\n" + notes(g).map { "- " + $0 }.joined(separator: "\n") + "\n\n"
        }
        return out
    }

    public func csv() -> String {
        var lines = [(["group", "unit", "points", "max_points"] + results.columnNames + ["index", "display", "rank", "band", "reported"]).map(Self.csvField).joined(separator: ",")]
        for u in results.units {
            var cells = [u.row.group, u.row.unit, u.row.points.map { $0.value.description } ?? "", u.maxPoints?.description ?? ""]
            cells += u.row.columns.map { $0?.value.description ?? "" }
            cells += [u.index?.description ?? "", u.display, u.rankText, u.band ?? "", u.row.reported ? "true" : "false"]
            lines.append(cells.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public func json() -> JSONValue {
        .object([
            ("method", .string(settings.method.rawValue)),
            ("average_over", .string(settings.averageOver.rawValue)),
            ("units", .array(results.units.map(unitJSON))),
            ("groups", .array(results.groups.map(groupJSON))),
        ])
    }

    /// Each unit's text in `json()` as last written, to write again only those that changed.
    public struct WrittenUnits: Sendable {
        var columnNames: [String] = []
        var units: [RankedUnit] = []
        var texts: [String] = []
        public init() {}
    }

    /// The same text as `.object(leading + pairs of json()).serialized(indent:)`,
    /// appended to `out`. A unit whose position and every shown field are those
    /// of `earlier` keeps its text from then (after one changed score, only its
    /// group's ranks move); the texts written are returned for the next time.
    public func writeJSON(into out: inout String, indent: Int, leading: [(String, JSONValue)], earlier: WrittenUnits) -> WrittenUnits {
        func pad(_ n: Int) { for _ in 0..<n { out += "  " } }
        out += "{\n"
        for (key, value) in leading + [("method", .string(settings.method.rawValue)), ("average_over", .string(settings.averageOver.rawValue))] {
            pad(indent + 1)
            JSONValue.quote(key, into: &out)
            out += ": "
            value.write(into: &out, indent: indent + 1)
            out += ",\n"
        }
        pad(indent + 1)
        out += "\"units\": "
        var written = WrittenUnits()
        written.units = results.units
        written.columnNames = results.columnNames
        written.texts.reserveCapacity(results.units.count)
        if results.units.isEmpty {
            out += "[]"
        } else {
            out += "[\n"
            let sameColumns = earlier.columnNames == results.columnNames
            for (n, u) in results.units.enumerated() {
                if n > 0 { out += ",\n" }
                pad(indent + 2)
                let text: String
                if sameColumns, n < earlier.units.count, earlier.units[n].showsSame(as: u) {
                    text = earlier.texts[n]
                } else {
                    var fresh = ""
                    unitJSON(u).write(into: &fresh, indent: indent + 2)
                    text = fresh
                }
                out += text
                written.texts.append(text)
            }
            out += "\n"
            pad(indent + 1)
            out += "]"
        }
        out += ",\n"
        pad(indent + 1)
        out += "\"groups\": "
        JSONValue.array(results.groups.map(groupJSON)).write(into: &out, indent: indent + 1)
        out += "\n"
        pad(indent)
        out += "}"
        return written
    }

    func unitJSON(_ u: RankedUnit) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("group", .string(u.row.group)),
            ("unit", .string(u.row.unit)),
            ("points", .number(u.row.points?.value)),
            ("max_points", .number(u.maxPoints)),
            ("index", .number(u.index)),
            ("display", .string(u.display)),
            ("rank", u.rank > 0 ? .int(u.rank) : .null),
            ("band", .string(u.band)),
            ("reported", .bool(u.row.reported)),
        ]
        for (name, value) in zip(results.columnNames, u.row.columns) { pairs.append((name, .number(value?.value))) }
        return .object(pairs)
    }

    func groupJSON(_ g: GroupSummary) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("group", .string(g.group)),
            ("count", .int(g.count)),
            ("reported", .int(g.reported)),
            ("average", .number(g.average)),
        ]
        for (name, value) in zip(results.columnNames, g.columnAverages) { pairs.append((name, .number(value))) }
        pairs += [
            ("top3_average", .number(g.topAverage)),
            ("bottom3_average", .number(g.bottomAverage)),
            ("gap", .number(g.gap)),
            ("top_units", .array(g.topUnits.map { .string($0) })),
            ("bottom_units", .array(g.bottomUnits.map { .string($0) })),
        ]
        return .object(pairs)
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    /// Text that a spreadsheet would run as a formula (=, +, -, @, tab or
    /// carriage return first) is kept as text with a leading apostrophe;
    /// numbers and the "-" of a missing figure stay as they are.
    public static func csvField(_ raw: String) -> String {
        let s = neutralised(raw)
        return s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Text a spreadsheet would take for a formula: it begins with =, +, -,
    /// @, a tab or a carriage return, and is neither a signed number nor the
    /// "-" of a missing figure.
    public static func isFormulaLike(_ text: String) -> Bool {
        guard let first = text.utf8.first, [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D].contains(first), text != "-" else { return false }
        if first == 0x2D || first == 0x2B, case .success = WrittenNumber.parse(text.dropFirst()) { return false }
        return true
    }

    /// `text` made safe to open in a spreadsheet (CSV injection): a leading apostrophe.
    public static func neutralised(_ text: String) -> String { isFormulaLike(text) ? "'" + text : text }

    /// Columns padded to their widest cell; columns from `numericFrom` on are
    /// right-aligned, as numbers are in the published tables.
    static func aligned(_ rows: [[String]], numericFrom: Int) -> String {
        let width = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: width)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i >= numericFrom || i == 0 ? pad + c : c + pad
            }.joined(separator: "  ").trimmingTrailingSpaces
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// Without trailing spaces (the last column of a left-aligned table).
    var trimmingTrailingSpaces: String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[..<end])
    }
}

extension RankedUnit {
    /// Whether `unitJSON` writes the same text for both.
    func showsSame(as other: RankedUnit) -> Bool {
        rank == other.rank && display == other.display && index == other.index && band == other.band && maxPoints == other.maxPoints
            && row.unit == other.row.unit && row.group == other.row.group && row.points == other.row.points && row.columns == other.row.columns
    }
}
