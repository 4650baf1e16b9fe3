import DTICore
import Foundation

/// One file of a feed's figures: a row per unit and month (`unit`, `period`
/// as `YYYY-MM`, one column per field), read whole or refused whole with every
/// problem at its place (issue 33).
public struct FeedData: Sendable {
    public struct Row: Sendable, Hashable {
        /// The unit as the file names it (a code or a name), NFC and trimmed.
        public var unit: String
        public var month: FeedMonth
        /// Field key → value; a field left empty has no value this month.
        public var values: [String: ScaledDecimal]
        /// Where the row is ("file:12:1", "file, trang A, dòng 12", "file:$[11]"), for messages.
        public var location: String
    }

    public var rows: [Row]

    /// The months the file covers, earliest first.
    public var months: [FeedMonth] { Array(Set(rows.map(\.month))).sorted() }
    /// The number of values it carries.
    public var valueCount: Int { rows.reduce(0) { $0 + $1.values.count } }
}

public enum FeedDataReader {
    /// The format of a file by its name, else by its first bytes (ZIP → XLSX, `[`/`{` → JSON, else CSV).
    public static func format(fileName: String, bytes: [UInt8]) -> FeedDataFormat {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".xlsx") { return .xlsx }
        if lower.hasSuffix(".json") { return .json }
        if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") || lower.hasSuffix(".txt") { return .csv }
        if bytes.starts(with: [0x50, 0x4B]) { return .xlsx }
        let first = bytes.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }).first
        return first == UInt8(ascii: "[") || first == UInt8(ascii: "{") ? .json : .csv
    }

    /// Reads `bytes` as `feed`'s data. Every problem of the file is thrown together; nothing is half-read.
    public static func read(_ bytes: [UInt8], format: FeedDataFormat, file: String, feed: Feed,
                            limits: WorkbookReader.Limits? = nil) throws(ProblemList) -> FeedData {
        let (data, problems) = readCollecting(bytes, format: format, file: file, feed: feed, limits: limits)
        if !problems.isEmpty { throw ProblemList(problems) }
        return data
    }

    /// The rows that read well and every problem of the others, so that a caller can add its own
    /// checks of those rows (their units) to the list before refusing the file whole.
    public static func readCollecting(_ bytes: [UInt8], format: FeedDataFormat, file: String, feed: Feed,
                                      limits: WorkbookReader.Limits? = nil) -> (data: FeedData, problems: [TableProblem]) {
        let grid: Grid
        do {
            switch format {
            case .csv: grid = try csvGrid(bytes, file: file)
            case .json: grid = try jsonGrid(bytes, file: file)
            case .xlsx: grid = try xlsxGrid(bytes, file: file, limits: limits)
            }
        } catch { return (FeedData(rows: []), error.problems) }
        return rows(grid, feed: feed)
    }

    // MARK: The three formats as one grid

    /// A header and rows of cells, each cell with its place.
    struct Grid {
        var header: [(name: String, location: String)]
        var rows: [(cells: [String?], location: (Int) -> String, row: String)]
        /// Where a missing column is reported.
        var headerLocation: String
    }

    static func csvGrid(_ bytes: [UInt8], file: String) throws(ProblemList) -> Grid {
        let document: CSVDocument
        do { document = try CSVReader.parse(bytes, file: file) } catch { throw ProblemList([error]) }
        let header = document.header.fields.enumerated().map { i, name in
            (name: name, location: "\(file):\(document.header.line):\(document.header.columns[i])")
        }
        var rows: [(cells: [String?], location: (Int) -> String, row: String)] = []
        var problems: [TableProblem] = []
        for record in document.records {
            let columns = record.columns, line = record.line
            let at: (Int) -> String = { i in "\(file):\(line):\(i < columns.count ? columns[i] : 1)" }
            if record.fields.count != header.count {
                problems.append(TableProblem(location: at(0), message: "dòng có \(record.fields.count) cột nhưng tiêu đề có \(header.count)"))
                continue
            }
            rows.append((record.fields.map { $0 }, at, "\(file):\(line):1"))
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        return Grid(header: header, rows: rows, headerLocation: "\(file):\(document.header.line):1")
    }

    /// `[{"unit": "24133", "period": "2026-03", "field": 15.3, …}, …]`, or the same array under `"rows"`.
    static func jsonGrid(_ bytes: [UInt8], file: String) throws(ProblemList) -> Grid {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            let (line, column) = lineAndColumn(bytes, offset: error.offset)
            throw ProblemList([TableProblem(location: "\(file):\(line):\(column)", message: "JSON không hợp lệ: \(error.message)")])
        }
        guard let items = value.array ?? value["rows"]?.array else {
            throw ProblemList([TableProblem(location: "\(file):1:1", message: "cần một mảng JSON các dòng {\"unit\", \"period\", <trường>…} (hoặc mảng đó trong \"rows\")")])
        }
        var names: [String] = []
        var problems: [TableProblem] = []
        var objects: [[(String, JSONValue)]] = []
        for (i, item) in items.enumerated() {
            guard case .object(let pairs) = item else {
                problems.append(TableProblem(location: "\(file):$[\(i)]", message: "mỗi dòng cần là một đối tượng JSON"))
                continue
            }
            for (key, _) in pairs where !names.contains(key) { names.append(key) }
            objects.append(pairs)
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        var rows: [(cells: [String?], location: (Int) -> String, row: String)] = []
        for (i, pairs) in objects.enumerated() {
            var cells = [String?](repeating: nil, count: names.count)
            for (key, v) in pairs {
                let c = names.firstIndex(of: key)!
                switch v {
                case .string(let s): cells[c] = s
                case .null: cells[c] = ""
                default: cells[c] = v.writtenNumber.map { $0.value.description } ?? v.serialized()
                }
            }
            let at: (Int) -> String = { c in "\(file):$[\(i)].\(names[c])" }
            rows.append((cells, at, "\(file):$[\(i)]"))
        }
        return Grid(header: names.map { ($0, "\(file):$[*].\($0)") }, rows: rows, headerLocation: "\(file):$[0]")
    }

    /// The first sheet: row 1 the header.
    static func xlsxGrid(_ bytes: [UInt8], file: String, limits: WorkbookReader.Limits?) throws(ProblemList) -> Grid {
        let reader: WorkbookReader
        do {
            let data = Data(bytes)
            reader = try limits.map { try WorkbookReader(data: data, limits: $0) } ?? WorkbookReader(data: data)
        } catch {
            throw ProblemList([TableProblem(location: file, message: "không đọc được tệp Excel: \(error)")])
        }
        guard let sheet = reader.sheets.first, let first = sheet.rows.first else {
            throw ProblemList([TableProblem(location: file, message: "tệp Excel không có trang nào có dữ liệu")])
        }
        let width = (first.cells.keys.max() ?? -1) + 1
        let place = { (row: Int, column: Int) in "\(file), trang \(sheet.name), ô \(Workbook.columnName(column))\(row)" }
        let header = (0..<width).map { (name: first.cells[$0] ?? "", location: place(first.number, $0)) }
        var rows: [(cells: [String?], location: (Int) -> String, row: String)] = []
        for row in sheet.rows.dropFirst() {
            if row.cells.values.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            let number = row.number
            rows.append(((0..<width).map { row.cells[$0] ?? "" }, { place(number, $0) }, "\(file), trang \(sheet.name), dòng \(number)"))
        }
        return Grid(header: header, rows: rows, headerLocation: place(first.number, 0))
    }

    static func lineAndColumn(_ bytes: [UInt8], offset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for b in bytes.prefix(offset) {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    // MARK: Rows

    static func rows(_ grid: Grid, feed: Feed) -> (data: FeedData, problems: [TableProblem]) {
        var problems: [TableProblem] = []
        var unitColumn: Int?, periodColumn: Int?
        var fieldColumns: [(column: Int, field: FeedField)] = []
        for (i, h) in grid.header.enumerated() {
            let name = h.name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            if name == "unit" { unitColumn = i } else if name == "period" { periodColumn = i } else if let field = feed.field(name) {
                if fieldColumns.contains(where: { $0.field.key == field.key }) {
                    problems.append(TableProblem(location: h.location, message: "cột \"\(name)\" lặp lại"))
                } else { fieldColumns.append((i, field)) }
            } else if name.isEmpty {
                continue
            } else {
                problems.append(TableProblem(location: h.location, message: "cột \"\(h.name)\" không phải trường của nguồn \(feed.key) (có: unit, period, \(feed.fields.map(\.key).joined(separator: ", ")))"))
            }
        }
        let missing = [("unit", unitColumn), ("period", periodColumn)].filter { $0.1 == nil }.map { "\"\($0.0)\"" }
        if !missing.isEmpty {
            problems.append(TableProblem(location: grid.headerLocation, message: "thiếu cột bắt buộc \(missing.joined(separator: ", "))"))
        }
        if fieldColumns.isEmpty {
            problems.append(TableProblem(location: grid.headerLocation, message: "không có cột nào là trường của nguồn \(feed.key) (\(feed.fields.map(\.key).joined(separator: ", ")))"))
        }
        guard problems.isEmpty, let unitColumn, let periodColumn else { return (FeedData(rows: []), problems) }
        if grid.rows.isEmpty {
            return (FeedData(rows: []), [TableProblem(location: grid.headerLocation, message: "tệp không có dòng số liệu nào")])
        }
        var out: [FeedData.Row] = []
        var seen: [String: String] = [:]
        for row in grid.rows {
            let unit = VietnameseText.normalized((row.cells[unitColumn] ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
            if unit.isEmpty { problems.append(TableProblem(location: row.location(unitColumn), message: "cột \"unit\": thiếu đơn vị")) }
            let periodText = (row.cells[periodColumn] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let month = FeedMonth(periodText)
            if month == nil {
                problems.append(TableProblem(location: row.location(periodColumn), message: "cột \"period\": \"\(periodText.excerpt())\" không phải tháng dạng YYYY-MM (ví dụ 2026-03)"))
            } else if !feed.granularity.accepts(month!) {
                problems.append(TableProblem(location: row.location(periodColumn), message: "cột \"period\": nguồn \(feed.key) có số liệu \(feed.granularity.label), không có tháng \(month!.label)"))
            }
            var values: [String: ScaledDecimal] = [:]
            for (column, field) in fieldColumns {
                let text = (row.cells[column] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty { continue }
                switch WrittenNumber.parse(text) {
                case .success(let n):
                    if let refusal = field.refusal(n.value) {
                        problems.append(TableProblem(location: row.location(column), message: "cột \"\(field.key)\": \(refusal)"))
                    } else { values[field.key] = n.value }
                case .failure(let e):
                    problems.append(TableProblem(location: row.location(column), message: "cột \"\(field.key)\": \(e.message(for: text))"))
                }
            }
            // A row with a bad value is still returned when its unit and month read: its unit is checked too.
            guard let month, !unit.isEmpty else { continue }
            let key = VietnameseText.searchKey(unit) + "\u{1}" + month.description
            if let first = seen[key] {
                problems.append(TableProblem(location: row.location(unitColumn), message: "đơn vị \"\(unit)\", tháng \(month.label) đã có ở \(first)"))
                continue
            }
            seen[key] = row.row
            out.append(FeedData.Row(unit: unit, month: month, values: values, location: row.row))
        }
        return (FeedData(rows: out), problems)
    }
}

extension AssessmentInput {
    /// Fills every criterion bound to a feed from that feed's data (issue 33): for each
    /// unit, the binding's months of `year` known as of `asOf` combined into one value,
    /// read by the criterion's rule like any answer. A responses file that also answers
    /// a bound criterion, a feed row naming no unit of the units file, or a bound
    /// feed without data are errors, each named.
    public mutating func fill(from feeds: [(feed: Feed, data: FeedData)], framework: CompiledFramework,
                              year: Int, asOf: FeedMonth?) throws(ProblemList) {
        var problems: [TableProblem] = []
        var byKey: [String: Int] = [:]
        var byCode: [String: Int] = [:]
        for (i, unit) in units.enumerated() {
            byKey[VietnameseText.searchKey(unit.id)] = i
            if let code = codes[unit.id] { byCode[code] = i }
        }
        // Feed key → unit position → field → month → value.
        var known: [String: [Int: [String: [FeedMonth: ScaledDecimal]]]] = [:]
        for (feed, data) in feeds {
            var table: [Int: [String: [FeedMonth: ScaledDecimal]]] = [:]
            for row in data.rows {
                let found = feed.identification == .code ? byCode[row.unit] ?? byKey[VietnameseText.searchKey(row.unit)] : byKey[VietnameseText.searchKey(row.unit)]
                guard let unit = found else {
                    problems.append(TableProblem(location: row.location, message: "đơn vị \"\(row.unit.excerpt())\" của nguồn \(feed.key) không có trong tệp danh sách đơn vị"))
                    continue
                }
                for (field, value) in row.values { table[unit, default: [:]][field, default: [:]][row.month] = value }
            }
            known[feed.key] = table
        }
        for leaf in 0..<framework.leaves.count {
            let node = framework.nodes[framework.leaves[leaf]]
            guard let binding = node.feed else { continue }
            guard let table = known[binding.feed] else {
                problems.append(TableProblem(location: "--feed-data", message: "tiêu chí \(node.code) lấy từ nguồn \"\(binding.feed)\" nhưng không có tệp số liệu của nguồn này"))
                continue
            }
            for (u, unit) in units.enumerated() {
                if answers[u]?.inputs[leaf] != nil {
                    let at = answerLocation(unit: unit.id, criterion: node.code, in: framework) ?? responsesFile
                    problems.append(TableProblem(location: at, message: "đơn vị \"\(unit.name)\", tiêu chí \(node.code): tiêu chí này lấy tự động từ nguồn \(binding.feed), không nhập trong tệp số liệu"))
                    continue
                }
                guard let months = table[u]?[binding.field], let (value, _) = binding.value(of: months, year: year, asOf: asOf) else { continue }
                switch FeedBinding.answer(value, rule: framework.leafRule(leaf)) {
                case .success(let typed):
                    if answers[u] == nil { answers[u] = UnitResponses(leafCount: framework.leaves.count) }
                    answers[u]!.inputs[leaf] = typed.input
                case .failure(let failure):
                    problems.append(TableProblem(location: binding.feed, message: "đơn vị \"\(unit.name)\", tiêu chí \(node.code): \(failure.message)"))
                }
            }
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        for (u, unit) in units.enumerated() { responses[unit.id] = answers[u] }
    }
}
