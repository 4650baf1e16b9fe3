import Fluent
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// The administrator's pages, used as a person would: forms in, pages out.
@Suite("Administration pages", .serialized)
struct AdminFormsTests {
    @Test("create an account and issue a token from the accounts page")
    func accounts() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            _ = try await b.signIn("quantri")
            let page = try await b.send(.GET, "/admin/users")
            #expect(page.status == .ok)
            #expect(page.body.contains("daumoi.snn"))
            let bad = try await b.send(.POST, "/admin/users", form: ["username": "Nguyễn A", "displayName": "Nguyễn Văn A", "password": "ngan", "role": "evaluator", "scopeUnits": "KHONGCO"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.contains("Tên đăng nhập chỉ gồm chữ không dấu"))
            #expect(bad.body.contains("Mật khẩu cần ít nhất 10 ký tự."))
            #expect(bad.body.contains("Phạm vi đơn vị: không có đơn vị mã &quot;KHONGCO&quot;.") || bad.body.contains("Phạm vi đơn vị: không có đơn vị mã \"KHONGCO\"."))
            #expect(bad.body.contains("Nguyễn Văn A"), "what was typed is kept")
            let ok = try await b.send(.POST, "/admin/users", form: ["username": "thamdinh.krongpac", "displayName": "Phòng VH-TT huyện Krông Pắc",
                                                                     "password": "Xa-phuong#2026", "role": "evaluator", "scopeUnits": "KRONGPAC", "scopeFields": "1;3"])
            #expect(ok.status == .seeOther)
            let user = try #require(try await UserAccount.query(on: app.db).filter(\.$username == "thamdinh.krongpac").first())
            #expect(user.scopeUnits == "KRONGPAC" && user.scopeFields == "1;3")
            #expect(user.passwordHash.hasPrefix("$2"))
            let token = try await b.send(.POST, "/admin/tokens", form: ["username": "thamdinh.krongpac", "name": "Đồng bộ", "days": "30"])
            #expect(token.status == .ok)
            #expect(token.body.contains("Mã chỉ hiển thị một lần"))
            #expect(token.body.contains("dti_"))
        }
    }

    @Test("create a period with its phases and frameworks, then lock it")
    func periods() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            _ = try await b.signIn("quantri")
            let form = try await b.send(.GET, "/admin/periods/new")
            #expect(form.status == .ok)
            #expect(form.body.contains("daklak-2023-district@1"))
            let bad = try await b.send(.POST, "/admin/periods", form: ["year": "hai nghìn", "title": "", "evaluation_from": "2026-04-15", "evaluation_to": "2026-03-26"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.contains("không hợp lệ; cần năm từ 2000 đến 2100"))
            #expect(bad.body.contains("ngày bắt đầu 15/04/2026 sau ngày kết thúc 26/03/2026"))
            let ok = try await b.send(.POST, "/admin/periods", form: [
                "year": "2025", "title": "Đánh giá Chỉ số chuyển đổi số năm 2025",
                "self_assessment_from": "2026-01-05", "self_assessment_to": "2026-03-20",
                "evaluation_from": "2026-03-23", "evaluation_to": "2026-04-15",
                "fw_department": "daklak-2023-department@1", "fw_district": "daklak-2023-district@1"])
            #expect(ok.status == .seeOther)
            let location = try #require(ok.headers.first(name: .location))
            let detail = try await b.send(.GET, location)
            #expect(detail.body.contains("Đánh giá, thẩm định"))
            #expect(detail.body.contains("23/03/2026"))
            #expect(detail.body.contains("Khóa kỳ đánh giá"))
            let lock = try await b.send(.POST, "/admin" + location + "/lock", form: [:])
            #expect(lock.status == .seeOther)
            let locked = try await b.send(.GET, location)
            #expect(locked.body.contains("Kỳ đánh giá đã khóa"))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "period_locked").count() == 1)
        }
    }

    @Test("import a framework by pasting it; a broken file is shown back with its errors")
    func frameworkImport() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            _ = try await b.signIn("quantri")
            #expect(try await b.send(.GET, "/admin/frameworks/new").status == .ok)
            let original = try String(contentsOfFile: TestPaths.frameworks + "/example-all-rules.yaml", encoding: .utf8)
            let next = original.replacingOccurrences(of: "version: 1", with: "version: 2")
            let ok = try await b.send(.POST, "/admin/frameworks", form: ["yaml": next])
            #expect(ok.status == .seeOther)
            #expect(ok.headers.first(name: .location) == "/frameworks/example-all-rules/2")
            let broken = try await b.send(.POST, "/admin/frameworks", form: ["yaml": next.replacingOccurrences(of: "version: 2", with: "version: 3").replacingOccurrences(of: "type: yes_no", with: "type: co_khong")])
            #expect(broken.status == .unprocessableEntity)
            #expect(broken.body.contains("co_khong"))
            #expect(try await FrameworkVersion.query(on: app.db).filter(\.$key == "example-all-rules").count() == 2)
        }
    }

    @Test("a framework version with no room for the next (9223372036854775807) is refused by name; the workbook upload after it answers, and the server lives (issue 31, Medium 8)")
    func frameworkVersionOverflow() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            _ = try await b.signIn("quantri")
            let original = try String(contentsOfFile: TestPaths.frameworks + "/example-all-rules.yaml", encoding: .utf8)
            let huge = original.replacingOccurrences(of: "version: 1", with: "version: 9223372036854775807")
            let refused = try await b.send(.POST, "/admin/frameworks", form: ["yaml": huge])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("phiên bản là số nguyên từ 1 đến 1000000"), "\(refused.body.prefix(2000))")
            #expect(try await FrameworkVersion.query(on: app.db).filter(\.$key == "example-all-rules").filter(\.$version > 1).count() == 0)
            // The framework's workbook, uploaded back: the next version, and the server answers the next request.
            let workbook = try await Browser(app).download("/frameworks/example-all-rules/1/framework.xlsx")
            let upload = try await b.upload("/admin/frameworks/file", file: (field: "file", name: "bo-chi-so.xlsx", data: workbook))
            #expect(upload.status == .ok, "\(upload.body.prefix(500))")
            #expect(try await b.send(.GET, "/healthz").status == .ok)
        }
    }

    @Test("record a merge from a unit's page; the page tells the lineage")
    func lineage() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            _ = try await b.signIn("quantri")
            let page = try await b.send(.GET, "/units/BUONHO")
            #expect(page.status == .ok)
            #expect(page.body.contains("Ghi nhận sáp nhập"))
            let bad = try await b.send(.POST, "/admin/lineage", form: ["kind": "merge", "predecessors": "BUONHO", "successors": "KRONGNANG", "effectiveOn": "2025-07-01"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.contains("Sáp nhập cần ít nhất hai đơn vị cũ"))
            let ok = try await b.send(.POST, "/admin/lineage", form: ["kind": "merge", "predecessors": "BUONHO;KRONGBUK", "successors": "KRONGNANG",
                                                                    "effectiveOn": "2025-07-01", "note": "Nghị quyết sắp xếp đơn vị hành chính"])
            #expect(ok.status == .seeOther)
            let after = try await Browser(app).send(.GET, "/units/BUONHO")
            #expect(after.body.contains("Từ 01/07/2025: UBND thị xã Buôn Hồ sáp nhập vào UBND huyện Krông Năng (Nghị quyết sắp xếp đơn vị hành chính)."))
            #expect(!after.body.contains("Ghi nhận sáp nhập"), "the form is for administrators only")
            let unit = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "BUONHO").first())
            #expect(unit.validUntil == "2025-07-01")
        }
    }
}
