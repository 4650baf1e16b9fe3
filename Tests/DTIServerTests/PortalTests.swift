import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// The public portal: published results only, the same numbers as `dti rank`,
/// exports read back by other programs, scorecards, history and the import
/// of past decisions.
@Suite("Public portal and exports", .serialized)
struct PortalTests {
    func period(_ app: Application, year: Int) async throws -> Period {
        try #require(try await Period.query(on: app.db).filter(\.$year == year).first())
    }

    static let resultsDir = TestPaths.root.appendingPathComponent("Sources/DTIServer/Resources/Demo/results")

    @Test("only published periods exist on the portal and in open data")
    func onlyPublished() async throws {
        try await withDemoApp { app in
            let anonymous = Browser(app)
            let index = try await anonymous.send(.GET, "/results")
            #expect(index.status == .ok)
            for title in ["Đắk Lắk năm 2021", "Kon Tum năm 2022", "Đắk Lắk năm 2023"] { #expect(index.body.contains(title), "\(title)") }
            let draft = try await period(app, year: 2025)
            #expect(!index.body.contains(draft.title))
            let list = try await anonymous.send(.GET, "/api/v1/results")
            #expect(!list.body.contains(draft.id!.uuidString) && list.body.contains("Kon Tum"))
            for path in ["", "/units/SNNPTNT", "/export.xlsx", "/export.csv", "/export.json", "/decision.docx", "/decision.pdf"] {
                #expect(try await anonymous.send(.GET, "/results/\(draft.id!)\(path)").status == .notFound, "\(path)")
            }
            #expect(try await anonymous.send(.GET, "/api/v1/results/\(draft.id!)").status == .notFound)
            // Signed in as the administrator changes nothing: unpublished is unpublished.
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            #expect(try await admin.send(.GET, "/results/\(draft.id!)").status == .notFound)
            // A results-only period has nothing more to publish.
            let past = try await period(app, year: 2021)
            let again = try await admin.send(.POST, "/api/v1/periods/\(past.id!)/publish", json: [String: String]())
            #expect(again.status == .conflict && again.body.contains("chỉ gồm kết quả đã công bố"))
        }
    }

    /// `dti rank` on the shipped table with the manifest's options.
    func commandLine(_ file: String, _ options: [String]) throws -> [[String: Any]] {
        try dtiUnits(["rank", Self.resultsDir.appendingPathComponent(file).path, "--format", "json"] + options)
    }

    @Test("the portal's tables are what dti rank prints from the same files and options")
    func sameAsCommandLine() async throws {
        try await withDemoApp { app in
            let cases: [(year: Int, file: String, table: Int, options: [String])] = [
                (2021, "daklak-2021-department.tsv", 0, ["--max", "180", "--decimals", "2"]),
                (2021, "daklak-2021-district.tsv", 1, ["--max", "420", "--decimals", "2", "--average-over", "all"]),
                (2023, "daklak-2023.csv", 0, ["--method", "fraction", "--max", "1", "--decimals", "6", "--trim-zeros"]),
                (2022, "kontum-2022.csv", 0, ["--method", "percent", "--decimals", "2", "--decimal-point", "--bands", "Tốt:90,Khá:70,Trung bình:50,Yếu:0"]),
            ]
            for c in cases {
                let p = try await period(app, year: c.year)
                let body = try await Browser(app).send(.GET, "/api/v1/results/\(p.id!)").body
                let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
                let tables = try #require(json["tables"] as? [[String: Any]])
                let portal = try #require(tables[c.table]["units"] as? [[String: Any]])
                let cli = try commandLine(c.file, c.options)
                #expect(portal.count == cli.count && !cli.isEmpty, "\(c.file)")
                for (mine, theirs) in zip(portal, cli) {
                    for key in ["unit", "display", "band"] { #expect(mine[key] as? String == theirs[key] as? String, "\(c.file) \(key) \(theirs["unit"] ?? "")") }
                    #expect(mine["rank"] as? Int == theirs["rank"] as? Int, "\(c.file) \(theirs["unit"] ?? "")")
                }
                // The page prints the same figures.
                let page = try await Browser(app).send(.GET, "/results/\(p.id!)")
                for unit in cli { #expect(page.body.contains(">\(unit["display"] as! String)<"), "\(c.file) \(unit["unit"] ?? "")") }
            }
        }
    }

    @Test("exports read back by openpyxl and python-docx hold every figure; CSV has its BOM; PDF says when LibreOffice is missing")
    func exports() async throws {
        try await withDemoApp { app in
            let p = try await period(app, year: 2021)
            let b = Browser(app)
            let base = "/results/\(p.id!)"
            let json = try #require(try JSONSerialization.jsonObject(with: Data(try await b.send(.GET, "/api/v1/results/\(p.id!)").body.utf8)) as? [String: Any])
            let units = (json["tables"] as! [[String: Any]]).flatMap { $0["units"] as! [[String: Any]] }
            #expect(units.count == 33)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("portal-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }

            // Excel: one sheet per group, numbers as numbers; every unit's index equals the JSON.
            let xlsx = dir.appendingPathComponent("r.xlsx")
            try await b.download(base + "/export.xlsx").write(to: xlsx)
            let read = try python("""
            import openpyxl, sys, json
            wb = openpyxl.load_workbook(sys.argv[1])
            out = {"sheets": wb.sheetnames, "rows": {}}
            for name in ["Sở, ban, ngành", "UBND cấp huyện"]:
                ws = wb[name]
                header = [c.value for c in ws[1]]
                col = header.index("Chỉ số")
                for row in ws.iter_rows(min_row=2, values_only=True):
                    if isinstance(row[0], int): out["rows"][row[1]] = row[col]
            print(json.dumps(out, ensure_ascii=False))
            """, xlsx.path)
            let excel = try #require(try JSONSerialization.jsonObject(with: Data(read.utf8)) as? [String: Any])
            #expect(excel["sheets"] as? [String] == ["Sở, ban, ngành", "UBND cấp huyện", "Chi tiết", "Nhận xét"])
            let rows = try #require(excel["rows"] as? [String: Any])
            for unit in units {
                let name = unit["unit"] as! String
                if let index = unit["index"] as? NSNumber {
                    #expect((rows[name] as? NSNumber)?.doubleValue == index.doubleValue, "\(name)")
                } else {
                    #expect(rows[name] as? String == "-", "\(name) did not report")
                }
            }

            // CSV for Excel: BOM, then one line per unit.
            let csv = try await b.download(base + "/export.csv")
            #expect(csv.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
            let text = String(decoding: csv.dropFirst(3), as: UTF8.self)
            #expect(text.hasPrefix("level,group,code,unit,rank,points,max_points,index,display,band,Chính quyền số,Kinh tế số,Xã hội số\r\n"))
            #expect(text.contains("district,UBND cấp huyện,KRONGPAC,UBND huyện Krông Pắc,1,281.22,420,281.22,\"281,22\",,153.97,69.31,57.94\r\n"))
            #expect(text.components(separatedBy: "\r\n").count == 33 + 2)

            // Word: the administrative format of Nghị định 30 and the appendix with every unit,
            // the charts drawn by the converter (a stand-in here: the real tools are optional on a server).
            let converter = StandInConverter()
            app.converter = converter
            let docx = dir.appendingPathComponent("q.docx")
            try await b.download(base + "/decision.docx").write(to: docx)
            let doc = try python("""
            import docx, sys, json
            d = docx.Document(sys.argv[1])
            s = d.sections[0]
            texts = [p.text for p in d.paragraphs]
            cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
            font = d.styles["Normal"].font.name or d.styles.element.xpath("//w:rFonts/@w:ascii")[0]
            print(json.dumps({"width_mm": round(s.page_width.mm), "height_mm": round(s.page_height.mm), "left_mm": round(s.left_margin.mm),
                              "font": font, "texts": texts, "cells": cells, "pictures": len(d.inline_shapes)}, ensure_ascii=False))
            """, docx.path)
            let word = try #require(try JSONSerialization.jsonObject(with: Data(doc.utf8)) as? [String: Any])
            #expect(word["width_mm"] as? Int == 210 && word["height_mm"] as? Int == 297 && word["left_mm"] as? Int == 30)
            #expect(word["font"] as? String == "Times New Roman")
            let all = ((word["texts"] as? [String]) ?? []) + ((word["cells"] as? [String]) ?? [])
            let joined = all.joined(separator: "\n")
            for needle in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "TỈNH ĐẮK LẮK", "QUYẾT ĐỊNH",
                           "Điều 1. Công bố kết quả Chỉ số chuyển đổi số năm 2021", "Nơi nhận:", "PHỤ LỤC", "Giá trị trung bình",
                           "Điểm trung bình của 03 đơn vị đứng đầu"] {
                #expect(joined.contains(needle), "\(needle)")
            }
            // One chart per group, each drawn from that group's SVG.
            #expect(word["pictures"] as? Int == 2)
            #expect(converter.svgs.count == 2 && converter.svgs.allSatisfy { $0.hasPrefix("<svg") })
            let cells = Set((word["cells"] as? [String]) ?? [])
            for unit in units { #expect(cells.contains(unit["unit"] as! String) && cells.contains(unit["display"] as! String), "\(unit["unit"] ?? "")") }

            // PDF: the converter's output, as an attachment; the Word file it was given is the decision.
            let pdf = try await b.download(base + "/decision.pdf")
            #expect(pdf == StandInConverter.pdfBytes)
            #expect(converter.docxCount == 1)
            // Without LibreOffice: a clear answer, and no PDF link on the page. (The tools are
            // looked up once at start, and a download is kept as bytes for every reader: the kept
            // bytes are forgotten, as a server started without the tools never had them.)
            app.converter = InstalledTools(environment: ["PATH": "/nonexistent", "DTI_SOFFICE": "/nonexistent/soffice"])
            app.publishedBytes.forget(period: p.id!)
            let reader = Browser(app)
            _ = try await reader.signIn("xem")
            let missing = try await reader.send(.GET, base + "/decision.pdf")
            #expect(missing.status == .serviceUnavailable)
            #expect(missing.body.contains("chưa cài LibreOffice"))
            #expect(!(try await reader.send(.GET, base).body.contains("/decision.pdf\"")))
            // Without librsvg: the Word file still comes, without pictures.
            try await reader.download(base + "/decision.docx").write(to: docx)
            #expect(try python("import docx, sys; print(len(docx.Document(sys.argv[1]).inline_shapes))", docx.path) == "0\n")
            // With the real tools where this machine has them.
            let installed = InstalledTools()
            if installed.canMakePDF {
                app.converter = installed
                app.publishedBytes.forget(period: p.id!)
                let real = try await reader.download(base + "/decision.pdf")
                #expect(real.prefix(5) == Data("%PDF-".utf8))
            }
        }
    }

    @Test("search without diacritics, a scorecard with its history, and a merged unit compared with its predecessors")
    func scorecardsAndHistory() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            let found = try await b.send(.GET, "/results?q=krong%20pac")
            #expect(found.body.contains("UBND huyện Krông Pắc"))
            let y2021 = try await period(app, year: 2021)
            let card = try await b.send(.GET, "/results/\(y2021.id!)/units/KRONGPAC")
            #expect(card.status == .ok)
            for needle in ["281,22", "1/15", "Chính quyền số", "101,25", "Xã hội số — mất 67,06 / 125 điểm", "0,6696", "0,9051", "<svg"] {
                #expect(card.body.contains(needle), "\(needle)")
            }
            #expect(try await b.send(.GET, "/results/\(y2021.id!)/units/KHONGCO").status == .notFound)

            // 2025: two departments merge; the merged one's history averages its predecessors.
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let created = try await admin.send(.POST, "/api/v1/units", json: ["code": "SKHCN2025", "name": "Sở Khoa học và Công nghệ (hợp nhất)", "level": "department",
                                                                             "group": "Sở, ban, ngành", "parentCode": "DAKLAK"])
            #expect(created.status == .created, "\(created.body)")
            let merged = try await admin.send(.POST, "/api/v1/units/lineage", json: LineageInput(kind: "merge", predecessors: ["STTTT", "SKHCN"], successors: ["SKHCN2025"], effectiveOn: "2025-03-01", note: nil))
            #expect(merged.status == .created || merged.status == .ok, "\(merged.body)")
            struct Import: Encodable { var manifest: String; var files: [String: String] }
            let manifest = """
            schema: opendti.results/1
            id: daklak-2025
            title: Thử công bố 2025
            year: 2026
            province: Đắk Lắk
            province_unit: DAKLAK
            source: thử
            tables:
              - {file: t.csv, level: department, method: fraction, max: "1", decimals: 4}
            """
            let bad = try await admin.send(.POST, "/api/v1/results", json: Import(manifest: manifest, files: ["t.csv": "group,unit,points\nSở, ban, ngành,Sở Tài chính,không rõ\n"]))
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.contains("t.csv:2"), "\(bad.body)")
            let viewer = Browser(app)
            _ = try await viewer.signIn("xem")
            #expect(try await viewer.send(.POST, "/api/v1/results", json: Import(manifest: manifest, files: [:])).status == .forbidden)
            let table = "group,unit,points\n\"Sở, ban, ngành\",Sở Khoa học và Công nghệ (hợp nhất),\"0,9\"\n\"Sở, ban, ngành\",Sở Tài chính,\"0,8\"\n"
            let ok = try await admin.send(.POST, "/api/v1/results", json: Import(manifest: manifest, files: ["t.csv": table]))
            #expect(ok.status == .created, "\(ok.body)")
            let y2026 = try #require(try await Period.query(on: app.db).filter(\.$title == "Thử công bố 2025").first())
            let history = try await b.send(.GET, "/results/\(y2026.id!)/units/SKHCN2025")
            #expect(history.status == .ok)
            // 2023: STTTT 0,87792 and SKHCN 0,83073 → 0,854325; 2021: 157,08/180 and 127,6/180 → 0,872667 and 0,708889 → 0,790778.
            #expect(history.body.contains("trung bình 2 đơn vị tiền thân"))
            #expect(history.body.contains("0,8543") && history.body.contains("0,7908"), "\(history.body.suffix(2500))")
            // Sở Tài chính matched Đắk Lắk's by name; nothing was created for it (the other is Kon Tum's).
            #expect(try await UnitModel.query(on: app.db).filter(\.$name == "Sở Tài chính").count() == 2)
            #expect(try await b.send(.GET, "/api/v1/results/\(y2026.id!)").body.contains(#""Sở Tài chính": "STC""#))
        }
    }

    @Test("the administrator brings a past year through the browser form; mistakes are listed and nothing is imported")
    func importForm() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            #expect(try await admin.send(.GET, "/admin/results/new").status == .ok)
            let manifest = Data("""
            schema: opendti.results/1
            id: daklak-2020
            title: Chỉ số chuyển đổi số tỉnh Đắk Lắk năm 2020 (thử)
            year: 2020
            province: Đắk Lắk
            province_unit: DAKLAK
            source: thử nghiệm
            tables:
              - {file: so-2020.csv, level: department, method: raw, decimals: 2}
            """.utf8)
            let before = try await Period.query(on: app.db).count()
            let wrong = try await admin.upload("/admin/results", file: ("manifest", "kqua-2020.yaml", manifest),
                                               more: [("tables[]", "so-2020.csv", Data("group,unit,points\nSở, ban, ngành,Sở Tài chính,-5\n".utf8))])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.body.contains("so-2020.csv:2"), "\(wrong.body.suffix(1500))")
            #expect(try await Period.query(on: app.db).count() == before)
            let right = try await admin.upload("/admin/results", file: ("manifest", "kqua-2020.yaml", manifest),
                                               more: [("tables[]", "so-2020.csv", Data("group,unit,points\n\"Sở, ban, ngành\",Sở Tài chính,\"120,5\"\n\"Sở, ban, ngành\",Sở Y tế,\"98\"\n".utf8))])
            #expect(right.status == .seeOther, "\(right.body.suffix(1500))")
            let page = try await Browser(app).send(.GET, right.headers.first(name: .location) ?? "/")
            #expect(page.body.contains("Chỉ số chuyển đổi số tỉnh Đắk Lắk năm 2020 (thử)") && page.body.contains(">120,50<"))
            // The focal point is refused.
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await focal.upload("/admin/results", file: ("manifest", "kqua-2020.yaml", manifest)).status == .forbidden)
        }
    }
}

/// Converters that answer at once with fixed bytes and remember what they were given.
final class StandInConverter: DocumentConverter, @unchecked Sendable {
    static let pdfBytes = Data("%PDF-1.4\n% OpenDTI stand-in\n%%EOF\n".utf8)
    /// A 1×1 PNG.
    static let pngBytes = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
                                0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
                                0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
                                0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
                                0x42, 0x60, 0x82])
    private let lock = NSLock()
    private var _svgs: [String] = []
    private var _docx = 0
    var svgs: [String] { lock.withLock { _svgs } }
    var docxCount: Int { lock.withLock { _docx } }

    var canMakePDF: Bool { true }
    func pdf(fromDOCX docx: Data) async throws -> Data {
        lock.withLock { _docx += 1 }
        return Self.pdfBytes
    }
    func png(fromSVG svg: String) -> Data? {
        lock.withLock { _svgs.append(svg) }
        return Self.pngBytes
    }
}
