import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// The Excel round trip: download the template, fill it offline (openpyxl
/// plays Excel), upload it through the browser form or the API.
@Suite("Excel template round trip", .serialized)
struct WorkbookTests {
    /// A period open for self-assessment whose district framework uses every
    /// rule type; a focal point for Krông Pắc.
    func setUp(_ app: Application) async throws -> (period: String, focal: Browser) {
        let admin = Browser(app)
        _ = try await admin.signIn("quantri")
        let r = try await admin.send(.POST, "/admin/periods", form: [
            "year": "2024", "title": "Thử nhập Excel",
            "self_assessment_from": "2020-01-01", "self_assessment_to": "2099-12-31",
            "evaluation_from": "2100-01-01", "evaluation_to": "2100-02-01",
            "fw_district": "example-all-rules@1", "fw_department": "daklak-2023-department@1"])
        #expect(r.status == .seeOther)
        let period = String(r.headers.first(name: .location)!.dropFirst("/periods/".count))
        let created = try await admin.send(.POST, "/api/v1/users", json: ["username": "daumoi.kp", "displayName": "Đầu mối Krông Pắc",
                                                                          "password": "Mat-khau#2026", "role": "focal_point", "unitCode": "KRONGPAC"])
        #expect(created.status == .created, "\(created.body)")
        let focal = Browser(app)
        _ = try await focal.signIn("daumoi.kp", password: "Mat-khau#2026")
        return (period, focal)
    }

    /// Fills the template with openpyxl: `cells` maps a criterion code to
    /// column letter → value (numbers as numbers, as Excel stores them).
    func fill(_ template: Data, _ cells: [String: [String: String]], extraRows: [[String]] = []) throws -> Data {
        let dir = FileManager.default.temporaryDirectory
        let input = dir.appendingPathComponent("tpl-\(UUID().uuidString).xlsx"), output = dir.appendingPathComponent("out-\(UUID().uuidString).xlsx")
        try template.write(to: input)
        defer { try? FileManager.default.removeItem(at: input); try? FileManager.default.removeItem(at: output) }
        let spec = String(decoding: try JSONSerialization.data(withJSONObject: ["cells": cells, "extra": extraRows]), as: UTF8.self)
        let script = """
        import json, sys, openpyxl
        spec = json.loads(sys.argv[3])
        wb = openpyxl.load_workbook(sys.argv[1])
        ws = wb["Tự đánh giá"]
        for row in ws.iter_rows(min_row=2):
            code = row[0].value
            for col, value in spec["cells"].get(code, {}).items():
                try: value = int(value)
                except ValueError:
                    try: value = float(value)
                    except ValueError: pass
                ws[f"{col}{row[0].row}"] = value
        for extra in spec["extra"]:
            ws.append(extra)
        wb.save(sys.argv[2])
        print("ok")
        """
        #expect(try python(script, input.path, output.path, spec) == "ok\n")
        return try Data(contentsOf: output)
    }

    struct View: Decodable {
        struct Row: Decodable { var code: String; var value: String; var b: String; var selfPoints: String; var explanation: String }
        var rows: [Row]
        var totalPoints: String
        func row(_ code: String) -> Row? { rows.first { $0.code == code } }
    }

    @Test("download, fill offline, upload through the browser form: every rule type imported, points by DTICore, the file named in the log")
    func roundTrip() async throws {
        try await withDemoApp { app in
            let (period, focal) = try await setUp(app)
            let page = "/periods/\(period)/units/KRONGPAC"
            let template = try await focal.send(.GET, page + "/workbook.xlsx")
            #expect(template.status == .ok)
            #expect(template.headers.contentType == AssessmentWorkbook.contentType)
            #expect(template.headers.first(name: .contentDisposition)?.contains("tu-danh-gia-KRONGPAC-2024.xlsx") == true)
            // What openpyxl sees: the header, each criterion with its rule and maximum, the hidden version column.
            let peek = """
            import openpyxl, sys
            wb = openpyxl.load_workbook(sys.argv[1]); ws = wb["Tự đánh giá"]
            print([c.value for c in ws[1]][:4], ws.column_dimensions["I"].hidden, wb["_opendti"].sheet_state)
            for row in ws.iter_rows(min_row=2, values_only=True):
                if row[0] == "1.1": print(row[0], row[2], row[6])
            """
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("t-\(UUID().uuidString).xlsx")
            let bytes = try await focal.download(page + "/workbook.xlsx")
            try bytes.write(to: path)
            defer { try? FileManager.default.removeItem(at: path) }
            let seen = try python(peek, path.path)
            #expect(seen.contains("['Mã', 'Nội dung', 'Cách tính điểm', 'Số liệu / kết quả (a)'] True hidden"), "\(seen)")
            #expect(seen.contains("1.1 "), "\(seen)")

            let filled = try fill(bytes, [
                "1.1": ["D": "3", "F": "Biên bản họp số 1, 2, 3"],
                "1.2": ["D": "3", "E": "4"],
                "1.3": ["D": "2", "E": "2", "F": "Chưa có bản scan"],
                "2.1": ["D": "Trưởng ban là Phó Bí thư/Phó Chủ tịch"],
                "2.2": ["D": "tham-gia; chu-tri"],
                "2.3": ["D": "có", "F": "Kế hoạch 15/KH-UBND"],
                "3.1": ["D": "7"],
                "3.2": ["D": "1200", "E": "1500"],
                "3.3": ["D": "8.5"],
            ])
            let imported = try await focal.upload(page + "/workbook", file: ("file", "so-lieu-krong-pac.xlsx", filled))
            #expect(imported.status == .ok, "\(imported.body.prefix(3000))")
            #expect(imported.body.contains("Đã nhập 9 tiêu chí từ tệp so-lieu-krong-pac.xlsx"))
            let view = try await focal.send(.GET, "/api/v1/periods/\(period)/units/KRONGPAC/self-assessment").json(View.self)
            // Each as the rule computes it: 3 meetings → 15; 3/4 → 15; 2/2 → 20; deputy → 5; both parts → 10; yes → 10;
            // 7 capped at 5 → 5; 1200/1500 → 12; manual 8,5.
            let expected = ["1.1": "15,00", "1.2": "15,00", "1.3": "20,00", "2.1": "5,00", "2.2": "10,00", "2.3": "10,00", "3.1": "5,00", "3.2": "12,00", "3.3": "8,50"]
            for (code, points) in expected { #expect(view.row(code)?.selfPoints == points, "\(code): \(String(describing: view.row(code)))") }
            #expect(view.row("2.1")?.value == "pho")
            #expect(view.row("2.2")?.value == "tham-gia;chu-tri")
            // A number cell (8.5 as Excel stores it) is kept in Vietnamese, as the user sees it.
            #expect(view.row("3.3")?.value == "8,5")
            #expect(view.row("1.1")?.explanation == "Biên bản họp số 1, 2, 3")
            let log = try await focal.send(.GET, "/api/v1/periods/\(period)/units/KRONGPAC/changes?criterion=1.2")
            #expect(log.body.contains("Nhập từ tệp Excel so-lieu-krong-pac.xlsx"))
            // Uploading the same file again changes nothing (versions moved on, but nothing differs).
            let again = try await focal.upload(page + "/workbook", file: ("file", "so-lieu-krong-pac.xlsx", filled))
            #expect(again.status == .ok)
            #expect(again.body.contains("không có số liệu mới"))
            // The template now carries the saved answers.
            let refreshed = try await focal.download("/api/v1/periods/\(period)/units/KRONGPAC/workbook")
            let check = """
            import openpyxl, sys, io
            ws = openpyxl.load_workbook(sys.argv[1])["Tự đánh giá"]
            print([(r[0], r[3], r[4], r[8]) for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "1.2"])
            """
            try refreshed.write(to: path)
            #expect(try python(check, path.path) == "[('1.2', '3', '4', 1)]\n")
        }
    }

    @Test("a file with mistakes is refused whole, every problem named by row and column; nothing changes")
    func refusedWhole() async throws {
        try await withDemoApp { app in
            let (period, focal) = try await setUp(app)
            let base = "/api/v1/periods/\(period)/units/KRONGPAC"
            struct Body: Encodable { var value: String; var version: Int }
            #expect(try await focal.send(.PUT, base + "/answers/3.1", json: Body(value: "2", version: 0)).status == .ok)
            let template = try await focal.download(base + "/workbook")
            let bad = try fill(template, [
                "1.1": ["D": "ba cuộc"],
                "1.2": ["D": "5", "E": "4"],
                "1": ["D": "10"],
                "2.1": ["D": "không rõ"],
                "3.1": ["D": "4"],
            ], extraRows: [["9.9", "", "", "1"], ["1.1", "", "", "2"]])
            let refused = try await focal.upload("/periods/\(period)/units/KRONGPAC/workbook", file: ("file", "loi.xlsx", bad))
            #expect(refused.status == .unprocessableEntity)
            for needle in ["Tệp Excel chưa được nhập; không có số liệu nào thay đổi", "cột D — Tiêu chí 1.1", "cột D–E — Tiêu chí 1.2",
                           "đây là nhóm", "Tiêu chí 2.1", "không có tiêu chí &quot;9.9&quot;", "tiêu chí 1.1 đã có ở dòng"] {
                #expect(refused.body.contains(needle), "\(needle)")
            }
            // 3.1 was unchanged in the file's version but is valid: still nothing was written.
            let view = try await focal.send(.GET, base + "/self-assessment").json(View.self)
            #expect(view.row("3.1")?.value == "2")
            #expect(view.row("1.1")?.value == "")

            // Someone saved after the template was downloaded: that row is refused.
            #expect(try await focal.send(.PUT, base + "/answers/3.1", json: Body(value: "3", version: 1)).status == .ok)
            let stale = try fill(template, ["3.1": ["D": "4"]])
            let conflict = try await focal.send(.POST, base + "/workbook?name=cu.xlsx", data: stale, contentType: AssessmentWorkbook.contentType)
            #expect(conflict.status == .unprocessableEntity)
            #expect(conflict.body.contains("tải tệp mẫu mới"), "\(conflict.body)")
            // Not an Excel file; another unit's template.
            let csv = try await focal.send(.POST, base + "/workbook", data: Data("Mã,Giá trị\n1.1,3\n".utf8), contentType: AssessmentWorkbook.contentType)
            #expect(csv.status == .unprocessableEntity)
            #expect(csv.body.contains("Không đọc được tệp Excel"))
            let snn = Browser(app)
            _ = try await snn.signIn("daumoi.snn")
            let other = try await snn.download("/api/v1/periods/\(period)/units/SNNPTNT/workbook")
            let wrongUnit = try await focal.send(.POST, base + "/workbook", data: other, contentType: AssessmentWorkbook.contentType)
            #expect(wrongUnit.status == .unprocessableEntity)
            #expect(wrongUnit.body.contains("Tệp mẫu này của đơn vị"))
            // The API import works; other accounts are refused.
            let fresh = try await focal.download(base + "/workbook")
            let ok = try await focal.send(.POST, base + "/workbook", data: try fill(fresh, ["3.1": ["D": "4"]]), contentType: AssessmentWorkbook.contentType)
            #expect(ok.status == .ok, "\(ok.body)")
            #expect(ok.body.contains(#""changed":["3.1"]"#))
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            #expect(try await evaluator.send(.POST, base + "/workbook", data: fresh, contentType: AssessmentWorkbook.contentType).status == .forbidden)
        }
    }
}
