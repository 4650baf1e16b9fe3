import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Issue 9: one typed published record that every page and file reads, and
/// that anyone can check with `dti verify`.
@Suite("The published record", .serialized)
struct PublishedRecordTests {
    struct Body: Encodable { var value: String; var version: Int }

    /// Main-index points of five provinces on the national 922 framework
    /// (indices 1–9; index 6, Đô thị thông minh, has maximum 0).
    static let provinces: [(code: String, name: String, points: [String], index: String, rank: String)] = [
        ("TINH-A", "Tỉnh Alpha", ["80,02", "80,02", "80,02", "80,02", "80,02", "0", "160,04", "120,03", "120,03"], "0.8002", "2"),
        ("TINH-B", "Tỉnh Bắc", ["100", "100", "100", "100", "100", "0", "100", "75", "75"], "0.7500", "4"),
        ("TINH-C", "Tỉnh Cao", ["90", "90", "90", "90", "90", "0", "180", "135", "135"], "0.9000", "1"),
        // 0,05 + 0,06 + 0,07 + 0,08 + 0,09 + 0,2 × 100/200 + 0,15 × 50/150 + 0,15 × 100/150 = 0,6000
        ("TINH-D", "Tỉnh Đông", ["50", "60", "70", "80", "90", "0", "100", "50", "100"], "0.6000", "5"),
        ("TINH-E", "Tỉnh Ea", ["80,02", "80,02", "80,02", "80,02", "80,02", "0", "160,04", "120,03", "120,03"], "0.8002", "2"),
    ]

    /// Five provinces submit their main-index points on the national 922
    /// framework; the administrator publishes. Returns the period id.
    func publishWeighted(_ app: Application) async throws -> String {
        let admin = Browser(app)
        _ = try await admin.signIn("quantri")
        let password = "Mat-khau#2026"
        // The provinces exist before the period that covers them.
        for p in Self.provinces {
            let unit = try await admin.send(.POST, "/api/v1/units", json: ["code": p.code, "name": p.name, "level": "province", "group": "Tỉnh, thành phố"])
            #expect(unit.status == .created, "\(unit.body)")
        }
        let period = try await periodWithAllPhasesOpen(app, year: 2022, title: "DTI cấp tỉnh 2022 (thử, phương pháp 922)",
                                                       frameworks: ["province": "national-922-province@1"])
        for p in Self.provinces {
            for (role, prefix) in [("focal_point", "dm"), ("unit_leader", "ld")] {
                let account = try await admin.send(.POST, "/api/v1/users", json: ["username": "\(prefix).\(p.code.lowercased())", "displayName": "\(prefix) \(p.name)",
                                                                                  "password": password, "role": role, "unitCode": p.code])
                #expect(account.status == .created, "\(account.body)")
            }
            let focal = Browser(app)
            _ = try await focal.signIn("dm.\(p.code.lowercased())", password: password)
            for (i, value) in p.points.enumerated() {
                let r = try await focal.send(.PUT, "/api/v1/periods/\(period)/units/\(p.code)/answers/\(i + 1)", json: Body(value: value, version: 0))
                #expect(r.status == .ok, "\(p.code) \(i + 1): \(r.body)")
            }
            #expect(try await focal.send(.POST, "/api/v1/periods/\(period)/units/\(p.code)/submit", json: [String: String]()).status == .ok)
            let leader = Browser(app)
            _ = try await leader.signIn("ld.\(p.code.lowercased())", password: password)
            #expect(try await leader.send(.POST, "/api/v1/periods/\(period)/units/\(p.code)/approve", json: [String: String]()).status == .ok)
        }
        // The live ranking, before publication, already shows the weighted index.
        let live = try await admin.send(.GET, "/api/v1/periods/\(period)/ranking")
        for p in Self.provinces { #expect(live.body.contains(#""display" : "\#(p.index)""#) || live.body.contains(#""display": "\#(p.index)""#), "live \(p.code)") }
        try await readyForPublication(app, period)
        let published = try await admin.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]())
        #expect(published.status == .created, "\(published.body.prefix(500))")
        return period
    }

    @Test("a period on the weighted 922 method: the API, the ranking page, the XLSX, the scorecard, the live ranking and dti verify show the same four-decimal index")
    func weighted() async throws {
        try await withDemoApp { app in
            let period = try await publishWeighted(app)
            let anonymous = Browser(app)
            let api = try await anonymous.send(.GET, "/api/v1/results/\(period)")
            #expect(api.status == .ok)
            let page = try await anonymous.send(.GET, "/results/\(period)")
            #expect(page.status == .ok)
            // Raw points (800,2) must not stand in for the index anywhere.
            #expect(!page.body.contains(">800.20<") && !page.body.contains(">800,20<"))
            for p in Self.provinces {
                #expect(api.body.contains(#""display": "\#(p.index)""#), "API \(p.code)")
                #expect(page.body.contains(">\(p.index)<"), "page \(p.code)")
                let card = try await anonymous.send(.GET, "/results/\(period)/units/\(p.code)")
                #expect(card.status == .ok, "scorecard \(p.code)")
                #expect(card.body.contains(p.index), "scorecard \(p.code)")
                #expect(card.body.contains("\(p.rank)/"), "scorecard rank \(p.code)")
            }
            // The Excel file: openpyxl reads the index cells as numbers.
            let xlsx = try await anonymous.download("/results/\(period)/export.xlsx")
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("w-\(UUID().uuidString).xlsx")
            try xlsx.write(to: path)
            defer { try? FileManager.default.removeItem(at: path) }
            let read = try python("""
            import openpyxl, sys
            wb = openpyxl.load_workbook(sys.argv[1])
            for ws in wb.worksheets:
                header = [c.value for c in ws[1]]
                if "Chỉ số" not in header: continue
                i = header.index("Chỉ số")
                for row in ws.iter_rows(min_row=2, values_only=True):
                    if row[1] and str(row[1]).startswith("Tỉnh ") and isinstance(row[i], float): print(row[1], "%.4f" % row[i])
            """, path.path)
            for p in Self.provinces { #expect(read.contains("\(p.name) \(p.index)"), "XLSX \(p.code): \(read)") }
            // The record, downloaded as anyone would, checked by dti verify with and without the framework file.
            let record = try await anonymous.send(.GET, "/results/\(period)/record.json")
            #expect(record.status == .ok)
            let sha = try #require(record.headers.first(name: "X-DTI-SHA256"))
            #expect(record.headers.first(name: .eTag) == "\"\(sha)\"")
            #expect(record.body.contains(#""schema": "opendti.record/1""#))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("record-\(UUID().uuidString).json")
            try Data(record.body.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let framework = TestPaths.frameworks + "/national-922-province-2022.yaml"
            for arguments in [[file.path], [file.path, framework]] {
                let out = try runDTI(["verify"] + arguments)
                #expect(out.status == 0, "\(out.stderr)")
                #expect(out.stdout.contains("khớp") && out.stdout.contains(sha), "\(out.stdout)")
            }
            // One figure changed in the file: every difference named, exit 1.
            let tampered = record.body.replacingOccurrences(of: #""display": "0.9000""#, with: #""display": "0.9100""#)
            try Data(tampered.utf8).write(to: file)
            let bad = try runDTI(["verify", file.path])
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("Tỉnh Cao: hiển thị \"0.9100\" trong bản ghi, tính lại được \"0.9000\""), "\(bad.stderr)")
        }
    }

    @Test("past decisions become the same record: Đắk Lắk 2021 verifies, and M'Drắk has one rank on the page, in JSON, CSV and XLSX")
    func legacyRecord() async throws {
        try await withDemoApp { app in
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2021).first())
            let b = Browser(app)
            let record = try await b.send(.GET, "/api/v1/results/\(period.id!)/record")
            #expect(record.status == .ok)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("dl2021-\(UUID().uuidString).json")
            try Data(record.body.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let out = try runDTI(["verify", file.path])
            #expect(out.status == 0 && out.stdout.contains("khớp"), "\(out.stderr)")
            // M'Drắk did not report: ranked last (15), the same everywhere.
            let page = try await b.send(.GET, "/results/\(period.id!)")
            #expect(page.body.contains("M&#39;Drắk") || page.body.contains("M'Drắk"))
            let csv = try await b.send(.GET, "/results/\(period.id!)/export.csv")
            let line = try #require(csv.body.split(separator: "\r\n").first { $0.contains("M'Drắk") || $0.contains("M’Drắk") })
            #expect(line.contains(",15,"), "\(line)")
            #expect(record.body.contains(#""rank": 15"#))
            let xlsx = try await b.download("/results/\(period.id!)/export.xlsx")
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("dl-\(UUID().uuidString).xlsx")
            try xlsx.write(to: path)
            defer { try? FileManager.default.removeItem(at: path) }
            let read = try python("""
            import openpyxl, sys
            for ws in openpyxl.load_workbook(sys.argv[1]).worksheets:
                header = [c.value for c in ws[1]]
                if "Xếp hạng" not in header: continue
                i = header.index("Xếp hạng")
                for row in ws.iter_rows(min_row=2, values_only=True):
                    if row[1] and "Drắk" in str(row[1]): print(row[i])
            """, path.path)
            #expect(read.trimmingCharacters(in: .whitespacesAndNewlines) == "15", "\(read)")
        }
    }

    @Test("a criterion that does not apply to a unit is no lost point on its scorecard nor in the what-if; API dates are ISO both ways")
    func notApplicableIsNoLoss() async throws {
        try await withDemoApp { app in
            let period = try await periodWithAllPhasesOpen(app, year: 2026, title: "Thử không áp dụng", frameworks: ["department": "daklak-2023-department@1"])
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            // Dates: sent ISO, returned ISO.
            let detail = try await admin.send(.GET, "/api/v1/periods/\(period)")
            #expect(detail.body.contains(#""startsOn":"2020-01-01""#) && detail.body.contains(#""endsOn":"2099-12-31""#), "\(detail.body.prefix(400))")
            #expect(!detail.body.contains("01/01/2020"))
            // Thanh tra tỉnh has no online public services: 6.DVC (100 points) does not apply to it.
            for (role, prefix) in [("focal_point", "dm"), ("unit_leader", "ld")] {
                let r = try await admin.send(.POST, "/api/v1/users", json: ["username": "\(prefix).ttt", "displayName": "\(prefix) Thanh tra",
                                                                            "password": "Mat-khau#2026", "role": role, "unitCode": "TTT"])
                #expect(r.status == .created, "\(r.body)")
            }
            let focal = Browser(app)
            _ = try await focal.signIn("dm.ttt", password: "Mat-khau#2026")
            for (code, value) in [("1", "90"), ("2", "80"), ("3", "70"), ("4", "60"), ("5", "100"), ("6.KHAC", "300")] {
                let r = try await focal.send(.PUT, "/api/v1/periods/\(period)/units/TTT/answers/\(code)", json: Body(value: value, version: 0))
                #expect(r.status == .ok, "\(code): \(r.body)")
            }
            #expect(try await focal.send(.PUT, "/api/v1/periods/\(period)/units/TTT/answers/6.DVC", json: Body(value: "50", version: 0)).status == .unprocessableEntity)
            #expect(try await focal.send(.POST, "/api/v1/periods/\(period)/units/TTT/submit", json: [String: String]()).status == .ok)
            let leader = Browser(app)
            _ = try await leader.signIn("ld.ttt", password: "Mat-khau#2026")
            #expect(try await leader.send(.POST, "/api/v1/periods/\(period)/units/TTT/approve", json: [String: String]()).status == .ok)
            try await readyForPublication(app, period)
            #expect(try await admin.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]()).status == .created)
            let card = try await Browser(app).send(.GET, "/results/\(period)/units/TTT")
            #expect(card.status == .ok)
            // Out of 900: 700 points, 0,777778 → shown with the framework's decimals.
            let losses = try #require(card.body.range(of: "<ol>").map { String(card.body[$0.lowerBound...].prefix(1500)) })
            let list = String(losses[..<(losses.range(of: "</ol>")?.lowerBound ?? losses.endIndex)])
            #expect(!list.contains("6.DVC"), "\(list)")
            #expect(list.contains("6.KHAC") && list.contains("mất 100,00 / 400 điểm"), "\(list)")
            #expect(!(card.body.range(of: "Nếu đạt thêm").map { String(card.body[$0.lowerBound...].prefix(300)) } ?? "").contains("6.DVC"))
            #expect(card.body.contains("không áp dụng"))
        }
    }
}
