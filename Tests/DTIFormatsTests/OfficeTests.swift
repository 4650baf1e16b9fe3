import DTICore
@testable import DTIFormats
import Foundation
import Testing

@Suite struct OfficeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/office")

    func fixture(_ name: String) throws -> Data { try Data(contentsOf: Self.fixtures.appendingPathComponent(name)) }

    @Test("archives round-trip through ZIPFoundation, deflated, the same bytes for the same entries")
    func zipRoundTrip() throws {
        let plain = try fixture("deflate-plain.txt")
        let a = Zip.archive([("a/one.xml", plain), ("b.txt", Data("Đắk Lắk".utf8))])
        #expect(a == Zip.archive([("a/one.xml", plain), ("b.txt", Data("Đắk Lắk".utf8))]))
        #expect(a.count < plain.count, "deflated")
        let back = try Zip.entries(of: a)
        #expect(back["a/one.xml"] == plain && back["b.txt"] == Data("Đắk Lắk".utf8))
        // One byte less room than the data needs is refused, not truncated.
        #expect(throws: Zip.Problem.self) { try Zip.entries(of: a, maxTotal: plain.count - 1) }
        // A cut archive is refused.
        #expect(throws: Zip.Problem.self) { try Zip.entries(of: a.prefix(a.count / 2)) }
    }

    @Test("a workbook written by openpyxl is read cell by cell, shared strings and doubles included")
    func readsOpenpyxl() throws {
        let book = try WorkbookReader(data: try fixture("openpyxl.xlsx"))
        #expect(book.sheets.map(\.name) == ["Tự đánh giá", "Khác"])
        let sheet = try #require(book.sheet(named: "Tự đánh giá"))
        #expect(sheet.cell(row: 1, column: 0) == "Mã")
        #expect(sheet.cell(row: 2, column: 1) == "có")
        #expect(sheet.cell(row: 2, column: 3) == "Quyết định số 12/QĐ-UBND")
        #expect(sheet.cell(row: 3, column: 1) == "0.3")
        #expect(sheet.cell(row: 3, column: 2) == "7")
        #expect(sheet.cell(row: 4, column: 3) == "Đắk Lắk — Krông Pắc & M'Drắk <ghi chú>")
        #expect(sheet.cell(row: 5, column: 1) == "0.015")
        #expect(sheet.cell(row: 9, column: 5) == "lẻ")
        #expect(sheet.cell(row: 5, column: 3) == "")
    }

    @Test("what we write we read back; the bytes are the same each time")
    func roundTrip() throws {
        let book = Workbook(sheets: [
            .init(name: "Xếp hạng: sở/ngành [2023]", rows: [
                [.text("Đơn vị"), .text("Chỉ số"), .text("Hạng")],
                [.text("Sở Thông tin & Truyền thông <STTTT>"), .number(ScaledDecimal(micros: 915_070), decimals: 4), .integer(1)],
                [.text("M'Drắk"), .empty, .text("-")],
            ], widths: [40, 12, 8], hiddenColumns: [2]),
            .init(name: "_meta", rows: [[.text("k"), .text("v")]], hidden: true),
        ])
        let data = book.data()
        #expect(book.data() == data)
        let read = try WorkbookReader(data: data)
        #expect(read.sheets.map(\.name) == ["Xếp hạng- sở-ngành -2023-", "_meta"])
        let s = read.sheets[0]
        #expect(s.cell(row: 2, column: 0) == "Sở Thông tin & Truyền thông <STTTT>")
        #expect(s.cell(row: 2, column: 1) == "0.91507")
        #expect(s.cell(row: 2, column: 2) == "1")
        #expect(s.cell(row: 3, column: 1) == "")
        #expect(s.cell(row: 3, column: 2) == "-")
        // Two sheets that would have one name: Excel refuses that, so the second is numbered.
        let twice = try WorkbookReader(data: Workbook(sheets: [.init(name: "Nhóm", rows: []), .init(name: "nhóm", rows: [])]).data())
        #expect(twice.sheets.map(\.name) == ["Nhóm", "nhóm (2)"])
    }

    @Test("openpyxl opens what we write: numbers are numbers with their format")
    func openpyxlReadsOurs() throws {
        let book = Workbook(sheets: [.init(name: "Kết quả", rows: [
            [.text("Đơn vị"), .text("Chỉ số")],
            [.text("Krông Pắc"), .number(ScaledDecimal(micros: 152_020_000), decimals: 2)],
        ])])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opendti-\(UUID().uuidString).xlsx")
        try book.data().write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let script = """
        import openpyxl, sys
        ws = openpyxl.load_workbook(sys.argv[1])["Kết quả"]
        c = ws["B2"]
        print(ws["A2"].value, repr(c.value), c.number_format, ws["A1"].font.b, ws.freeze_panes)
        """
        let out = try python(script, path.path)
        #expect(out == "Krông Pắc 152.02 0.00 True A2\n")
    }

    @Test("damaged, encrypted-looking or non-ZIP files are refused with a message")
    func refusals() throws {
        #expect(throws: WorkbookReader.Problem.self) { try WorkbookReader(data: Data("Mã,Giá trị\n".utf8)) }
        var data = Workbook(sheets: [.init(name: "A", rows: [[.text("x")]])]).data()
        // Flips a byte inside the first entry's compressed data: the checksum no longer matches.
        let nameLength = Int(data[26]) | Int(data[27]) << 8, extraLength = Int(data[28]) | Int(data[29]) << 8
        data[30 + nameLength + extraLength + 5] ^= 0xFF
        #expect(throws: WorkbookReader.Problem.self) { try WorkbookReader(data: data) }
        // 64 MB of zeros deflate to about 64 KB: refused while expanding, past the limit.
        let bomb = Zip.archive([("xl/workbook.xml", Data(count: 64 << 20))])
        #expect(bomb.count < 1 << 20)
        #expect(throws: Zip.Problem.self) { try Zip.entries(of: bomb, maxTotal: 1 << 20) }
        #expect(throws: WorkbookReader.Problem.self) { try WorkbookReader(data: bomb) }
    }
}

func python(_ script: String, _ args: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + args
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: out, as: UTF8.self)
}
