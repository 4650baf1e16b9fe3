import Fluent
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Missing, oversized and malformed input: a clear Vietnamese answer and
/// nothing changed in the database.
@Suite("Bad input to forms and endpoints", .serialized)
struct ServerBadInputTests {
    func admin(_ app: Application) async throws -> Browser {
        let b = Browser(app)
        _ = try await b.signIn("quantri")
        return b
    }

    func counts(_ app: Application) async throws -> [Int] {
        [try await UnitModel.query(on: app.db).count(), try await UserAccount.query(on: app.db).count(),
         try await FrameworkVersion.query(on: app.db).count(), try await Period.query(on: app.db).count(),
         try await UnitLineage.query(on: app.db).count()]
    }

    @Test("units through the API: missing, malformed, invalid, duplicate, oversized")
    func unitsAPI() async throws {
        try await withDemoApp { app in
            let b = try await admin(app)
            let before = try await counts(app)
            let missing = try await b.send(.POST, "/api/v1/units", body: #"{"code":"X1"}"#, contentType: .json)
            #expect(missing.status == .badRequest)
            #expect(missing.body.contains("thiếu trường"))
            let malformed = try await b.send(.POST, "/api/v1/units", body: #"{"code": "#, contentType: .json)
            #expect(malformed.status == .badRequest)
            #expect(malformed.body.contains("Dữ liệu không hợp lệ"))
            let invalid = try await b.send(.POST, "/api/v1/units", json: ["code": "A B", "name": " ", "level": "tinh", "group": ""])
            #expect(invalid.status == .unprocessableEntity)
            for text in ["chỉ được chứa chữ, số", "Tên đơn vị (name) không được để trống", "Cấp \\\"tinh\\\" không hợp lệ", "Nhóm xếp hạng (group) không được để trống"] {
                #expect(invalid.body.contains(text), "\(text) in \(invalid.body)")
            }
            let duplicate = try await b.send(.POST, "/api/v1/units", json: ["code": "SNNPTNT", "name": "Trùng", "level": "department", "group": "Sở, ban, ngành"])
            #expect(duplicate.status == .unprocessableEntity)
            #expect(duplicate.body.contains("đã tồn tại"))
            let huge = try await b.send(.POST, "/api/v1/units", json: ["code": "BIG", "name": String(repeating: "x", count: 70_000), "level": "department", "group": "g"], live: true)
            #expect(huge.status == .payloadTooLarge)
            #expect(huge.body.contains("quá lớn"))
            let long = try await b.send(.POST, "/api/v1/units", json: ["code": "LONG", "name": String(repeating: "x", count: 300), "level": "department", "group": "g"])
            #expect(long.status == .unprocessableEntity)
            #expect(long.body.contains("quá dài"))
            #expect(try await counts(app) == before)
        }
    }

    @Test("the unit form keeps what was typed and lists every problem, in the page")
    func unitForm() async throws {
        try await withDemoApp { app in
            let b = try await admin(app)
            let before = try await counts(app)
            let r = try await b.send(.POST, "/admin/units", form: ["code": "SXD", "name": "Sở Xây dựng (bản sao)", "level": "department", "group": ""])
            #expect(r.status == .unprocessableEntity)
            #expect(r.headers.contentType == .html)
            #expect(r.body.contains("Mã đơn vị &quot;SXD&quot; đã tồn tại.") || r.body.contains("Mã đơn vị \"SXD\" đã tồn tại."))
            #expect(r.body.contains("Sở Xây dựng (bản sao)"))
            let missing = try await b.send(.POST, "/admin/units", form: ["code": "X"])
            #expect(missing.status == .badRequest)
            #expect(missing.body.contains("thiếu trường"))
            #expect(try await counts(app) == before)
        }
    }

    @Test("a CSV import with one bad line imports nothing and names the lines")
    func csvImport() async throws {
        try await withDemoApp { app in
            let b = try await admin(app)
            let before = try await counts(app)
            let csv = "code,name,level,group,parent\nX1,Xã Một,commune,UBND cấp xã,KRONGPAC\nX2,,commune,UBND cấp xã,KRONGPAC\nX1,Xã Trùng,commune,UBND cấp xã,\nX3,Xã Ba,xa,UBND cấp xã,KHONGCO\n"
            let r = try await b.send(.POST, "/api/v1/units/import", body: csv, contentType: .init(type: "text", subType: "csv"))
            #expect(r.status == .unprocessableEntity)
            #expect(r.body.contains("Dòng 3: Tên đơn vị (name) không được để trống."))
            #expect(r.body.contains("Dòng 4: Mã đơn vị \\\"X1\\\" trùng với dòng 2."))
            #expect(r.body.contains("Dòng 5: Cấp \\\"xa\\\" không hợp lệ"))
            #expect(r.body.contains("Dòng 5: Đơn vị cấp trên \\\"KHONGCO\\\" không tồn tại."))
            let noHeader = try await b.send(.POST, "/api/v1/units/import", body: "a,b\n1,2\n", contentType: .plainText)
            #expect(noHeader.status == .unprocessableEntity)
            #expect(noHeader.body.contains("thiếu cột bắt buộc"))
            #expect(try await counts(app) == before)
            let good = try await b.send(.POST, "/api/v1/units/import", body: "code,name,level,group,parent\nX1,Xã Ea Phê,commune,UBND cấp xã,KRONGPAC\nX2,Xã Krông Búk,commune,UBND cấp xã,KRONGPAC\n", contentType: .plainText)
            #expect(good.status == .ok)
            #expect(good.body.contains(#""created":2"#))
        }
    }

    @Test("frameworks: malformed YAML names its line; a changed file under the same version is refused")
    func frameworks() async throws {
        try await withDemoApp { app in
            let b = try await admin(app)
            let before = try await counts(app)
            let bad = try await b.send(.POST, "/api/v1/frameworks", body: "schema: opendti.framework/1\nid: t\ntitle: T\nlevel: district\nyear: 2025\nversion: 1\nmethod: raw\ntree:\n  - {index: a, name: A, max: mười, rule: {type: yes_no}}\n")
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.contains("tệp tải lên:9:30: trường \\\"max\\\": \\\"mười\\\" không phải là số"))
            let path = TestPaths.frameworks + "/daklak-2021-department.yaml"
            let original = try String(contentsOfFile: path, encoding: .utf8)
            let same = try await b.send(.POST, "/api/v1/frameworks", body: original)
            #expect(same.status == .ok)
            let changed = try await b.send(.POST, "/api/v1/frameworks", body: original.replacingOccurrences(of: "max: 27", with: "max: 28").replacingOccurrences(of: "rule: {type: manual, rubric: \"Theo Phụ lục IA, Quyết định 2425/QĐ-UBND (tiêu chí chi tiết chưa có trong OpenDTI)\"}", with: "rule: {type: manual}"))
            #expect(changed.status == .conflict || changed.status == .unprocessableEntity)
            #expect(try await counts(app) == before)
        }
    }

    @Test("periods, accounts and lineage refuse invalid values and change nothing")
    func periodsAccountsLineage() async throws {
        try await withDemoApp { app in
            let b = try await admin(app)
            let before = try await counts(app)
            struct PeriodBody: Encodable {
                struct P: Encodable { var phase: String; var startsOn: String; var endsOn: String }
                struct F: Encodable { var level: String; var key: String; var version: Int }
                var year: Int; var title: String; var phases: [P]; var frameworks: [F]
            }
            let period = try await b.send(.POST, "/api/v1/periods", json: PeriodBody(
                year: 2025, title: "Kỳ 2025",
                phases: [.init(phase: "evaluation", startsOn: "2026-04-15", endsOn: "2026-03-26"), .init(phase: "cham-diem", startsOn: "2026-02-30", endsOn: "2026-03-01")],
                frameworks: [.init(level: "commune", key: "daklak-2023-department", version: 1)]))
            #expect(period.status == .unprocessableEntity)
            #expect(period.body.contains("ngày bắt đầu 15\\/04\\/2026 sau ngày kết thúc 26\\/03\\/2026"), "\(period.body)")
            #expect(period.body.contains("Giai đoạn \\\"cham-diem\\\" không hợp lệ"))
            #expect(period.body.contains("dành cho cấp department, không phải commune"))
            let weak = try await b.send(.POST, "/api/v1/users", json: ["username": "moi", "displayName": "Người mới", "password": "12345", "role": "focal_point", "unitCode": "KHONGCO"])
            #expect(weak.status == .unprocessableEntity)
            #expect(weak.body.contains("Mật khẩu cần ít nhất 10 ký tự."))
            #expect(weak.body.contains("cần mã của một đơn vị có thật"))
            struct Lineage: Encodable { var kind: String; var predecessors: [String]; var successors: [String]; var effectiveOn: String }
            let merge = try await b.send(.POST, "/api/v1/units/lineage", json: Lineage(kind: "merge", predecessors: ["BUONHO"], successors: ["KHONGCO"], effectiveOn: "2025-07-01"))
            #expect(merge.status == .unprocessableEntity)
            #expect(merge.body.contains("Sáp nhập cần ít nhất hai đơn vị cũ"))
            #expect(merge.body.contains("Không có đơn vị mã \\\"KHONGCO\\\""))
            #expect(try await counts(app) == before)
            let links = try await UnitLineage.query(on: app.db).count()
            let ok = try await b.send(.POST, "/api/v1/units/lineage", json: Lineage(kind: "merge", predecessors: ["BUONHO", "KRONGBUK"], successors: ["KRONGNANG"], effectiveOn: "2025-07-01"))
            #expect(ok.status == .created)
            #expect(try await UnitLineage.query(on: app.db).count() == links + 2)
        }
    }
}
