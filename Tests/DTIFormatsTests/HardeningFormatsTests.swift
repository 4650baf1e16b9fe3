import Foundation
import Testing
@testable import DTICore
@testable import DTIFormats

@Suite("Formats: charts, spreadsheet-safe CSV, bounded workbook reading")
struct HardeningFormatsTests {
    @Test("a chart of zeros, a maximum of zero or a huge value draws bars inside the chart")
    func chartBounds() {
        let bars = [SVGChart.Bar(label: "Đô thị thông minh", value: .zero, secondary: .zero, text: "0"),
                    SVGChart.Bar(label: "Khác", value: ScaledDecimal(micros: .max), text: "lớn")]
        for max in [ScaledDecimal.zero, ScaledDecimal(100)] {
            let svg = SVGChart.bars(bars, max: max, title: "Thử <b>")
            #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
            #expect(svg.contains("Thử &lt;b&gt;"))
            #expect(!svg.contains(#"width="421""#) && !svg.contains(#"="-"#), "no bar beyond the chart, no negative width")
        }
        #expect(SVGChart.pixels(ScaledDecimal(50), of: ScaledDecimal(100)) == 210)
        #expect(SVGChart.pixels(ScaledDecimal(500), of: ScaledDecimal(100)) == 420)
        #expect(SVGChart.pixels(ScaledDecimal(5), of: .zero) == 0)
    }

    @Test("CSV cells that a spreadsheet would run as formulas are kept as text; numbers and \"-\" are left alone")
    func csvInjection() {
        #expect(ResultsWriter.csvField("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"")
        #expect(ResultsWriter.csvField("+1+1") == "'+1+1")
        #expect(ResultsWriter.csvField("@SUM(A1)") == "'@SUM(A1)")
        #expect(ResultsWriter.csvField("\tx") == "'\tx")
        #expect(ResultsWriter.csvField("-") == "-")
        #expect(ResultsWriter.csvField("-2,5") == "\"-2,5\"")
        #expect(ResultsWriter.csvField("Sở Tài chính") == "Sở Tài chính")
    }

    @Test("XLSX text that looks like a formula is stored as text with a quote prefix; openpyxl reads it as the same text")
    func xlsxInjection() throws {
        let data = Workbook(sheets: [.init(name: "A", rows: [[.text("Đơn vị")], [.text("=1+1")], [.text("@SUM(A1)")], [.text("-")], [.text("Sở Y tế")]])]).data()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("inj-\(UUID().uuidString).xlsx")
        try data.write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let out = try python("""
        import openpyxl, sys
        ws = openpyxl.load_workbook(sys.argv[1])["A"]
        for r in range(2, 6):
            c = ws.cell(row=r, column=1)
            print(repr(c.value), c.data_type, c.quotePrefix, c.number_format)
        """, path.path)
        let lines = out.split(separator: "\n").map(String.init)
        try #require(lines.count == 4, "\(out)")
        #expect(lines[0] == "'=1+1' s True @" && lines[1] == "'@SUM(A1)' s True @", "\(out)")
        #expect(lines[2].hasPrefix("'-' s False") && lines[3].hasPrefix("'Sở Y tế' s False"), "\(out)")
    }

    @Test("inputs found by fuzz/run.sh are refused, not trapped on: a ZIP whose offsets point past its end")
    func fuzzFindings() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/office/fuzz-zip-offset-past-end.xlsx")
        #expect(throws: WorkbookReader.Problem.self) { try WorkbookReader(data: try Data(contentsOf: url)) }
        // A central directory whose last entry's local header lies far past the end: ZIPFoundation read on for ever.
        let endless = url.deletingLastPathComponent().appendingPathComponent("fuzz-zip-local-header-past-end.xlsx")
        #expect(throws: WorkbookReader.Problem.self) { try WorkbookReader(data: try Data(contentsOf: endless)) }
        // A deflate stream that never ends inside its entry: ZIPFoundation's reader asked for more input for ever.
        let unending = url.deletingLastPathComponent().appendingPathComponent("fuzz-zip-deflate-never-ends.xlsx")
        #expect(throws: WorkbookReader.Problem.self) { try WorkbookReader(data: try Data(contentsOf: unending)) }
    }

    @Test("column letters past XFD and rows past Excel's last are refused, never overflow")
    func cellReferences() {
        #expect(WorkbookReader.column(of: "XFD1") == 16_383)
        #expect(WorkbookReader.column(of: "XFE1") == nil)
        #expect(WorkbookReader.column(of: String(repeating: "Z", count: 20) + "1") == nil)
        #expect(WorkbookReader.column(of: "AB12") == 27)
    }

    @Test("JSON written again after one changed score, reusing the other units' texts, is the text written from scratch")
    func reusedUnitTexts() {
        func table(_ changed: Int?) -> RankedResults {
            var table = ResultTable(columnNames: ["Hạ tầng \"số\""], rows: [])
            for i in 0..<60 {
                let points = i == changed ? 0 : (i * 37) % 100
                table.rows.append(ResultRow(group: "Nhóm \(i % 3)", unit: "Xã \(i)", points: WrittenNumber(value: ScaledDecimal(points), decimals: 0),
                                            columns: [WrittenNumber(value: ScaledDecimal(points), decimals: 1)]))
            }
            return table.ranked(under: RankingSettings(method: .raw))
        }
        let leading: [(String, JSONValue)] = [("level", .string("commune"))]
        var first = ""
        let written = ResultsWriter(table(nil)).writeJSON(into: &first, indent: 2, leading: leading, earlier: .init())
        #expect(first == JSONValue.object(leading + { if case .object(let p) = ResultsWriter(table(nil)).json() { return p } else { return [] } }()).serialized(indent: 2))
        for changed in [1, 31, 59] {
            var again = ""
            _ = ResultsWriter(table(changed)).writeJSON(into: &again, indent: 2, leading: leading, earlier: written)
            guard case .object(let pairs) = ResultsWriter(table(changed)).json() else { Issue.record("not an object"); return }
            #expect(again == JSONValue.object(leading + pairs).serialized(indent: 2), "unit \(changed) changed")
            #expect(again != first)
        }
    }

    @Test("ranking output is linear: 20,000 units in their own groups print at once")
    func linearTable() {
        var table = ResultTable(columnNames: [], rows: [])
        for i in 0..<20_000 { table.rows.append(ResultRow(group: "Nhóm \(i)", unit: "Đơn vị \(i)", points: WrittenNumber(value: ScaledDecimal(i % 100), decimals: 0))) }
        let text = ResultsWriter(table.ranked(under: RankingSettings(method: .raw))).table()
        #expect(text.contains("Đơn vị 19999"))
    }
}
