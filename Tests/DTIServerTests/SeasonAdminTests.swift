import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

extension Browser {
    /// Posts a form with repeated fields (`units[]`), as a browser sends ticked boxes.
    func post(_ path: String, pairs: [(String, String)]) async throws -> Result {
        let body = ([("csrf", csrf ?? "")] + pairs).map { "\($0.0.urlEncoded)=\($0.1.urlEncoded)" }.joined(separator: "&")
        return try await send(.POST, path, body: body, contentType: .urlEncodedForm, withCSRF: false)
    }
}

/// The administrator's season: the units of a period, its phases, the board,
/// the guarded publication, and the accounts — through the pages and the API.
/// A period as `POST /api/v1/periods` takes it (units nil: the default selection).
struct PeriodBody: Encodable {
    struct P: Encodable { var phase: String; var startsOn: String; var endsOn: String }
    struct F: Encodable { var level: String; var key: String; var version: Int }
    var year: Int; var title: String; var phases: [P]; var frameworks: [F]; var units: [String]?
}

@Suite("The administrator's season", .serialized)
struct SeasonAdminTests {
    func phases(_ p: [(Phase, String, String)]) -> [(String, String)] {
        p.flatMap { [("\($0.0.rawValue)_from", $0.1), ("\($0.0.rawValue)_to", $0.2)] }
    }

    @Test("a period for a selection of units: only units of its year, phases in order, a framework required; the others cannot open its form")
    func selection() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let form = try await admin.send(.GET, "/admin/periods/new")
            #expect(form.body.contains("name=\"units[]\" value=\"SNNPTNT\"") && form.body.contains("units_listed"))
            let historic = try #require(try await UnitModel.query(on: app.db).filter(\.$validUntil != nil).first())
            #expect(!form.body.contains("value=\"\(historic.code)\""), "a unit that no longer exists is not offered")

            // Out of order, no framework, no unit ticked: refused, all said at once, nothing written.
            let bad = try await admin.post("/admin/periods", pairs: [("year", "2026"), ("title", "Kỳ sai"), ("units_listed", "1")]
                + phases([(.selfAssessment, "2026-03-01", "2026-04-30"), (.evaluation, "2026-02-01", "2026-05-15")]))
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.contains("Giai đoạn &quot;Đánh giá, thẩm định&quot; bắt đầu (01/02/2026) trước giai đoạn &quot;Tự đánh giá&quot;"), "\(bad.body.prefix(2000))")
            #expect(bad.body.contains("Cần chọn bộ chỉ số cho ít nhất một cấp"))
            #expect(bad.body.contains("Cần chọn ít nhất một đơn vị tham gia"))
            // The API names a unit of another year.
            let old = try await admin.send(.POST, "/api/v1/periods", json: PeriodBody(year: 2026, title: "Kỳ có đơn vị cũ",
                phases: [.init(phase: "self_assessment", startsOn: "2020-01-01", endsOn: "2099-12-31")],
                frameworks: [.init(level: historic.level, key: historic.level == "district" ? "daklak-2023-district" : "daklak-2023-department", version: 1)],
                units: [historic.code]))
            #expect(old.status == .unprocessableEntity)
            #expect(old.body.contains("không còn tồn tại trong năm 2026"), "\(old.body)")
            #expect(try await Period.query(on: app.db).filter(\.$title == "Kỳ có đơn vị cũ").count() == 0)

            // Two units chosen.
            let ok = try await admin.post("/admin/periods", pairs: [("year", "2026"), ("title", "Đánh giá năm 2026"), ("units_listed", "1"),
                                                                     ("fw_department", "daklak-2023-department@1"),
                                                                     ("units[]", "SNNPTNT"), ("units[]", "STTTT"), ("units[]", "KRONGPAC")]
                + phases([(.selfAssessment, "2020-01-01", "2099-12-31"), (.evaluation, "2099-12-31", "2099-12-31")]))
            #expect(ok.status == .seeOther, "\(ok.body.prefix(1500))")
            let period = String(try #require(ok.headers.first(name: .location)).dropFirst("/periods/".count))
            let page = try await admin.send(.GET, "/periods/\(period)")
            #expect(page.body.contains("Đã tạo kỳ đánh giá"))
            let board = try await admin.send(.GET, "/api/v1/periods/\(period)/board")
            #expect(board.body.contains("\"SNNPTNT\"") && board.body.contains("\"STTTT\"") && !board.body.contains("\"STC\""))
            #expect(!board.body.contains("KRONGPAC"), "a district ticked while the period has no district framework does not take part")
            // A unit outside the period cannot open or fill its form.
            let other = Browser(app)
            _ = try await admin.send(.POST, "/api/v1/users", json: ["username": "daumoi.stc", "displayName": "Đầu mối STC", "password": "Mat-khau#2026",
                                                                    "role": "focal_point", "unitCode": "STC"])
            _ = try await other.signIn("daumoi.stc", password: "Mat-khau#2026")
            let refused = try await other.send(.GET, "/periods/\(period)/units/STC")
            #expect(refused.status == .notFound && refused.body.contains("không tham gia kỳ đánh giá"))
            struct Answer: Encodable { var value: String; var version: Int }
            #expect(try await other.send(.PUT, "/api/v1/periods/\(period)/units/STC/answers/1", json: Answer(value: "50", version: 0)).status == .notFound)
            // The focal point of a chosen unit can.
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await focal.send(.GET, "/periods/\(period)/units/SNNPTNT").status == .ok)
        }
    }

    @Test("re-dating: a started phase needs a reason, a reopening is in the audit log; the units are fixed once self-assessment is over; one unit reopened")
    func redating() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let edit = try await admin.send(.GET, "/admin/periods/\(period)/edit")
            #expect(edit.status == .ok && edit.body.contains("Sửa kỳ đánh giá") && edit.body.contains("name=\"reason\""))
            let pairs = [("title", "Đánh giá năm 2025 (thử)"), ("units_listed", "1"), ("units[]", "SNNPTNT"), ("units[]", "STTTT")]
            let noReason = try await admin.post("/admin/periods/\(period)",
                                                pairs: pairs + phases([(.selfAssessment, "2020-01-01", "2020-06-30"), (.evaluation, "2100-01-01", "2100-02-01")]))
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.body.contains("Giai đoạn &quot;Tự đánh giá&quot; đã bắt đầu; cần ghi lý do"), "\(noReason.body.prefix(1500))")
            // Closing self-assessment (yesterday) with a reason; the selection is taken in the same save.
            let yesterday = DateText.adding(days: -1, to: DateText.todayISO(app.clock.now()))
            let closed = try await admin.post("/admin/periods/\(period)", pairs: pairs + [("reason", "Hết hạn tự đánh giá theo Kế hoạch 12/KH")]
                + phases([(.selfAssessment, "2020-01-01", yesterday), (.evaluation, "2100-01-01", "2100-02-01")]))
            #expect(closed.status == .seeOther, "\(closed.body.prefix(1500))")
            #expect(try await admin.send(.GET, "/periods/\(period)").body.contains("Đã lưu thay đổi"))
            let board = try await admin.send(.GET, "/api/v1/periods/\(period)/board")
            #expect(board.body.contains("\"SNNPTNT\"") && !board.body.contains("\"STC\""))
            #expect(board.body.contains("Quá hạn tự đánh giá"), "units that did not send are overdue")
            // The selection no longer changes.
            struct Units: Encodable { var units: [String] }
            let late = try await admin.send(.PATCH, "/api/v1/periods/\(period)", json: Units(units: ["SNNPTNT"]))
            #expect(late.status == .unprocessableEntity && late.body.contains("không thể thay đổi các đơn vị tham gia"))
            // Reopened for everyone: the audit log says so, with the reason.
            struct Redate: Encodable { var phases: [PeriodInput.PhaseInput]; var reason: String }
            let reopened = try await admin.send(.PATCH, "/api/v1/periods/\(period)", json: Redate(phases: [
                .init(phase: "self_assessment", startsOn: "2020-01-01", endsOn: "2099-06-30"), .init(phase: "evaluation", startsOn: "2100-01-01", endsOn: "2100-02-01")],
                reason: "Gia hạn chung theo Công văn 45/STTTT"))
            #expect(reopened.status == .ok, "\(reopened.body)")
            let entry = try #require(try await AuditEntry.query(on: app.db).filter(\.$action == "phase_reopened").first())
            #expect(entry.detail.contains("Mở lại: Tự đánh giá") && entry.detail.contains("Công văn 45/STTTT"), "\(entry.detail)")
            // One unit reopened through the period page's form.
            let one = try await admin.post("/admin/periods/\(period)/exceptions", pairs: [("unit", "STTTT"), ("phase", "evaluation"), ("until", "2100-03-01"), ("reason", "Bổ sung hồ sơ")])
            #expect(one.status == .seeOther)
            #expect(try await admin.send(.GET, "/periods/\(period)").body.contains("Đã mở lại giai đoạn &quot;Đánh giá, thẩm định&quot; cho đơn vị STTTT"))
            // Phases out of order are refused on change too.
            let disorder = try await admin.send(.PATCH, "/api/v1/periods/\(period)", json: Redate(phases: [
                .init(phase: "self_assessment", startsOn: "2020-01-01", endsOn: "2099-06-30"), .init(phase: "publication", startsOn: "2019-01-01", endsOn: "2019-02-01")],
                reason: "thử"))
            #expect(disorder.status == .unprocessableEntity && disorder.body.contains("các giai đoạn phải theo thứ tự"))
        }
    }

    @Test("the season board: statuses, search without diacritics, filters, the Excel download, not-reporting marks")
    func board() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            struct Answer: Encodable { var value: String; var version: Int }
            #expect(try await focal.send(.PUT, "/api/v1/periods/\(period)/units/SNNPTNT/answers/1", json: Answer(value: "90", version: 0)).status == .ok)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let page = try await admin.send(.GET, "/periods/\(period)/board")
            #expect(page.status == .ok)
            #expect(page.body.contains("Sở Nông nghiệp và Phát triển nông thôn") && page.body.contains("Đang nhập") && page.body.contains("Chưa nhập"))
            #expect(page.body.contains("1/7"), "answered of applicable")
            let found = try await admin.send(.GET, "/periods/\(period)/board?q=nong%20nghiep")
            #expect(found.body.contains("Sở Nông nghiệp") && !found.body.contains("Sở Tài chính"))
            let drafts = try await admin.send(.GET, "/api/v1/periods/\(period)/board?status=draft")
            #expect(drafts.body.contains("\"SNNPTNT\"") && !drafts.body.contains("\"STC\""))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString).xlsx").path
            try await admin.download("/periods/\(period)/board.xlsx?status=none").write(to: URL(fileURLWithPath: file))
            let read = try python("""
                import sys, openpyxl
                ws = openpyxl.load_workbook(sys.argv[1]).active
                rows = [[c.value for c in r] for r in ws.iter_rows()]
                print(rows[0][1], len(rows) - 1, any(r[0] == 'STC' for r in rows), any(r[0] == 'SNNPTNT' for r in rows))
                """, file)
            // 21 sở (the demo's 18 and VPUBND, SNNMT, SDTTG of the 2025 list), less SNNPTNT with a draft and the board's other statuses.
            #expect(read.trimmingCharacters(in: .whitespacesAndNewlines) == "Đơn vị 20 True False", "\(read)")
            // Not reporting, with a reason; refused without one.
            let noReason = try await admin.post("/admin/periods/\(period)/not-reporting", pairs: [("units[]", "STC"), ("reason", " ")])
            #expect(noReason.status == .seeOther)
            #expect(try await admin.send(.GET, "/periods/\(period)/board").body.contains("cần ghi lý do"))
            _ = try await admin.post("/admin/periods/\(period)/not-reporting", pairs: [("units[]", "STC"), ("reason", "Sở sáp nhập, không báo cáo")])
            let marked = try await admin.send(.GET, "/periods/\(period)/board?status=not_reporting")
            #expect(marked.body.contains("Sở Tài chính") && marked.body.contains("Sở sáp nhập, không báo cáo"))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "unit_not_reporting").count() == 1)
            // "Chọn tất cả các đơn vị đang lọc": every unit the filter shows, not one tick each (issue 32, item 5);
            // the board comes back with the same filter.
            let untouched = try await admin.send(.GET, "/periods/\(period)/board?status=none")
            #expect(untouched.body.contains("Chọn tất cả 19 đơn vị đang lọc"), "\(untouched.body.count)")
            let all = try await admin.post("/admin/periods/\(period)/not-reporting", pairs: [
                ("allFiltered", "1"), ("status", "none"), ("level", ""), ("group", ""), ("q", ""), ("reason", "Không gửi báo cáo")])
            #expect(all.status == .seeOther && all.headers.first(name: .location) == "/periods/\(period)/board?status=none")
            let after = try await admin.send(.GET, "/periods/\(period)/board?status=none")
            #expect(after.body.contains("Đã đánh dấu 19 đơn vị không báo cáo"), "\(after.body.prefix(2000))")
            let notReporting = try await admin.send(.GET, "/api/v1/periods/\(period)/board?status=not_reporting")
            let marks = (try JSONSerialization.jsonObject(with: Data(notReporting.body.utf8)) as? [String: Any])?["units"] as? [[String: Any]] ?? []
            #expect(marks.count == 20 && !marks.contains { $0["code"] as? String == "SNNPTNT" }, "\(marks.map { $0["code"] ?? "" })")
            // With a search: only what it finds (the sở of finance, all marked above); cleared the same way.
            let finance = (try JSONSerialization.jsonObject(with: Data(try await admin.send(.GET, "/api/v1/periods/\(period)/board?q=tai%20chinh").body.utf8))
                           as? [String: Any])?["units"] as? [[String: Any]] ?? []
            #expect(!finance.isEmpty && finance.count < 20 && finance.allSatisfy { $0["status"] as? String == "not_reporting" })
            _ = try await admin.post("/admin/periods/\(period)/not-reporting", pairs: [("allFiltered", "1"), ("q", "tai chinh"), ("clear", "1")])
            let cleared = try await admin.send(.GET, "/periods/\(period)/board?q=tai%20chinh")
            #expect(cleared.body.contains("Đã bỏ đánh dấu không báo cáo cho \(finance.count) đơn vị"), "\(cleared.body.prefix(2000))")
            let stillMarked = try await admin.send(.GET, "/api/v1/periods/\(period)/board?status=not_reporting")
            #expect(((try JSONSerialization.jsonObject(with: Data(stillMarked.body.utf8)) as? [String: Any])?["units"] as? [[String: Any]])?.count == 20 - finance.count)
            // A unit's accounts do not see the board.
            #expect(try await focal.send(.GET, "/periods/\(period)/board").status == .forbidden)
            #expect(try await focal.send(.GET, "/api/v1/periods/\(period)/board").status == .forbidden)
        }
    }

    @Test("publication from the page: refused with the list, previewed, then published once everything holds")
    func guardedPublication() async throws {
        try await withDemoApp { app in
            let period = try await periodWithAllPhasesOpen(app, year: 2025, title: "Kỳ công bố thử", frameworks: ["department": "daklak-2023-department@1"])
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let checks = try await admin.send(.GET, "/periods/\(period)/publication")
            #expect(checks.status == .ok)
            #expect(checks.body.contains("✗ Chưa đạt") && checks.body.contains("Sở Tài chính: Chưa nhập") && checks.body.contains("Giai đoạn &quot;Tự đánh giá&quot; đến hết"))
            let early = try await admin.post("/periods/\(period)/publication", pairs: [])
            #expect(early.status == .conflict && early.body.contains("Chưa công bố: còn điều kiện chưa đạt"))
            #expect(try await PublishedRecordRow.query(on: app.db).count() == 3, "only the demo's three past periods")
            let preview = try await admin.send(.GET, "/periods/\(period)/publication/preview")
            #expect(preview.status == .ok && preview.body.contains("BẢN XEM TRƯỚC") && preview.body.contains("Sở Tài chính"))
            let docx = try await admin.send(.GET, "/periods/\(period)/publication/decision.docx")
            #expect(docx.status == .ok && docx.headers.first(name: .contentDisposition)?.contains("xem-truoc") == true)
            // Nobody else previews.
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            #expect(try await evaluator.send(.GET, "/periods/\(period)/publication/preview").status == .forbidden)

            try await readyForPublication(app, period)
            let ready = try await admin.send(.GET, "/periods/\(period)/publication")
            #expect(!ready.body.contains("✗ Chưa đạt"), "\(ready.body.suffix(3000))")
            let published = try await admin.post("/periods/\(period)/publication", pairs: [])
            #expect(published.status == .seeOther && published.headers.first(name: .location) == "/results/\(period)")
            let portal = try await Browser(app).send(.GET, "/results/\(period)")
            #expect(portal.status == .ok && portal.body.contains("Sở Tài chính"))
            #expect(try await admin.send(.GET, "/periods/\(period)/publication").body.contains("đã được công bố"))
        }
    }

    @Test("accounts: edit with the unit picker, disable and enable, reset to a temporary password changed at the next sign-in, one's own password")
    func accounts() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let created = try await admin.post("/admin/users", pairs: [("username", "daumoi.stc"), ("displayName", "Nguyễn Văn A"), ("password", "Mat-khau#2026"),
                                                                       ("role", "focal_point"), ("unitCode", "STC — Sở Tài chính")])
            #expect(created.status == .seeOther)
            #expect(try await admin.send(.GET, "/admin/users").body.contains("Đã tạo tài khoản daumoi.stc"))
            let edit = try await admin.send(.GET, "/admin/users/daumoi.stc")
            #expect(edit.body.contains("value=\"STC — Sở Tài chính\"") && edit.body.contains("<datalist id=\"unit-choices\">"))
            let moved = try await admin.post("/admin/users/daumoi.stc", pairs: [("displayName", "Nguyễn Văn An"), ("email", "an@stc.daklak.gov.vn"),
                                                                                ("role", "focal_point"), ("unitCode", "STTTT — Sở Thông tin và Truyền thông"),
                                                                                ("scopeUnits", ""), ("scopeFields", "")])
            #expect(moved.status == .seeOther, "\(moved.body.prefix(800))")
            let me = Browser(app)
            _ = try await me.signIn("daumoi.stc", password: "Mat-khau#2026")
            #expect(try await me.send(.GET, "/api/v1/me").body.contains("\"unitCode\":\"STTTT\""))
            let badUnit = try await admin.post("/admin/users/daumoi.stc", pairs: [("displayName", "x"), ("role", "focal_point"), ("unitCode", "KHONGCO")])
            #expect(badUnit.status == .unprocessableEntity && badUnit.body.contains("Không có đơn vị mã &quot;KHONGCO&quot;"))

            // Disabled: the open session stops working and signing in fails; enabled again.
            #expect(try await admin.post("/admin/users/daumoi.stc/disable", pairs: []).status == .seeOther)
            #expect(try await me.send(.GET, "/api/v1/me").status == .unauthorized)
            #expect(try await Browser(app).signIn("daumoi.stc", password: "Mat-khau#2026").status == .unauthorized)
            #expect(try await admin.post("/admin/users/daumoi.stc/enable", pairs: []).status == .seeOther)
            #expect(try await Browser(app).signIn("daumoi.stc", password: "Mat-khau#2026").status == .seeOther)
            // The last administrator is neither disabled nor demoted; nobody disables themselves.
            let selfDisable = try await admin.post("/admin/users/quantri/disable", pairs: [])
            #expect(selfDisable.status == .conflict && selfDisable.body.contains("Không thể tự khóa"))
            struct Role_: Encodable { var role: String }
            let demote = try await admin.send(.PATCH, "/api/v1/users/quantri", json: Role_(role: "viewer"))
            #expect(demote.status == .unprocessableEntity && demote.body.contains("tài khoản quản trị duy nhất"))

            // Reset: a temporary password shown once; the next sign-in must change it first.
            let reset = try await admin.post("/admin/users/daumoi.stc/reset-password", pairs: [])
            #expect(reset.status == .ok && reset.body.contains("chỉ hiển thị một lần"))
            #expect(reset.headers.first(name: .cacheControl) == "no-store")
            let secret = try #require(reset.body.range(of: "<code class=\"secret\">").map { String(reset.body[$0.upperBound...].prefix { $0 != "<" }) })
            #expect(try await admin.send(.GET, "/admin/users/daumoi.stc").body.contains(secret) == false, "shown once only")
            #expect(try await Browser(app).signIn("daumoi.stc", password: "Mat-khau#2026").status == .unauthorized, "the old password is gone")
            let fresh = Browser(app)
            let signIn = try await fresh.signIn("daumoi.stc", password: secret.replacingOccurrences(of: "&amp;", with: "&"))
            #expect(signIn.headers.first(name: .location) == "/account/password")
            let elsewhere = try await fresh.send(.GET, "/periods")
            #expect(elsewhere.status == .seeOther && elsewhere.headers.first(name: .location) == "/account/password")
            #expect(try await fresh.send(.GET, "/api/v1/periods").status == .forbidden)
            let mismatch = try await fresh.post("/account/password", pairs: [("current", secret), ("new", "Moi-mat-khau#1"), ("confirm", "Moi-mat-khau#2")])
            #expect(mismatch.status == .unprocessableEntity && mismatch.body.contains("không khớp"))
            let wrong = try await fresh.post("/account/password", pairs: [("current", "sai"), ("new", "Moi-mat-khau#1"), ("confirm", "Moi-mat-khau#1")])
            #expect(wrong.status == .unprocessableEntity && wrong.body.contains("Mật khẩu hiện tại không đúng"))
            let changed = try await fresh.post("/account/password", pairs: [("current", secret), ("new", "Moi-mat-khau#1"), ("confirm", "Moi-mat-khau#1")])
            #expect(changed.status == .ok && changed.body.contains("Đã đổi mật khẩu"))
            #expect(try await fresh.send(.GET, "/periods").status == .ok)
            #expect(try await Browser(app).signIn("daumoi.stc", password: "Moi-mat-khau#1").status == .seeOther)
            let actions = try await AuditEntry.query(on: app.db).filter(\.$target == "daumoi.stc").all().map(\.action)
            for a in ["user_created", "user_updated", "user_disabled", "user_enabled", "password_reset", "password_changed"] { #expect(actions.contains(a), "\(a)") }
            // The API: the reset answers the temporary password once.
            let apiReset = try await admin.send(.POST, "/api/v1/users/xem/reset-password", json: [String: String]())
            #expect(apiReset.status == .ok && apiReset.body.contains("\"password\""))
            #expect(try await admin.send(.POST, "/api/v1/users/khongco/disable", json: [String: String]()).status == .notFound)
        }
    }

    @Test("last year's period copied: the units, the newest framework versions, the dates a year on")
    func copy() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let ok = try await admin.post("/admin/periods", pairs: [("year", "2025"), ("title", "Đánh giá Chỉ số chuyển đổi số năm 2025"), ("units_listed", "1"),
                                                                     ("fw_department", "daklak-2023-department@1"), ("units[]", "SNNPTNT"), ("units[]", "STC")]
                + phases([(.selfAssessment, "2026-01-05", "2026-03-20"), (.evaluation, "2026-03-23", "2026-04-15")]))
            let period = String(try #require(ok.headers.first(name: .location)).dropFirst("/periods/".count))
            let copy = try await admin.send(.GET, "/admin/periods/new?from=\(period)")
            #expect(copy.body.contains("Đã sao chép từ"))
            #expect(copy.body.contains("value=\"2026\"") && copy.body.contains("năm 2026") && copy.body.contains("value=\"2027-01-05\"") && copy.body.contains("value=\"2027-04-15\""))
            #expect(copy.body.contains("value=\"SNNPTNT\" checked") && copy.body.contains("value=\"STC\" checked") && !copy.body.contains("value=\"STTTT\" checked"))
        }
    }
}

@Suite("Preliminary results, complaints, final publication and a correction", .serialized)
struct ComplaintTests {
    @Test("preliminary results: the unit complains twice, one accepted and one rejected; final publication after the window; a correction is a second version")
    func season() async throws {
        try await withDemoApp { app in
            let clock = FixedClock(Date())
            app.clock = clock
            let period = try await periodWithAllPhasesOpen(app, year: 2025, title: "Kỳ khiếu nại thử", frameworks: ["department": "daklak-2023-department@1"])
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            for (user, role) in [("daumoi.tttt", "focal_point"), ("lanhdao.tttt", "unit_leader")] {
                _ = try await admin.send(.POST, "/api/v1/users", json: ["username": user, "displayName": user, "password": "Mat-khau#2026", "role": role, "unitCode": "STTTT"])
            }
            let review = ReviewTests()
            try await review.fill(app, period, unit: "SNNPTNT", focal: "daumoi.snn", leader: "lanhdao.snn", values: ["90", "100", "80", "75", "60", "70", "350"])
            try await review.fill(app, period, unit: "STTTT", focal: "daumoi.tttt", leader: "lanhdao.tttt", password: "Mat-khau#2026",
                                  values: ["100", "100", "90", "80", "70", "80", "340"])
            // Not before the conditions hold.
            struct Until: Encodable { var complaintsUntil: String }
            let today = DateText.todayISO(clock.now())
            let until = DateText.adding(days: 3, to: today)
            #expect(try await admin.send(.POST, "/api/v1/periods/\(period)/preliminary", json: Until(complaintsUntil: until)).status == .conflict)
            try await readyForPublication(app, period)
            let sent = try await admin.post("/periods/\(period)/publication/preliminary", pairs: [("complaints_until", until)])
            #expect(sent.status == .seeOther)
            let board = try await admin.send(.GET, "/periods/\(period)/publication")
            #expect(board.body.contains("Đã gửi kết quả dự kiến cho các đơn vị"), "\(board.body.suffix(3000))")
            // Not public: the portal knows nothing yet.
            #expect(try await Browser(app).send(.GET, "/results/\(period)").status == .notFound)

            // The unit reads its own results; another unit may not.
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let mine = try await focal.send(.GET, "/periods/\(period)/units/SNNPTNT/results")
            #expect(mine.status == .ok && mine.body.contains("Kết quả dự kiến") && mine.body.contains("Gửi khiếu nại"))
            let other = Browser(app)
            _ = try await other.signIn("daumoi.tttt", password: "Mat-khau#2026")
            #expect(try await other.send(.GET, "/periods/\(period)/units/SNNPTNT/results").status == .forbidden)
            // Two complaints: one through the form with a PDF, one through the API; a bad one refused with what was typed kept.
            let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)
            let first = try await focal.upload("/periods/\(period)/units/SNNPTNT/complaints", fields: [("criterion", "3"), ("text", "Đã có biên bản kiểm tra hạ tầng số 12/BB")],
                                               file: (field: "file", name: "bien-ban-12.pdf", data: pdf))
            #expect(first.status == .seeOther, "\(first.body.prefix(800))")
            let empty = try await focal.upload("/periods/\(period)/units/SNNPTNT/complaints", fields: [("criterion", "4"), ("text", " ")], file: nil)
            #expect(empty.status == .unprocessableEntity && empty.body.contains("Cần ghi nội dung khiếu nại"))
            struct File: Encodable { var criterion: String; var text: String }
            let second = try await focal.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/complaints", json: File(criterion: "4", text: "Đề nghị chấm lại nhân lực số"))
            #expect(second.status == .created, "\(second.body)")
            #expect(try await other.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/complaints", json: File(criterion: "4", text: "x")).status == .forbidden)
            let listed = try await focal.send(.GET, "/periods/\(period)/units/SNNPTNT/results")
            #expect(listed.body.contains("bien-ban-12.pdf") && listed.body.contains("Đề nghị chấm lại nhân lực số") && listed.body.contains("Chờ trả lời"))

            // Final publication waits for the window and the answers.
            let early = try await admin.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]())
            #expect(early.status == .conflict && early.body.contains(#""key":"complaints""#))

            // The evaluator answers: criterion 3 accepted (80 → 85), criterion 4 rejected.
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let page = try await evaluator.send(.GET, "/periods/\(period)/complaints")
            #expect(page.body.contains("Đã có biên bản kiểm tra hạ tầng số 12/BB"))
            struct Complaint_: Decodable { var id: UUID; var criterion: String; var status: String }
            let ids = try JSONDecoder().decode([Complaint_].self, from: Data(try await evaluator.send(.GET, "/api/v1/periods/\(period)/complaints").body.utf8))
            let c3 = try #require(ids.first { $0.criterion == "3" }), c4 = try #require(ids.first { $0.criterion == "4" })
            let tooHigh = try await evaluator.post("/periods/\(period)/complaints/\(c3.id)/answer", pairs: [("decision", "accept"), ("points", "150"), ("reason", "x")])
            #expect(tooHigh.status == .seeOther)
            #expect(try await evaluator.send(.GET, "/periods/\(period)/complaints").body.contains("vượt điểm tối đa"))
            _ = try await evaluator.post("/periods/\(period)/complaints/\(c3.id)/answer", pairs: [("decision", "accept"), ("points", "85"), ("reason", "Biên bản 12/BB hợp lệ")])
            struct Answer_: Encodable { var accept: Bool; var points: String?; var reason: String }
            // An evaluator given another field may not answer it, as they may not score it (issue 31, Medium 3).
            let made = try await admin.send(.POST, "/api/v1/users", json: ["username": "thamdinh.khac", "displayName": "Thẩm định lĩnh vực khác",
                                                                           "password": "Mat-khau#2026", "role": "evaluator", "scopeFields": "KHAC"])
            #expect(made.status == .created, "\(made.body)")
            let outside = Browser(app)
            _ = try await outside.signIn("thamdinh.khac", password: "Mat-khau#2026")
            let scoped = try await outside.send(.POST, "/api/v1/periods/\(period)/complaints/\(c4.id)/answer", json: Answer_(accept: true, points: "100", reason: "x"))
            #expect(scoped.status == .forbidden && scoped.body.contains("không thuộc lĩnh vực được giao"), "\(scoped.body)")
            let rejected = try await evaluator.send(.POST, "/api/v1/periods/\(period)/complaints/\(c4.id)/answer",
                                                    json: Answer_(accept: false, points: nil, reason: "Không có tài liệu mới"))
            #expect(rejected.status == .ok && rejected.body.contains("\"status\":\"rejected\""))
            #expect(try await evaluator.send(.POST, "/api/v1/periods/\(period)/complaints/\(c4.id)/answer", json: Answer_(accept: false, points: nil, reason: "lần nữa")).status == .conflict)
            let answered = try await focal.send(.GET, "/periods/\(period)/units/SNNPTNT/results")
            #expect(answered.body.contains("Biên bản 12/BB hợp lệ") && answered.body.contains("80,00 → 85,00") && answered.body.contains("Không có tài liệu mới"))
            let actions = try await AuditEntry.query(on: app.db).filter(\.$target == "SNNPTNT").all().map(\.action)
            #expect(actions.filter { $0 == "complaint_filed" }.count == 2 && actions.contains("complaint_accepted") && actions.contains("complaint_rejected"))

            // Four days later the window is over: published, with the accepted score.
            clock.advance(4 * 86_400)
            _ = try await admin.signIn("quantri")
            let published = try await admin.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]())
            #expect(published.status == .created, "\(published.body.prefix(1500))")
            let late = Browser(app)
            _ = try await late.signIn("daumoi.snn")
            #expect(try await late.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/complaints", json: File(criterion: "5", text: "muộn")).status == .conflict)
            // SNNPTNT 90+100+85+75+60+70+350 = 830 → 0,83.
            let v1 = try await Browser(app).send(.GET, "/results/\(period)")
            #expect(v1.body.contains(">0,83<") && !v1.body.contains("Đính chính"))
            let record1 = try await Browser(app).send(.GET, "/results/\(period)/record.json")

            // A correction: STTTT's criterion 1 was 100, should be 90 — a second version, the first unchanged.
            struct Fix: Encodable { var changes: [ResultsService.Change]; var reason: String }
            let noReason = try await admin.send(.POST, "/api/v1/periods/\(period)/corrections", json: Fix(changes: [.init(unit: "STTTT", criterion: "1", points: "90")], reason: ""))
            #expect(noReason.status == .unprocessableEntity && noReason.body.contains("Cần ghi lý do đính chính"))
            let unknown = try await admin.send(.POST, "/api/v1/periods/\(period)/corrections", json: Fix(changes: [.init(unit: "STTTT", criterion: "99", points: "1")], reason: "thử"))
            #expect(unknown.status == .unprocessableEntity && unknown.body.contains("không có tiêu chí"))
            #expect(try await PublishedRecordRow.query(on: app.db).filter(\.$period.$id == UUID(uuidString: period)!).count() == 1, "nothing written")
            let fixed = try await admin.post("/periods/\(period)/correction", pairs: [("unit", "STTTT"), ("criterion", "1"), ("points", "90"),
                                                                                      ("reason", "Sai sót khi tổng hợp tiêu chí 1 của Sở Thông tin và Truyền thông")])
            #expect(fixed.status == .seeOther, "\(fixed.body.prefix(1500))")
            let v2 = try await Browser(app).send(.GET, "/results/\(period)")
            #expect(v2.body.contains("Đính chính") && v2.body.contains("Sai sót khi tổng hợp tiêu chí 1") && v2.body.contains("?version=1"))
            // STTTT 90+100+90+80+70+80+340 = 850 → 0,85 now.
            #expect(v2.body.contains(">0,85<"), "\(v2.body.prefix(3000))")
            let old = try await Browser(app).send(.GET, "/results/\(period)?version=1")
            #expect(old.status == .ok && old.body.contains("Đây là phiên bản 1") && old.body.contains(">0,86<"))
            let again1 = try await Browser(app).send(.GET, "/results/\(period)/record.json?version=1")
            #expect(again1.body == record1.body, "the first version is never changed")
            #expect(try await Browser(app).send(.GET, "/results/\(period)?version=7").status == .notFound)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "record_corrected").count() == 1)
            let same = try await admin.send(.POST, "/api/v1/periods/\(period)/corrections", json: Fix(changes: [.init(unit: "STTTT", criterion: "1", points: "90")], reason: "lặp lại"))
            #expect(same.status == .unprocessableEntity && same.body.contains("không có gì để đính chính"), "\(same.body)")
            let silent = try await admin.send(.POST, "/api/v1/periods/\(period)/corrections", json: Fix(changes: [.init(unit: "STC", criterion: "1", points: "90")], reason: "thử"))
            #expect(silent.status == .unprocessableEntity && silent.body.contains("không báo cáo"), "\(silent.body)")
            // Only the administrator corrects.
            #expect(try await evaluator.send(.POST, "/api/v1/periods/\(period)/corrections", json: Fix(changes: [], reason: "x")).status != .created)
        }
    }
}

@Suite("Accounts in bulk", .serialized)
struct BulkAccountTests {
    @Test("a CSV with mistakes is refused whole, row and column named; the corrected file creates every account with a printable list of temporary passwords; an Excel file through the API")
    func bulk() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let before = try await UserAccount.query(on: app.db).count()
            let bad = "Mã đơn vị,Vai trò,Tên đăng nhập,Họ tên,Thư điện tử\nSTC,đầu mối,,Nguyễn Văn A,a@stc.vn\nKHONGCO,lãnh đạo,,Trần B,\nSTC,thư ký,,Lê C,\nSGDDT,dau moi,daumoi.stc,Phạm D,\n"
            let refused = try await admin.upload("/admin/users/import", file: (field: "file", name: "tai-khoan.csv", data: Data(bad.utf8)))
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("Dòng 3, cột Mã đơn vị: không có đơn vị mã &quot;KHONGCO&quot;"), "\(refused.body.prefix(3000))")
            #expect(refused.body.contains("Dòng 4, cột Vai trò") && refused.body.contains("Dòng 5, cột Tên đăng nhập: &quot;daumoi.stc&quot; trùng với dòng 2"))
            #expect(try await UserAccount.query(on: app.db).count() == before, "nothing created")
            let good = "Mã đơn vị,Vai trò,Tên đăng nhập,Họ tên,Thư điện tử\nSTC,đầu mối,,Nguyễn Văn A,a@stc.vn\nSTC,lãnh đạo,,Trần Thị B,\nSGDDT,Đầu mối,gd.daumoi,Lê Văn C,\n"
            let created = try await admin.upload("/admin/users/import", file: (field: "file", name: "tai-khoan.csv", data: Data(good.utf8)))
            #expect(created.status == .created && created.body.contains("Tài khoản vừa tạo (3)") && created.body.contains("In danh sách"))
            #expect(created.headers.first(name: .cacheControl) == "no-store")
            #expect(created.body.contains("<code>daumoi.stc</code>") && created.body.contains("<code>lanhdao.stc</code>") && created.body.contains("<code>gd.daumoi</code>"))
            var passwords: [String] = []
            var rest = Substring(created.body)
            while let r = rest.range(of: "<code class=\"secret\">") {
                passwords.append(String(rest[r.upperBound...].prefix { $0 != "<" }).replacingOccurrences(of: "&amp;", with: "&"))
                rest = rest[r.upperBound...]
            }
            #expect(passwords.count == 3)
            let first = Browser(app)
            let signIn = try await first.signIn("daumoi.stc", password: passwords[0])
            #expect(signIn.headers.first(name: .location) == "/account/password")
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "users_imported").count() == 1)

            // Excel, as the province keeps its lists, through the API.
            let xlsx = FileManager.default.temporaryDirectory.appendingPathComponent("accounts-\(UUID().uuidString).xlsx").path
            _ = try python("""
                import sys, openpyxl
                wb = openpyxl.Workbook(); ws = wb.active
                ws.append(["Mã đơn vị", "Vai trò", "Họ tên"])
                ws.append(["SNV", "lãnh đạo", "Hoàng Văn E"])
                ws.append(["SNV", "đầu mối", "Vũ Thị G"])
                wb.save(sys.argv[1])
                """, xlsx)
            let body = try Data(contentsOf: URL(fileURLWithPath: xlsx))
            let api = try await admin.send(.POST, "/api/v1/users/import?name=tai-khoan.xlsx", data: body, contentType: AssessmentWorkbook.contentType)
            #expect(api.status == .created, "\(api.body)")
            #expect(api.body.contains("\"username\":\"lanhdao.snv\"") && api.body.contains("\"username\":\"daumoi.snv\"") && api.body.contains("\"password\""))
            let snv = try #require(try await UserAccount.query(on: app.db).filter(\.$username == "daumoi.snv").first())
            #expect(snv.mustChangePassword && snv.displayName == "Vũ Thị G")
            // Nobody else creates accounts in bulk.
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await focal.upload("/admin/users/import", file: (field: "file", name: "x.csv", data: Data(good.utf8))).status == .forbidden)
        }
    }
}

@Suite("Frameworks by file", .serialized)
struct FrameworkFileTests {
    @Test("download a framework as Excel, edit it as Excel would, upload it back: a refused file with row and column, then a preview with what changed, then version 2")
    func excelRoundTrip() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let page = try await admin.send(.GET, "/frameworks/example-all-rules/1")
            #expect(page.body.contains("/frameworks/example-all-rules/1/framework.xlsx"))
            let original = FileManager.default.temporaryDirectory.appendingPathComponent("fw-\(UUID().uuidString).xlsx").path
            try await Browser(app).download("/frameworks/example-all-rules/1/framework.xlsx").write(to: URL(fileURLWithPath: original))
            func edited(_ lines: [String]) throws -> Data {
                let changes = lines.joined(separator: "\n")
                let out = FileManager.default.temporaryDirectory.appendingPathComponent("fw-\(UUID().uuidString).xlsx").path
                _ = try python("""
                    import sys, openpyxl
                    wb = openpyxl.load_workbook(sys.argv[1]); ws = wb["Cây chỉ số"]
                    head = [c.value for c in ws[1]]
                    col = lambda name: head.index(name) + 1
                    rows = {ws.cell(r, col("Mã")).value: r for r in range(2, ws.max_row + 1)}
                    exec(sys.argv[3])
                    wb.save(sys.argv[2])
                    """, original, out, changes)
                return try Data(contentsOf: URL(fileURLWithPath: out))
            }
            // A refused file: an unknown way of scoring, a tier that is not a number.
            let bad = try edited([#"ws.cell(rows["2.3"], col("Cách tính điểm")).value = "Có hay không""#,
                                  #"ws.cell(rows["1.1"], col("Bậc (đạt từ → điểm)")).value = "4 → 20; ba → 15""#])
            let refused = try await admin.upload("/admin/frameworks/file", file: (field: "file", name: "bo-chi-so.xlsx", data: bad))
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("Trang &quot;Cây chỉ số&quot;, dòng") && refused.body.contains("cột &quot;Cách tính điểm&quot;: &quot;Có hay không&quot; không hợp lệ"), "\(refused.body.prefix(3000))")
            #expect(refused.body.contains("cột &quot;Bậc (đạt từ → điểm)&quot;"))
            #expect(try await FrameworkVersion.query(on: app.db).filter(\.$key == "example-all-rules").count() == 1, "nothing saved")

            // A good edit: a name, a per-item score, a rubric.
            let good = try edited([#"ws.cell(rows["2.3"], col("Tên")).value = "VÍ DỤ: Ban hành kế hoạch chuyển đổi số năm 2026""#,
                                   #"ws.cell(rows["3.1"], col("Điểm mỗi mục")).value = 2"#,
                                   #"ws.cell(rows["3.3"], col("Thang chấm")).value = "VÍ DỤ: đủ chuyên mục 5 điểm; cập nhật hằng tuần 5 điểm""#])
            let preview = try await admin.upload("/admin/frameworks/file", file: (field: "file", name: "bo-chi-so.xlsx", data: good))
            #expect(preview.status == .ok, "\(preview.body.prefix(2000))")
            #expect(preview.body.contains("phiên bản 2") && preview.body.contains("Lưu phiên bản 2"))
            #expect(preview.body.contains("Sửa 3 mục") && preview.body.contains("kế hoạch chuyển đổi số năm 2026") && preview.body.contains("2 điểm cho mỗi mục"), "\(preview.body.suffix(4000))")
            #expect(try await FrameworkVersion.query(on: app.db).filter(\.$key == "example-all-rules").count() == 1, "a preview saves nothing")
            let yaml = try #require(preview.body.range(of: "<textarea name=\"yaml\" hidden aria-hidden=\"true\">").map { r in
                String(preview.body[r.upperBound...].prefix { $0 != "<" })
            }).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&#39;", with: "'")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            let saved = try await admin.send(.POST, "/admin/frameworks", form: ["yaml": yaml])
            #expect(saved.status == .seeOther && saved.headers.first(name: .location) == "/frameworks/example-all-rules/2", "\(saved.body.prefix(1500))")
            let v2 = try await admin.send(.GET, "/frameworks/example-all-rules/2")
            #expect(v2.body.contains("kế hoạch chuyển đổi số năm 2026") && v2.body.contains("2 điểm cho mỗi mục"))
            // A YAML file goes through the same preview; nobody else uploads.
            let file = try String(contentsOfFile: TestPaths.frameworks + "/example-all-rules.yaml", encoding: .utf8).replacingOccurrences(of: "version: 1", with: "version: 3")
            let yamlPreview = try await admin.upload("/admin/frameworks/file", file: (field: "file", name: "example.yaml", data: Data(file.utf8)))
            #expect(yamlPreview.status == .ok && yamlPreview.body.contains("Lưu phiên bản 3") && yamlPreview.body.contains("so với phiên bản 2"))
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await focal.upload("/admin/frameworks/file", file: (field: "file", name: "x.yaml", data: Data(file.utf8))).status == .forbidden)
        }
    }
}

@Suite("Setting up a province from the 2025 directory", .serialized)
struct ProvinceSetupTests {
    @Test("the demo is Đắk Lắk as set up: 102 communes, the old huyện matched by name and closed; Khánh Hòa set up from the page: a preview, then 65 communes with codes and coordinates, the pre-reform units and their lineage; twice changes nothing")
    func setUp() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            // The demo ran "Thiết lập tỉnh" for Đắk Lắk: its old huyện (KRONGPAC…) and province (DAKLAK) were
            // found by name and used, not created again under the directory's codes.
            #expect(try await UnitModel.query(on: app.db).filter(\.$level == "commune").filter(\.$validFrom == "2025-07-01").count() == 102)
            #expect(try await UnitModel.query(on: app.db).filter(\.$code ~~ ["654", "66"]).count() == 0)
            let krongpac = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "KRONGPAC").first())
            #expect(krongpac.validUntil == "2025-07-01")
            let bmt = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "24133").with(\.$parent).first())
            #expect(bmt.name == "Phường Buôn Ma Thuột" && bmt.level == "commune" && bmt.latitude != nil && bmt.parent?.code == "DAKLAK")
            let old = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "24118-cu").first())
            #expect(old.validUntil == "2025-07-01")
            let link = try await UnitLineage.query(on: app.db).filter(\.$predecessor.$id == old.id!).all()
            #expect(link.count == 1 && link[0].effectiveOn == "2025-07-01")
            #expect(try await UnitModel.query(on: app.db).filter(\.$code == "24121").first()?.id == link[0].$successor.id)
            let page = try await admin.send(.GET, "/admin/setup-province")
            #expect(page.status == .ok && page.body.contains("Tỉnh Đắk Lắk (mã 66)") && page.body.contains("STC, Sở Tài chính"))
            let defaults = try #require(page.body.range(of: "name=\"departments\" rows=\"12\">").map { r in String(page.body[r.upperBound...].prefix { $0 != "<" }) })
            let daklak = try await admin.post("/admin/setup-province", pairs: [("province", "66"), ("departments", defaults), ("action", "preview")])
            #expect(daklak.body.contains("tạo mới 0 đơn vị") && daklak.body.contains("đã được thiết lập đầy đủ"), "\(daklak.body.prefix(3000))")

            let units = try await UnitModel.query(on: app.db).count()
            // As a browser sends a text box: lines ended by CRLF.
            let preview = try await admin.post("/admin/setup-province", pairs: [("province", "56"), ("departments", defaults.replacingOccurrences(of: "\n", with: "\r\n")), ("action", "preview")])
            #expect(preview.status == .ok && preview.body.contains("65 xã, phường, đặc khu; 14 sở, ngành; 16 huyện và 194 xã") && preview.body.contains("Thiết lập tỉnh này"), "\(preview.body.prefix(3000))")
            #expect(try await UnitModel.query(on: app.db).count() == units, "a preview writes nothing")
            // The installation's sở (STC, SNV…) are matched by code, not created twice.
            #expect(preview.body.contains("14 đơn vị đã có"))
            let applied = try await admin.post("/admin/setup-province", pairs: [("province", "56"), ("departments", defaults), ("action", "apply")])
            #expect(applied.status == .seeOther)
            #expect(try await admin.send(.GET, "/admin/setup-province").body.contains("Đã thiết lập"))
            let north = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "22333").first())
            #expect(north.name == "Phường Bắc Nha Trang" && north.level == "commune" && north.validFrom == "2025-07-01" && north.latitude != nil)
            let communes: Int = 102 + 65
            #expect(try await UnitModel.query(on: app.db).filter(\.$level == "commune").filter(\.$validFrom == "2025-07-01").count() == communes)
            let vinhHoa = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "22327-cu").first())
            #expect(vinhHoa.validUntil == "2025-07-01" && vinhHoa.name.hasPrefix("Phường Vĩnh Hòa"))
            let links = try await UnitLineage.query(on: app.db).filter(\.$predecessor.$id == vinhHoa.id!).all()
            #expect(links.count == 1 && links[0].$successor.id == north.id)
            // Twice: nothing changes.
            let count = try await UnitModel.query(on: app.db).count(), lineage = try await UnitLineage.query(on: app.db).count()
            let again = try await admin.post("/admin/setup-province", pairs: [("province", "khanh hoa"), ("departments", defaults), ("action", "preview")])
            #expect(again.body.contains("tạo mới 0 đơn vị") && again.body.contains("0 liên kết kế thừa mới") && again.body.contains("đã được thiết lập đầy đủ"))
            _ = try await admin.post("/admin/setup-province", pairs: [("province", "56"), ("departments", defaults), ("action", "apply")])
            let countAfter = try await UnitModel.query(on: app.db).count(), lineageAfter = try await UnitLineage.query(on: app.db).count()
            #expect(countAfter == count && lineageAfter == lineage)
            // Bad input: an unknown province, a broken sở line; nothing written.
            let unknown = try await admin.post("/admin/setup-province", pairs: [("province", "Atlantis"), ("departments", defaults), ("action", "apply")])
            #expect(unknown.status == .unprocessableEntity && unknown.body.contains("Không có tỉnh, thành phố &quot;Atlantis&quot;"))
            let broken = try await admin.post("/admin/setup-province", pairs: [("province", "56"), ("departments", "STC Sở Tài chính\nSNV, Sở Nội vụ"), ("action", "apply")])
            #expect(broken.status == .unprocessableEntity && broken.body.contains("Danh sách sở, dòng 1"))
            #expect(try await UnitModel.query(on: app.db).count() == count)
            // Only the administrator.
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await focal.send(.GET, "/admin/setup-province").status == .forbidden)
        }
    }

    @Test("a commune ranking on the portal carries a map: one coloured dot per reporting commune, a hollow one for the silent, all inside the frame")
    func map() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            // The demo has set up Đắk Lắk (its province unit is the demo's DAKLAK, matched by name).
            let manifest = """
                schema: opendti.results/1
                id: daklak-xa-thu
                title: Thử bản đồ các xã, phường
                year: 2026
                province: Đắk Lắk
                province_unit: DAKLAK
                source: "Dữ liệu thử của OpenDTI, không phải kết quả công bố"
                tables:
                  - file: xa.csv
                    level: commune
                    method: fraction
                    max: "1"
                    decimals: 2
                    bands: "Tốt:80,Khá:65,Trung bình:50,Yếu:0"
                """
            let csv = "group,unit,points\nXã phường,Phường Tuy Hòa,\"0,91\"\nXã phường,Phường Bình Kiến,\"0,72\"\nXã phường,Phường Sông Cầu,\"0,55\"\nXã phường,Xã Xuân Lộc,\"0,40\"\nXã phường,Xã Xuân Cảnh,\"0,83\"\nXã phường,Xã Xuân Thọ,\n"
            struct Import: Encodable { var manifest: String; var files: [String: String] }
            let imported = try await admin.send(.POST, "/api/v1/results", json: Import(manifest: manifest, files: ["xa.csv": csv]))
            #expect(imported.status == .created, "\(imported.body)")
            struct Item: Decodable { var id: UUID }
            let id = try JSONDecoder().decode(Item.self, from: Data(imported.body.utf8)).id
            let page = try await Browser(app).send(.GET, "/results/\(id)")
            #expect(page.status == .ok)
            let svg = try #require(page.body.range(of: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"map\"").map { String(page.body[$0.lowerBound...].prefix { $0 != "\u{0}" }) }
                .map { String($0[..<($0.range(of: "</svg>")?.upperBound ?? $0.endIndex)]) })
            func count(_ needle: String) -> Int { svg.components(separatedBy: needle).count - 1 }
            #expect(count("class=\"dot reported\"") == 5 && count("class=\"dot silent\"") == 1, "\(svg.prefix(2000))")
            #expect(svg.contains("Phường Tuy Hòa: chỉ số 0,91, hạng 1, Tốt") && svg.contains("Xã Xuân Thọ: không báo cáo"))
            // Every dot inside the frame.
            let frame = try #require(svg.range(of: "class=\"frame\" x=\"1\" y=\"1\" width=\"").map { r in svg[r.upperBound...] })
            let w = Double(frame.prefix { $0 != "\"" })!, h = Double(frame.components(separatedBy: "height=\"")[1].prefix { $0 != "\"" })!
            for part in svg.components(separatedBy: "<circle class=\"dot").dropFirst() {
                let cx = Double(part.components(separatedBy: "cx=\"")[1].prefix { $0 != "\"" })!, cy = Double(part.components(separatedBy: "cy=\"")[1].prefix { $0 != "\"" })!
                #expect(cx > 1 && cx < w + 1 && cy > 1 && cy < h + 1, "(\(cx), \(cy)) outside \(w)×\(h)")
            }
            #expect(svg.contains("Tốt (2)") && svg.contains("Không báo cáo (1)"))
            // The frame is the province's: its 96 other communes as pale dots.
            #expect(count("class=\"place\"") == 96)

            // The Word appendix carries the same map as a picture after the group's chart.
            let converter = StandInConverter()
            app.converter = converter
            let docx = try tempFile(try await Browser(app).download("/results/\(id)/decision.docx"))
            #expect(try python("import docx, sys; d = docx.Document(sys.argv[1]); print(len(d.inline_shapes), [s._inline.docPr.get('descr') for s in d.inline_shapes])", docx)
                    == "2 ['Biểu đồ Xã phường', 'Bản đồ Xã phường']\n")
            let drawn = try #require(converter.svgs.first { $0.contains("class=\"map\"") })
            #expect(drawn.contains("Phường Tuy Hòa: chỉ số 0,91, hạng 1, Tốt") && drawn.components(separatedBy: "class=\"dot reported\"").count - 1 == 5)
            // With librsvg where this machine has it: a real PNG of the map.
            if let png = InstalledTools().png(fromSVG: drawn) {
                #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && png.count > 2_000)
            }
        }
    }

    @Test("history across the reform: a new commune's page and scorecard show its former district's index and the mean of its predecessor communes, each said for what it is")
    func historyAcrossTheReform() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            // The demo: Xã Krông Pắc (24490) lies in the former UBND huyện Krông Pắc, published 2021 (0,6696) and 2023 (0,9051).
            let page = try await Browser(app).send(.GET, "/units/24490")
            #expect(page.status == .ok)
            #expect(page.body.contains("Qua các năm") && page.body.contains("0,6696") && page.body.contains("0,9051"))
            #expect(page.body.contains("chỉ số của UBND huyện Krông Pắc, nơi đơn vị thuộc về trước 01/07/2025 (không phải chỉ số riêng của đơn vị)"))
            #expect(page.body.contains("/units/KRONGPAC\""), "the figure links to the district's scorecard")

            // A 2024 table of pre-reform communes (named bare where the name is unique in the province that
            // year, in full where Phú Yên had a Xã Hòa An too), then a 2026 table of new ones.
            struct Import: Encodable { var manifest: String; var files: [String: String] }
            struct Item: Decodable { var id: UUID }
            func manifest(_ id: String, _ year: Int) -> String {
                """
                schema: opendti.results/1
                id: \(id)
                title: Thử kết quả các xã \(year)
                year: \(year)
                province: Đắk Lắk
                province_unit: DAKLAK
                source: "Dữ liệu thử của OpenDTI, không phải kết quả công bố"
                tables:
                  - {file: xa.csv, level: commune, method: fraction, max: "1", decimals: 2}
                """
            }
            let old = "group,unit,points\nXã,Xã Ea Yông,\"0,60\"\nXã,Xã Hòa An (Huyện Krông Pắc),\"0,80\"\nXã,Xã Ea Kênh,\"0,50\"\n"
            let y2024 = try await admin.send(.POST, "/api/v1/results", json: Import(manifest: manifest("xa-2024", 2024), files: ["xa.csv": old]))
            #expect(y2024.status == .created, "\(y2024.body)")
            let new = "group,unit,points\nXã,Xã Krông Pắc,\"0,75\"\nXã,Phường Buôn Ma Thuột,\"0,90\"\nXã,Phường Tân An,\"0,70\"\n"
            let y2026 = try await admin.send(.POST, "/api/v1/results", json: Import(manifest: manifest("xa-2026", 2026), files: ["xa.csv": new]))
            #expect(y2026.status == .created, "\(y2026.body)")
            let id = try JSONDecoder().decode(Item.self, from: Data(y2026.body.utf8)).id
            #expect(try await UnitModel.query(on: app.db).filter(\.$name == "Xã Krông Pắc").count() == 1, "the import used the directory's commune")
            #expect(try await UnitModel.query(on: app.db).filter(\.$name == "Xã Ea Yông").count() == 0, "the bare name found the pre-reform commune")
            let card = try await Browser(app).send(.GET, "/results/\(id)/units/24490")
            #expect(card.status == .ok)
            // 2024: Ea Yông and Hòa An went to Xã Krông Pắc (Ea Kênh did not): (0,60 + 0,80) / 2.
            #expect(card.body.contains("trung bình 2 đơn vị tiền thân: Xã Ea Yông (Huyện Krông Pắc); Xã Hòa An (Huyện Krông Pắc)"), "\(card.body.suffix(4000))")
            #expect(card.body.contains("0,7000"))
            // 2021 and 2023 still come from the district; 2026 is the commune's own (rank 2 of 3).
            #expect(card.body.contains("chỉ số của UBND huyện Krông Pắc") && card.body.contains("0,9051"))
            #expect(card.body.contains("<td class=\"num\">2/3</td>"))
        }
    }

    @Test("a period of 2025 takes the units that exist at the year's end (the 102 communes, not the huyện dissolved on 1 July); a dissolved huyện can still be named, a new commune cannot be put in a 2024 period")
    func selectionAcrossTheReform() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            func body(_ year: Int, _ title: String, units: [String]?) -> PeriodBody {
                PeriodBody(year: year, title: title, phases: [.init(phase: "self_assessment", startsOn: "2020-01-01", endsOn: "2099-12-31")],
                     frameworks: [.init(level: "district", key: "daklak-2023-district", version: 1), .init(level: "commune", key: "demo-2026-commune", version: 1)],
                     units: units)
            }
            let made = try await admin.send(.POST, "/api/v1/periods", json: body(2025, "Kỳ 2025 sau sắp xếp", units: nil))
            #expect(made.status == .created, "\(made.body.prefix(800))")
            let period = try #require(try await Period.query(on: app.db).filter(\.$title == "Kỳ 2025 sau sắp xếp").first())
            let rows = try await PeriodUnit.query(on: app.db).filter(\.$period.$id == period.id!).with(\.$unit).all()
            #expect(rows.count == 102 && rows.allSatisfy { $0.unit.level == "commune" && $0.unit.validFrom == "2025-07-01" }, "\(rows.count)")
            // The form for 2025 (sent back for a missing title) lists the dissolved huyện unticked, with its end date,
            // and the new communes ticked.
            let form = try await admin.post("/admin/periods", pairs: [("year", "2025"), ("title", ""), ("fw_district", "daklak-2023-district@1"),
                                                                       ("fw_commune", "demo-2026-commune@1")])
            #expect(form.status == .unprocessableEntity)
            #expect(form.body.contains("UBND huyện Krông Pắc (hết hiệu lực từ 01/07/2025)"), "\(form.body.prefix(2000))")
            #expect(form.body.contains("value=\"KRONGPAC\"") && !form.body.contains("value=\"KRONGPAC\" checked"))
            #expect(form.body.contains("value=\"24490\" checked"))
            // Named explicitly, a huyện that existed until 1 July 2025 may take part in a 2025 period.
            let named = try await admin.send(.POST, "/api/v1/periods", json: body(2025, "Kỳ 2025 huyện cũ", units: ["KRONGPAC"]))
            #expect(named.status == .created, "\(named.body.prefix(800))")
            // A commune formed on 1 July 2025 is not part of a 2024 period.
            let early = try await admin.send(.POST, "/api/v1/periods", json: body(2024, "Kỳ 2024", units: ["24490"]))
            #expect(early.status == .unprocessableEntity && early.body.contains(#"Xã Krông Pắc (24490) chưa tồn tại trong năm 2024 (hiệu lực từ 01\/07\/2025)"#), "\(early.body)")
        }
    }

    @Test("a unit known only from an earlier table (Kon Tum 2022) is found again by the next year's table, not created twice")
    func unitsOfEarlierTables() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let before = try await UnitModel.query(on: app.db).filter(\.$name == "Sở Công Thương").all()
            struct Import: Encodable { var manifest: String; var files: [String: String] }
            let manifest = """
                schema: opendti.results/1
                id: kontum-2023-thu
                title: Thử Kon Tum 2023
                year: 2023
                province: Kon Tum
                province_unit: KONTUM
                source: thử
                tables:
                  - {file: t.csv, level: department, method: fraction, max: "1", decimals: 2}
                """
            let made = try await admin.send(.POST, "/api/v1/results", json: Import(manifest: manifest, files: ["t.csv": "group,unit,points\nSở,Sở Công Thương,\"0,8\"\nSở,Văn phòng Ủy ban nhân dân tỉnh,\"0,7\"\n"]))
            #expect(made.status == .created, "\(made.body.prefix(500))")
            let after = try await UnitModel.query(on: app.db).filter(\.$name == "Sở Công Thương").all()
            #expect(after.count == before.count, "\(after.map(\.code))")
        }
    }
}
