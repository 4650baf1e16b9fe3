import DTICore
import Foundation

/// A workbook to write as an Excel file (SpreadsheetML in a ZIP archive):
/// numbers stay numbers with their display format, text is inline, the
/// header row is bold and frozen.
public struct Workbook: Sendable {
    public enum Cell: Sendable, Equatable {
        case empty
        case text(String)
        /// A number shown with `decimals` places (its exact value is kept).
        case number(ScaledDecimal, decimals: Int)
        case integer(Int)
    }

    public struct Sheet: Sendable {
        public var name: String
        public var rows: [[Cell]]
        /// Column widths in characters; missing columns get Excel's default.
        public var widths: [Double]
        /// Zero-based columns to hide.
        public var hiddenColumns: Set<Int>
        /// Rows (zero-based) written in bold, besides the header.
        public var boldRows: Set<Int>
        public var hidden: Bool

        public init(name: String, rows: [[Cell]], widths: [Double] = [], hiddenColumns: Set<Int> = [], boldRows: Set<Int> = [], hidden: Bool = false) {
            self.name = name
            self.rows = rows
            self.widths = widths
            self.hiddenColumns = hiddenColumns
            self.boldRows = boldRows
            self.hidden = hidden
        }
    }

    public var sheets: [Sheet]

    public init(sheets: [Sheet]) { self.sheets = sheets }

    /// "A", "B", … "Z", "AA" for a zero-based column.
    public static func columnName(_ index: Int) -> String {
        var n = index + 1
        var name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }

    /// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
    public static func sheetName(_ s: String) -> String {
        let cleaned = String(s.map { "[]:*?/\\".contains($0) ? "-" : $0 })
        return String(cleaned.prefix(31))
    }

    // Styles: 0 normal, 1 bold, 2 wrapped text; then for each decimals d in 0…6:
    // 3 + 2d normal number, 4 + 2d bold number.
    static func numberStyle(decimals: Int, bold: Bool) -> Int { 3 + 2 * min(max(decimals, 0), 6) + (bold ? 1 : 0) }

    public func data() -> Data {
        var entries: [(path: String, data: Data)] = []
        func add(_ path: String, _ xml: String) { entries.append((path, Data(xml.utf8))) }
        let header = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        var types = header + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
        types += #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>"#
        types += #"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
        types += #"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
        for i in sheets.indices {
            types += #"<Override PartName="/xl/worksheets/sheet\#(i + 1).xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        }
        types += "</Types>"
        add("[Content_Types].xml", types)
        add("_rels/.rels", header + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="\#(rel)/officeDocument" Target="xl/workbook.xml"/></Relationships>"#)
        // Excel refuses two sheets of the same name: later ones get " (2)", " (3)".
        var names: [String] = []
        for sheet in sheets {
            let base = Self.sheetName(sheet.name)
            var name = base, n = 2
            while names.contains(where: { $0.lowercased() == name.lowercased() }) { name = String(base.prefix(26)) + " (\(n))"; n += 1 }
            names.append(name)
        }
        var workbook = header + #"<workbook xmlns="\#(main)" xmlns:r="\#(rel)"><sheets>"#
        var rels = header + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        for (i, sheet) in sheets.enumerated() {
            workbook += #"<sheet name="\#(XMLScan.escape(names[i]))" sheetId="\#(i + 1)"\#(sheet.hidden ? #" state="hidden""# : "") r:id="rId\#(i + 1)"/>"#
            rels += #"<Relationship Id="rId\#(i + 1)" Type="\#(rel)/worksheet" Target="worksheets/sheet\#(i + 1).xml"/>"#
        }
        workbook += "</sheets></workbook>"
        rels += #"<Relationship Id="rId\#(sheets.count + 1)" Type="\#(rel)/styles" Target="styles.xml"/></Relationships>"#
        add("xl/workbook.xml", workbook)
        add("xl/_rels/workbook.xml.rels", rels)
        add("xl/styles.xml", header + styles(main))
        for (i, sheet) in sheets.enumerated() { add("xl/worksheets/sheet\(i + 1).xml", header + xml(sheet, main)) }
        return Zip.archive(entries)
    }

    static let formulaLikeStyle = 17

    func styles(_ main: String) -> String {
        var formats = ""
        var xfs = #"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>"#
        xfs += #"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf>"#
        for d in 0...6 {
            let id = d == 0 ? 1 : 163 + d
            if d > 0 { formats += #"<numFmt numFmtId="\#(id)" formatCode="0.\#(String(repeating: "0", count: d))"/>"# }
            xfs += #"<xf numFmtId="\#(id)" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#
            xfs += #"<xf numFmtId="\#(id)" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>"#
        }
        // 17: text that looks like a formula, kept as text (format "@", quote prefix) even when the cell is edited.
        xfs += #"<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>"#
        return #"<styleSheet xmlns="\#(main)"><numFmts count="6">\#(formats)</numFmts>"#
            + #"<fonts count="2"><font><sz val="12"/><name val="Times New Roman"/></font><font><b/><sz val="12"/><name val="Times New Roman"/></font></fonts>"#
            + #"<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>"#
            + #"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#
            + #"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#
            + #"<cellXfs count="18">\#(xfs)</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#
    }

    func xml(_ sheet: Sheet, _ main: String) -> String {
        var out = #"<worksheet xmlns="\#(main)"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
        let columns = max(sheet.widths.count, (sheet.hiddenColumns.max() ?? -1) + 1)
        if columns > 0 {
            out += "<cols>"
            for c in 0..<columns {
                let width = c < sheet.widths.count ? sheet.widths[c] : 10
                out += #"<col min="\#(c + 1)" max="\#(c + 1)" width="\#(width)" customWidth="1"\#(sheet.hiddenColumns.contains(c) ? #" hidden="1""# : "")/>"#
            }
            out += "</cols>"
        }
        out += "<sheetData>"
        for (r, row) in sheet.rows.enumerated() {
            let bold = r == 0 || sheet.boldRows.contains(r)
            out += #"<row r="\#(r + 1)">"#
            for (c, cell) in row.enumerated() {
                let ref = Self.columnName(c) + String(r + 1)
                switch cell {
                case .empty: continue
                case .text(let s):
                    let style = ResultsWriter.isFormulaLike(s) ? Self.formulaLikeStyle : bold ? 1 : (s.count > 40 ? 2 : 0)
                    out += #"<c r="\#(ref)" t="inlineStr"\#(style == 0 ? "" : #" s="\#(style)""#)><is><t xml:space="preserve">\#(XMLScan.escape(s))</t></is></c>"#
                case .number(let v, let decimals):
                    out += #"<c r="\#(ref)" s="\#(Self.numberStyle(decimals: decimals, bold: bold))"><v>\#(v.formatted(decimals: 6, separator: ".", trimZeros: true))</v></c>"#
                case .integer(let v):
                    out += #"<c r="\#(ref)" s="\#(Self.numberStyle(decimals: 0, bold: bold))"><v>\#(v)</v></c>"#
                }
            }
            out += "</row>"
        }
        return out + "</sheetData></worksheet>"
    }
}

/// An Excel file read back: each sheet as rows of cell texts, as the user
/// typed them (numbers in their shortest exact decimal form).
///
/// Reading is bounded by the size of what was sent (`Limits`, issue 31):
/// what the archive expands to, each cell's length (Excel's own 32,767
/// characters), the number of cells and the text they add up to (a shared
/// string counts once for every cell that names it), each row number once;
/// a reading that goes on past its deadline or is told to stop ends with a
/// `Problem`. So a 12 KB file cannot become minutes of work or a gigabyte.
public struct WorkbookReader: Sendable {
    public struct Sheet: Sendable {
        public var name: String
        /// Row number (1-based, as Excel shows it) → cells by zero-based column.
        public let rows: [(number: Int, cells: [Int: String])]
        /// The cells Excel stored as numbers (their text is in machine form,
        /// "1200.5"), as opposed to text typed by the user ("1.200,5").
        public var numericCells: Set<CellAddress> = []
        /// Row number → its place in `rows` (each number appears once).
        private let index: [Int: Int]

        public init(name: String, rows: [(number: Int, cells: [Int: String])], numericCells: Set<CellAddress> = []) {
            self.name = name
            self.rows = rows
            self.numericCells = numericCells
            self.index = Dictionary(rows.enumerated().map { ($1.number, $0) }, uniquingKeysWith: { first, _ in first })
        }

        public func cell(row: Int, column: Int) -> String { index[row].flatMap { rows[$0].cells[column] } ?? "" }

        public func isNumeric(row: Int, column: Int) -> Bool { numericCells.contains(CellAddress(row: row, column: column)) }
    }

    public struct CellAddress: Hashable, Sendable {
        public var row: Int
        public var column: Int
    }

    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
    }

    /// How much work a file may cause, set from its size.
    public struct Limits: Sendable {
        /// Bytes the archive's parts may expand to, all together.
        public var expandedBytes: Int
        /// Characters in one cell: Excel's own limit.
        public var cellCharacters: Int = 32_767
        /// Cells with something in them, in all sheets.
        public var cells: Int
        /// UTF-8 bytes of all cells' text together (a shared string once per cell naming it).
        public var textBytes: Int
        /// When reading must have ended.
        public var deadline: ContinuousClock.Instant?
        /// Asked now and then: true ends the reading (the request was cancelled, the server stops).
        public var shouldStop: @Sendable () -> Bool = { false }

        public init(expandedBytes: Int, cells: Int, textBytes: Int, deadline: ContinuousClock.Instant? = nil, shouldStop: @escaping @Sendable () -> Bool = { false }) {
            self.expandedBytes = expandedBytes
            self.cells = cells
            self.textBytes = textBytes
            self.deadline = deadline
            self.shouldStop = shouldStop
        }

        /// For a file of `size` bytes: up to `ratio` times its size once
        /// expanded and as text (at least `floor`, at most `ceiling`), and a
        /// cell per 16 bytes expanded (the shortest cell with a value is 15). Office files expand 5–20 times; our own
        /// templates about 10.
        public static func forFile(size: Int, ratio: Int = 100, floor: Int = 4 << 20, ceiling: Int = 64 << 20,
                                   seconds: Double? = nil) -> Limits {
            let expanded = min(ceiling, max(floor, size.multipliedReportingOverflow(by: ratio).overflow ? ceiling : size * ratio))
            return Limits(expandedBytes: expanded, cells: min(1_000_000, expanded / 16), textBytes: expanded,
                          deadline: seconds.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) })
        }
    }

    public let sheets: [Sheet]

    /// Reads with limits set from the file's own size, and no deadline.
    public init(data: Data) throws {
        try self.init(data: data, limits: .forFile(size: data.count))
    }

    public init(data: Data, limits: Limits) throws {
        var budget = Budget(limits: limits)
        let files: [String: Data]
        do { files = try Zip.entries(of: data, maxTotal: limits.expandedBytes, shouldStop: { budget.stopReason(at: ContinuousClock.now) != nil }) } catch let problem as Zip.Problem {
            if let reason = budget.stopReason(at: .now) { throw Problem(message: reason) }
            throw Problem(message: "Không đọc được tệp Excel: \(problem.message).")
        }
        func scan(_ path: String, _ visit: (XMLScan.Event) throws -> Void) throws {
            guard let data = files[path] else { throw Problem(message: "Tệp Excel thiếu phần \(path); hãy lưu lại dưới dạng .xlsx.") }
            do {
                try XMLScan.scan([UInt8](data)) { event in
                    try budget.tick()
                    try visit(event)
                }
            } catch let problem as Problem {
                throw problem
            } catch {
                throw Problem(message: "Tệp Excel hỏng ở phần \(path): \(error).")
            }
        }
        var targets: [String: String] = [:]
        try scan("xl/_rels/workbook.xml.rels") { event in
            if case .start("Relationship", let a, _) = event, let id = a["Id"], var target = a["Target"] {
                if target.hasPrefix("/") { target.removeFirst() } else { target = "xl/" + target }
                targets[id] = target
            }
        }
        var shared: [String] = []
        if files["xl/sharedStrings.xml"] != nil {
            var current = "", inText = false, inPhonetic = false
            try scan("xl/sharedStrings.xml") { event in
                switch event {
                case .start("si", _, _): current = ""
                case .end("si"):
                    try budget.checkLength(current, place: "Chuỗi dùng chung thứ \(shared.count + 1)")
                    shared.append(current)
                case .start("rPh", _, let closed): inPhonetic = !closed
                case .end("rPh"): inPhonetic = false
                case .start("t", _, let closed): inText = !closed
                case .end("t"): inText = false
                case .text(let t) where inText && !inPhonetic:
                    current += t
                    try budget.checkLength(current, place: "Chuỗi dùng chung thứ \(shared.count + 1)")
                default: break
                }
            }
        }
        var listed: [(name: String, path: String)] = []
        try scan("xl/workbook.xml") { event in
            if case .start("sheet", let a, _) = event, let name = a["name"], let id = a["r:id"], let path = targets[id] { listed.append((name, path)) }
        }
        var sheets: [Sheet] = []
        for (name, path) in listed {
            var numeric: Set<CellAddress> = []
            var reading = SheetReading(sheet: name, shared: shared)
            try scan(path) { try reading.take($0, numeric: &numeric, budget: &budget) }
            sheets.append(Sheet(name: name, rows: reading.rows, numericCells: numeric))
        }
        self.sheets = sheets
    }

    public func sheet(named name: String) -> Sheet? { sheets.first { $0.name == name } }

    /// What a reading has spent of its limits.
    struct Budget {
        let limits: Limits
        var cells = 0, textBytes = 0, events = 0

        /// Why the reading must end now, if it must.
        func stopReason(at now: ContinuousClock.Instant) -> String? {
            if let deadline = limits.deadline, now > deadline { return "Tệp Excel cần quá nhiều thời gian để đọc; hãy bỏ bớt các dòng, ô hoặc trang không cần thiết rồi tải lên lại." }
            if limits.shouldStop() { return "Việc đọc tệp Excel đã dừng (yêu cầu bị hủy hoặc máy chủ đang dừng)." }
            return nil
        }

        /// Counts an event; every 4,096 asks whether to stop.
        mutating func tick() throws {
            events &+= 1
            if events & 4095 == 0, let reason = stopReason(at: .now) { throw Problem(message: reason) }
        }

        func checkLength(_ text: String, place: String) throws {
            // UTF-8 bytes bound characters from above: only count characters when the bytes are over.
            guard text.utf8.count > limits.cellCharacters, text.count > limits.cellCharacters else { return }
            throw Problem(message: "\(place) dài hơn \(NumberText.grouped(limits.cellCharacters)) ký tự, giới hạn một ô của Excel; hãy rút gọn nội dung ô đó.")
        }

        mutating func addCell(_ text: String, sheet: String, at reference: String) throws {
            cells += 1
            textBytes += text.utf8.count
            if cells > limits.cells {
                throw Problem(message: "Trang \"\(sheet.excerpt())\" (ô \(reference)): tệp có quá \(NumberText.grouped(limits.cells)) ô có nội dung so với kích thước của tệp; hãy bỏ các ô, dòng, trang không cần thiết.")
            }
            if textBytes > limits.textBytes {
                throw Problem(message: "Trang \"\(sheet.excerpt())\" (ô \(reference)): nội dung các ô cộng lại quá \(NumberText.grouped(limits.textBytes >> 10)) KB so với kích thước của tệp (một chuỗi dùng chung được lặp lại ở quá nhiều ô); hãy bỏ các ô không cần thiết.")
            }
        }
    }

    /// One worksheet's events turned into rows as they arrive.
    struct SheetReading {
        let sheet: String
        let shared: [String]
        var rows: [(number: Int, cells: [Int: String])] = []
        var seenRows: Set<Int> = []
        var cells: [Int: String] = [:]
        var rowNumber = 0, column = 0, type = "n", value = "", inValue = false, inInline = false

        init(sheet: String, shared: [String]) {
            self.sheet = sheet
            self.shared = shared
        }

        mutating func closeRow() throws {
            guard seenRows.insert(rowNumber).inserted else {
                throw Problem(message: "Trang \"\(sheet.excerpt())\": dòng \(rowNumber) xuất hiện hai lần; tệp không do Excel lưu hoặc đã hỏng, hãy lưu lại bằng Excel.")
            }
            rows.append((rowNumber, cells))
        }

        mutating func take(_ event: XMLScan.Event, numeric: inout Set<CellAddress>, budget: inout Budget) throws {
            switch event {
            case .start("row", let a, let closed):
                if let r = a["r"] {
                    guard let n = Int(r), (1...WorkbookReader.maxRows).contains(n) else {
                        throw Problem(message: "Số dòng \"\(r.excerpt())\" không hợp lệ (Excel có tối đa \(WorkbookReader.maxRows) dòng).")
                    }
                    rowNumber = n
                } else {
                    guard rowNumber < WorkbookReader.maxRows else { throw Problem(message: "Trang tính có quá \(WorkbookReader.maxRows) dòng.") }
                    rowNumber += 1
                }
                cells = [:]
                column = -1
                if closed { try closeRow() }
            case .end("row"): try closeRow()
            case .start("c", let a, _):
                if let r = a["r"] {
                    guard let c = WorkbookReader.column(of: r) else {
                        throw Problem(message: "Dòng \(rowNumber): địa chỉ ô \"\(r.excerpt())\" không hợp lệ (cột Excel từ A đến XFD).")
                    }
                    column = c
                } else {
                    guard column + 1 < WorkbookReader.maxColumns else { throw Problem(message: "Dòng \(rowNumber) có quá \(WorkbookReader.maxColumns) cột.") }
                    column += 1
                }
                type = a["t"] ?? "n"
                value = ""
            case .end("c"):
                let text: String
                switch type {
                case "s":
                    guard let i = Int(value), shared.indices.contains(i) else { throw Problem(message: "Ô \(Workbook.columnName(column))\(rowNumber) trỏ tới chuỗi không có.") }
                    text = shared[i]
                case "b": text = value == "1" ? "TRUE" : "FALSE"
                case "n":
                    text = WorkbookReader.number(value)
                    if !text.isEmpty { numeric.insert(CellAddress(row: rowNumber, column: column)) }
                default: text = value
                }
                if !text.isEmpty {
                    try budget.addCell(text, sheet: sheet, at: "\(Workbook.columnName(column))\(rowNumber)")
                    cells[column] = text
                }
            case .start("v", _, let closed): inValue = !closed
            case .end("v"): inValue = false
            case .start("is", _, _): inInline = true
            case .end("is"): inInline = false
            case .start("t", _, _) where inInline: inValue = true
            case .end("t") where inInline: inValue = false
            case .text(let t) where inValue:
                value += t
                try budget.checkLength(value, place: "Ô \(Workbook.columnName(max(column, 0)))\(rowNumber) của trang \"\(sheet.excerpt())\"")
            default: break
            }
        }
    }

    /// Excel's limits: 1,048,576 rows and 16,384 columns (A…XFD).
    static let maxRows = 1_048_576, maxColumns = 16_384

    /// "AB12" → 27; nil for no letters or a column beyond XFD.
    static func column(of reference: String) -> Int? {
        var n = 0
        for ch in reference.unicodeScalars {
            guard ch.value >= 65, ch.value <= 90 else { break }
            n = n * 26 + Int(ch.value - 64)
            if n > maxColumns { return nil }
        }
        return n > 0 ? n - 1 : nil
    }

    /// Excel stores numbers as binary doubles ("0.30000000000000004",
    /// "1.5E-2"); the user typed at most a few decimals: round to 6 and trim.
    static func number(_ raw: String) -> String {
        let s = raw.trimmingSpaces
        if s.isEmpty { return "" }
        if s.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }), (s.split(separator: ".").dropFirst().first?.count ?? 0) <= 6 { return s }
        guard let d = Double(s), d.isFinite else { return s }
        var text = String(format: "%.6f", d)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}
