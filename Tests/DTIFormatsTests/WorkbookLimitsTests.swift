@testable import DTIFormats
import Foundation
import Testing

/// Issue 31, High 1: what a spreadsheet may cost is bounded by its size.
/// Each hostile file is a few KB; each is refused with a message that names
/// the limit, quickly, instead of becoming minutes of work or a gigabyte.
@Suite struct WorkbookLimitsTests {
    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    /// A one-sheet workbook ("Trang") of the given shared strings and sheet rows.
    static func book(shared: [String], sheetData: String) -> Data {
        Zip.archive([
            ("xl/workbook.xml", Data(#"<workbook xmlns="\#(main)" xmlns:r="\#(rel)"><sheets><sheet name="Trang" sheetId="1" r:id="rId1"/></sheets></workbook>"#.utf8)),
            ("xl/_rels/workbook.xml.rels", Data(#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="\#(rel)/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.utf8)),
            ("xl/sharedStrings.xml", Data((#"<sst xmlns="\#(main)">"# + shared.map { "<si><t>\($0)</t></si>" }.joined() + "</sst>").utf8)),
            ("xl/worksheets/sheet1.xml", Data(#"<worksheet xmlns="\#(main)"><sheetData>\#(sheetData)</sheetData></worksheet>"#.utf8)),
        ])
    }

    /// `rows` rows, each with `columns` cells naming shared string 0.
    static func rows(_ rows: Int, columns: Int) -> String {
        (1...rows).map { r in "<row r=\"\(r)\">" + (0..<columns).map { "<c r=\"\(Workbook.columnName($0))\(r)\" t=\"s\"><v>0</v></c>" }.joined() + "</row>" }.joined()
    }

    func refusal(_ data: Data, limits: WorkbookReader.Limits? = nil) -> String {
        do {
            _ = try WorkbookReader(data: data, limits: limits ?? .forFile(size: data.count))
            return "read"
        } catch {
            return "\(error)"
        }
    }

    @Test("a shared string longer than Excel's 32,767 characters is refused by its place, before any row names it")
    func longSharedString() {
        let data = Self.book(shared: [String(repeating: "A", count: 2 << 20)], sheetData: Self.rows(200, columns: 6))
        #expect(data.count < 20_000)
        let message = refusal(data)
        #expect(message.contains("Chuỗi dùng chung thứ 1 dài hơn 32.767 ký tự"), "\(message)")
        // Exactly at the limit is Excel's own and is read; characters, not bytes ("đ" is two bytes).
        let atLimit = Self.book(shared: [String(repeating: "đ", count: 32_767)], sheetData: Self.rows(1, columns: 1))
        #expect(refusal(atLimit) == "read")
    }

    @Test("an inline cell longer than 32,767 characters is refused with its address")
    func longInlineCell() {
        let cell = "<row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is><t>" + String(repeating: "x", count: 40_000) + "</t></is></c></row>"
        let message = refusal(Self.book(shared: [], sheetData: cell))
        #expect(message.contains("Ô B3 của trang \"Trang\" dài hơn 32.767 ký tự"), "\(message)")
    }

    @Test("a string under the cell limit named by many cells adds up: refused when the text exceeds what the file's size allows")
    func amplification() {
        let data = Self.book(shared: [String(repeating: "A", count: 30_000)], sheetData: Self.rows(200, columns: 6))
        #expect(data.count < 20_000)
        let message = refusal(data)
        #expect(message.contains("nội dung các ô cộng lại quá 4.096 KB"), "\(message)")
        // The same string in a few cells is an ordinary file.
        #expect(refusal(Self.book(shared: [String(repeating: "A", count: 30_000)], sheetData: Self.rows(10, columns: 6))) == "read")
    }

    @Test("millions of empty cells from a small file: refused by count, with memory bounded by what is kept")
    func manyCells() {
        // 270,000 cells of 15 bytes: under the 4 MB a small file may expand to, over its 262,144 cells.
        let row = "<row>" + String(repeating: "<c><v>1</v></c>", count: 1_000) + "</row>"
        let data = Self.book(shared: [], sheetData: String(repeating: row, count: 270))
        #expect(data.count < 100_000, "\(data.count)")
        let message = refusal(data)
        #expect(message.contains("quá 262.144 ô có nội dung so với kích thước của tệp"), "\(message)")
    }

    @Test("an archive that expands past a hundred times its size (and past 4 MB) is refused while it expands")
    func expansion() {
        let data = Self.book(shared: [], sheetData: String(repeating: "<row/>", count: 1_500_000))
        let message = refusal(data)
        #expect(message.contains("giải nén vượt 4 MB, quá lớn so với kích thước của tệp"), "\(message)")
    }

    @Test("one row number twice (Excel never writes it; the import would see the row twice) is refused")
    func duplicateRows() {
        let message = refusal(Self.book(shared: ["a"], sheetData: #"<row r="2"><c r="A2" t="s"><v>0</v></c></row><row r="2"/>"#))
        #expect(message.contains("dòng 2 xuất hiện hai lần"), "\(message)")
    }

    @Test("a deadline passed or a stop asked ends the reading with a message")
    func deadlineAndStop() {
        let data = Self.book(shared: ["a"], sheetData: Self.rows(3_000, columns: 4))
        var late = WorkbookReader.Limits.forFile(size: data.count)
        late.deadline = .now - .seconds(1)
        #expect(refusal(data, limits: late).contains("cần quá nhiều thời gian để đọc"))
        var stopped = WorkbookReader.Limits.forFile(size: data.count)
        stopped.shouldStop = { true }
        #expect(refusal(data, limits: stopped).contains("đã dừng"))
        #expect(refusal(data) == "read")
    }

    @Test("a cell is looked up by its row number directly: the last of 20,000 rows as fast as the first")
    func rowIndex() throws {
        let data = Self.book(shared: ["a"], sheetData: Self.rows(20_000, columns: 1))
        let sheet = try #require(try WorkbookReader(data: data).sheets.first)
        #expect(sheet.cell(row: 20_000, column: 0) == "a")
        #expect(sheet.cell(row: 20_001, column: 0) == "")
        // Reading every row's cell is linear: 20,000 lookups (quadratic would be 200 million comparisons).
        var found = 0
        for r in 1...20_000 where sheet.cell(row: r, column: 0) == "a" { found += 1 }
        #expect(found == 20_000)
    }

    @Test("the limits follow the file's size: at least 4 MB, a hundred times the file, at most 64 MB")
    func limitsBySize() {
        #expect(WorkbookReader.Limits.forFile(size: 10_000).expandedBytes == 4 << 20)
        #expect(WorkbookReader.Limits.forFile(size: 100_000).expandedBytes == 10_000_000)
        #expect(WorkbookReader.Limits.forFile(size: 10 << 20).expandedBytes == 64 << 20)
        #expect(WorkbookReader.Limits.forFile(size: Int.max).expandedBytes == 64 << 20)
    }
}
