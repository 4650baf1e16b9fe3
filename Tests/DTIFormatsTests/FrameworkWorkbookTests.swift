import DTICore
import Foundation
import Testing
@testable import DTIFormats
import Yams

@Suite("Frameworks as Excel workbooks")
struct FrameworkWorkbookTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("frameworks").path

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test("every shipped framework survives the round trip: written as a workbook, read back as the same framework", arguments: files)
    func roundTrip(file: String) throws {
        let original = try FrameworkLoader.load(path: Self.directory + "/" + file)
        let back = try FrameworkWorkbook.read(FrameworkWorkbook.data(original)).framework
        #expect(back == original, "\(file)")
        #expect(back.allNodes.count == original.allNodes.count)
    }

    @Test("a workbook with mistakes: every problem named by sheet, row and column, nothing returned")
    func mistakes() throws {
        let original = try FrameworkLoader.load(path: Self.directory + "/example-all-rules.yaml")
        let data = FrameworkWorkbook.data(original)
        // Edit the tree sheet as a person would in Excel: a bad rule name, a bad tier, an unknown parent, a number in words.
        let reader = try WorkbookReader(data: data)
        let edits: [String: [(FrameworkWorkbook.Column, String)]] = [
            "1.1": [(.tiers, "4 → 20; ba → 15")], "2.3": [(.rule, "Có hay không")], "3.1": [(.parent, "9")], "3.2": [(.max, "mười lăm")],
        ]
        let sheets = reader.sheets.map { sheet -> Workbook.Sheet in
            let rows = sheet.rows.map { row -> [Workbook.Cell] in
                var cells = row.cells
                if sheet.name == FrameworkWorkbook.treeSheet, let code = cells[FrameworkWorkbook.Column.code.rawValue], let change = edits[code] {
                    for (column, value) in change { cells[column.rawValue] = value }
                }
                let width = (cells.keys.max() ?? -1) + 1
                return (0..<width).map { c in cells[c].map(Workbook.Cell.text) ?? .empty }
            }
            return Workbook.Sheet(name: sheet.name, rows: rows)
        }
        let edited = Workbook(sheets: sheets).data()
        do {
            _ = try FrameworkWorkbook.read(edited)
            Issue.record("the edited workbook was accepted")
        } catch let error {
            let text = error.problems.map(\.description)
            #expect(text.contains { $0.contains("Trang \"Cây chỉ số\"") && $0.contains("cột \"Cách tính điểm\"") && $0.contains("Có hay không") }, "\(text)")
            #expect(text.contains { $0.contains("cột \"Mã cấp trên\"") && $0.contains("không có nút mã \"9\"") }, "\(text)")
            // The file format's own refusals come back at their row and column too.
            let row32 = try #require(reader.sheets.first { $0.name == FrameworkWorkbook.treeSheet }?.rows.first { $0.cells[1] == "3.2" }?.number)
            #expect(text.contains { $0.contains("dòng \(row32), cột \"Điểm tối đa\"") && $0.contains("mười lăm") }, "\(text)")
            #expect(text.contains { $0.contains("cột \"Bậc (đạt từ → điểm)\"") && $0.contains("nút 1.1") }, "\(text)")
        }
    }
}

@Suite("The workbook's YAML quoting")
struct YAMLQuoteTests {
    @Test("a cell's CRLF line end, quotes, backslashes and control characters come back as typed, without the carriage return")
    func quoting() throws {
        let typed = "dòng 1\r\ndòng \"2\" \\ \u{1}"
        let yaml = "v: " + YAMLText.quote(typed) + "\n"
        let back = try #require(try Yams.load(yaml: yaml) as? [String: String])
        #expect(back["v"] == "dòng 1\ndòng \"2\" \\ \u{1}")
    }
}
