import DTICore
import Testing
@testable import DTIFormats

@Suite("CSV and TSV reading")
struct CSVReaderTests {
    func parse(_ text: String, bom: Bool = false) throws -> CSVDocument {
        try CSVReader.parse((bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8), file: "t.csv")
    }

    @Test("quoted fields, doubled quotes, CRLF and a BOM")
    func quoting() throws {
        let doc = try parse("group,unit,points\r\n\"Sở, ban, ngành\",\"Sở \"\"A\"\"\",\"0,91507\"\r\n", bom: true)
        #expect(doc.header.fields == ["group", "unit", "points"])
        #expect(doc.records.count == 1)
        #expect(doc.records[0].fields == ["Sở, ban, ngành", "Sở \"A\"", "0,91507"])
    }

    @Test("the delimiter is the one the header uses: tab, comma or semicolon", arguments: [
        ("group\tunit\tpoints\ng\tu\t1,5\n", UInt8(0x09)), ("group;unit;points\ng;u;1,5\n", 0x3B), ("group,unit,points\ng,u,1\n", 0x2C),
    ])
    func delimiter(_ text: String, _ expected: UInt8) throws {
        let doc = try parse(text)
        #expect(doc.delimiter == expected)
        #expect(doc.records[0].fields.count == 3)
    }

    @Test("columns count characters, not bytes, so Vietnamese names point at the right field")
    func columns() throws {
        let doc = try parse("unit,points\nUBND huyện Krông Pắc,abc\n")
        #expect(doc.records[0].line == 2)
        #expect(doc.records[0].columns == [1, 22])
    }

    @Test("a quoted field may span lines; the next record's line number stays right")
    func multiline() throws {
        let doc = try parse("a,b\n\"x\ny\",1\nz,2\n")
        #expect(doc.records.map(\.line) == [2, 4])
        #expect(doc.records[0].fields[0] == "x\ny")
    }

    @Test("an unclosed quote and bytes that are not UTF-8 are named with their line")
    func errors() {
        #expect(throws: TableProblem(location: "t.csv:3:1", message: "dấu ngoặc kép mở nhưng không đóng")) {
            try parse("a,b\n1,2\n\"open,3\n")
        }
        #expect(throws: TableProblem(location: "t.csv:2:1", message: "tệp không phải văn bản UTF-8; hãy lưu lại dưới dạng CSV UTF-8")) {
            try CSVReader.parse(Array("a,b\n".utf8) + [0x53, 0xF6, 0x2C, 0x31, 0x0A], file: "t.csv")
        }
        #expect(throws: TableProblem(location: "t.csv:1:1", message: "tệp trống: cần một dòng tiêu đề và các dòng dữ liệu")) {
            try parse("")
        }
    }
}
