import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// The yearly cycle as people do it in the browser: every step a page form
/// (the publication, which has no page yet, through the API).
@Suite("The cycle in the browser", .serialized)
struct BrowserCycleTests {
    static let pdf = Data("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)

    func storedFiles(_ app: Application) -> [String] {
        guard let store = (try? app.fileStore) as? LocalFileStore else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: store.directory.path)) ?? []).sorted()
    }

    @Test("two units with evidence, a return then an approval, a criterion sent back and fixed, the council's adjustment, publication = dti score")
    func cycle() async throws {
        try await withDemoApp { app in
            let period = try await ReviewTests().allPhasesOpen(app)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            for (user, role) in [("daumoi.tttt", "focal_point"), ("lanhdao.tttt", "unit_leader")] {
                let r = try await admin.send(.POST, "/api/v1/users", json: ["username": user, "displayName": user, "password": "Mat-khau#2026", "role": role, "unitCode": "STTTT"])
                #expect(r.status == .created)
            }
            let codes = ["1", "2", "3", "4", "5", "6.DVC", "6.KHAC"]
            func page(_ unit: String) -> String { "/periods/\(period)/units/\(unit)" }

            // Both focal points type their answers into the page forms and attach evidence.
            for (unit, focalName, password, values) in [("SNNPTNT", "daumoi.snn", DemoSeeder.password, ["90", "100", "80", "75", "60", "70", "350"]),
                                                        ("STTTT", "daumoi.tttt", "Mat-khau#2026", ["100", "100", "90", "80", "70", "80", "340"])] {
                let focal = Browser(app)
                _ = try await focal.signIn(focalName, password: password)
                _ = try await focal.send(.GET, page(unit))
                // Every row typed, one save.
                let saved = try await focal.saveSheet(page(unit), zip(codes, values).map { ($0, [("value", $1)]) })
                #expect(saved.post.status == .seeOther, "\(unit): \(saved.post.body.prefix(500))")
                #expect(saved.page.body.contains("Đã lưu 7 tiêu chí: 1, 2, 3, 4, 5, 6.DVC, 6.KHAC."), "\(unit): \(saved.page.body.prefix(3000))")
                let before = storedFiles(app).count
                let uploaded = try await focal.upload(page(unit) + "/evidence",
                                                      fields: [("criteria", "1"), ("criteria", "6.KHAC"), ("number", "12/QĐ-UBND"), ("issuer", "UBND tỉnh Đắk Lắk"), ("date", "2025-03-01")],
                                                      file: ("file", "Quyết định 12.pdf", Self.pdf))
                #expect(uploaded.status == .ok, "\(uploaded.body.prefix(800))")
                #expect(uploaded.body.contains("Đã lưu tài liệu Quyết định 12.pdf"))
                #expect(uploaded.body.contains("12/QĐ-UBND"))
                #expect(storedFiles(app).count == before + 1)
                let submitted = try await focal.send(.POST, page(unit) + "/submit", form: [:])
                #expect(submitted.status == .ok && submitted.body.contains("Đã gửi lãnh đạo đơn vị duyệt"), "\(submitted.body.prefix(800))")
            }

            // The SNNPTNT leader returns it, the focal point sends it again, the leader approves; STTTT's leader approves.
            let snnLeader = Browser(app)
            _ = try await snnLeader.signIn("lanhdao.snn")
            _ = try await snnLeader.send(.GET, page("SNNPTNT"))
            let returned = try await snnLeader.send(.POST, page("SNNPTNT") + "/decision", form: ["decision": "return", "reason": "Ghi rõ số hiệu văn bản ở tiêu chí 2"])
            #expect(returned.body.contains("Đã trả lại cán bộ đầu mối"))
            let snnFocal = Browser(app)
            _ = try await snnFocal.signIn("daumoi.snn")
            let shown = try await snnFocal.send(.GET, page("SNNPTNT"))
            #expect(shown.body.contains("Ghi rõ số hiệu văn bản ở tiêu chí 2"))
            let fixed = try await snnFocal.saveSheet(page("SNNPTNT"), [("2", [("value", "100"), ("explanation", "Kế hoạch 45/KH-SNN")])], page: shown.body)
            #expect(fixed.post.status == .seeOther && fixed.page.body.contains("Đã lưu 1 tiêu chí: 2."))
            #expect(try await snnFocal.send(.POST, page("SNNPTNT") + "/submit", form: [:]).status == .ok)
            _ = try await snnLeader.send(.GET, page("SNNPTNT"))
            #expect(try await snnLeader.send(.POST, page("SNNPTNT") + "/decision", form: ["decision": "approve"]).body.contains("Đã duyệt và gửi thẩm định"))
            let tLeader = Browser(app)
            _ = try await tLeader.signIn("lanhdao.tttt", password: "Mat-khau#2026")
            _ = try await tLeader.send(.GET, page("STTTT"))
            #expect(try await tLeader.send(.POST, page("STTTT") + "/decision", form: ["decision": "approve"]).body.contains("Đã duyệt và gửi thẩm định"))

            // The evaluator sees the evidence, adjusts one score and sends one criterion back.
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let review = try await evaluator.send(.GET, page("STTTT"))
            #expect(review.body.contains("Quyết định 12.pdf"))
            #expect(review.body.contains("name=\"points.6.KHAC\""))
            // Two rows in one save: one within its maximum is saved, the one above is kept as typed with its message.
            let scored = try await evaluator.saveScores(page("STTTT"), [("6.KHAC", "280", "Thiếu tài liệu cho 3 chỉ số thành phần"), ("1", "101", "")])
            #expect(scored.post.status == .seeOther && scored.post.headers.first(name: .location) == page("STTTT"))
            #expect(scored.page.body.contains("Đã lưu điểm thẩm định 1 tiêu chí: 6.KHAC."), "\(scored.page.body.prefix(2000))")
            #expect(scored.page.body.contains("vượt điểm tối đa") && scored.page.body.contains("name=\"points.1\" inputmode=\"decimal\" value=\"101\""))
            #expect(scored.page.body.contains("<td class=\"num\" data-label=\"Thẩm định\">280,00"))
            _ = try await evaluator.send(.GET, page("SNNPTNT"))
            let sentBack = try await evaluator.send(.POST, page("SNNPTNT") + "/corrections", form: ["criterion": "3", "message": "Bổ sung biên bản kiểm tra hạ tầng"])
            #expect(sentBack.body.contains("Đã gửi yêu cầu bổ sung, chỉnh sửa tiêu chí 3"), "\(sentBack.body.prefix(600))")

            // The unit fixes only that criterion, answers in the thread; the rest stays locked.
            let fixPage = try await snnFocal.send(.GET, page("SNNPTNT"))
            #expect(fixPage.body.contains("Bổ sung biên bản kiểm tra hạ tầng"))
            #expect(fixPage.body.contains("name=\"value.3\"") && !fixPage.body.contains("name=\"value.4\""), "only the sent-back row is open")
            let fixedRow = try await snnFocal.saveSheet(page("SNNPTNT"), [("3", [("value", "85")]), ("4", [("value", "80"), ("version", "1"), ("read", "x")])], page: fixPage.body)
            #expect(fixedRow.page.body.contains("Đã lưu 1 tiêu chí: 3."))
            #expect(fixedRow.page.body.contains("id=\"p-4\""), "the locked row is refused beside it")
            let answered = try await snnFocal.send(.POST, page("SNNPTNT") + "/corrections/3/messages", form: ["message": "Đã bổ sung biên bản số 12/BB"])
            #expect(answered.body.contains("Đã gửi ý kiến về tiêu chí 3"))
            _ = try await evaluator.send(.GET, page("SNNPTNT"))
            let closed = try await evaluator.send(.POST, page("SNNPTNT") + "/corrections/3/close", form: [:])
            #expect(closed.body.contains("tiêu chí được khóa lại"))
            // What changed since the submission: the fix of criterion 3, nothing else typed by the unit.
            let since = try await evaluator.send(.GET, page("SNNPTNT") + "/changes?since=submission")
            #expect(since.status == .ok)
            #expect(since.body.contains("<td>80</td><td>85</td>"), "\(since.body.suffix(1500))")
            #expect(!since.body.contains("Kế hoạch 45/KH-SNN"))
            let all = try await evaluator.send(.GET, page("SNNPTNT") + "/changes")
            #expect(all.body.contains("Kế hoạch 45/KH-SNN") && all.body.contains("Quyết định 12.pdf"))

            // The council adjusts one score with a reason.
            let council = Browser(app)
            _ = try await council.signIn("hoidong")
            _ = try await council.send(.GET, page("STTTT"))
            let noReason = try await council.saveScores(page("STTTT"), [("6.KHAC", "300", "")])
            #expect(noReason.page.body.contains("Hội đồng cần ghi lý do"))
            let adjusted = try await council.saveScores(page("STTTT"), [("6.KHAC", "300", "Công nhận một phần tài liệu bổ sung")])
            #expect(adjusted.page.body.contains("Đã lưu điểm Hội đồng 1 tiêu chí: 6.KHAC."), "\(adjusted.page.body.prefix(600))")

            try await readyForPublication(app, period)
            // Publication; the published ranking equals what dti score computes from the published inputs.
            let published = try await admin.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]())
            #expect(published.status == .created)
            let snapshot = try await Browser(app).send(.GET, "/api/v1/periods/\(period)/published")
            // SNNPTNT 90+100+85+75+60+70+350 = 830 → 0,83 first; STTTT 820 → 0,82.
            #expect(snapshot.body.contains(#""display": "0,83""#) && snapshot.body.contains(#""display": "0,82""#))
            try await expectSameAsCommandLine(app, snapshot: snapshot.body)
            // The portal shows it now, with the four scores of every criterion on the unit's scorecard.
            let portal = try await Browser(app).send(.GET, "/results/\(period)")
            #expect(portal.status == .ok && portal.body.contains(">0,83<") && portal.body.contains(">0,82<"))
            let card = try await Browser(app).send(.GET, "/results/\(period)/units/STTTT")
            #expect(card.body.contains("<td class=\"num\">340,00</td><td class=\"num\">280,00</td><td class=\"num\">300,00</td><td class=\"num\">300,00</td>"), "\(card.body.suffix(3000))")
        }
    }

    @Test("browser uploads: no token, token after the file, a renamed file, an interrupted body — refused, nothing stored")
    func uploadRefusals() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let page = "/periods/\(period)/units/SNNPTNT"
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            _ = try await focal.send(.GET, page)
            let before = storedFiles(app)
            let noToken = try await focal.upload(page + "/evidence", fields: [("criteria", "1")], file: ("file", "a.pdf", Self.pdf), csrf: false)
            #expect(noToken.status == .forbidden)
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(count: 64)
            let renamed = try await focal.upload(page + "/evidence", fields: [("criteria", "1")], file: ("file", "bao-cao.pdf", png))
            #expect(renamed.status == .unsupportedMediaType)
            #expect(renamed.body.contains("không phải PDF (là PNG)"))
            let interrupted = try await focal.upload(page + "/evidence", fields: [("criteria", "1")], file: ("file", "a.pdf", Self.pdf + Data(count: 4096)), truncated: true)
            #expect(interrupted.status == .badRequest)
            #expect(interrupted.body.contains("bị gián đoạn"))
            let path = try await focal.upload(page + "/evidence", fields: [("criteria", "1")], file: ("file", "../../etc/a.pdf", Self.pdf))
            #expect(path.status == .unprocessableEntity)
            let noCriteria = try await focal.upload(page + "/evidence", file: ("file", "a.pdf", Self.pdf))
            #expect(noCriteria.status == .unprocessableEntity && noCriteria.body.contains("Cần ít nhất một tiêu chí"))
            #expect(storedFiles(app) == before)
            // Another unit's accounts cannot post to this unit's form.
            let leader = Browser(app)
            _ = try await leader.signIn("lanhdao.snn")
            _ = try await leader.send(.GET, page)
            #expect(try await leader.upload(page + "/evidence", fields: [("criteria", "1")], file: ("file", "a.pdf", Self.pdf)).status == .forbidden)
            #expect(try await EvidenceFile.query(on: app.db).count() == 0)
            #expect(storedFiles(app) == before)
        }
    }

    @Test("reminders: units that have not sent their self-assessment are reminded once, three days before the deadline")
    func reminders() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let today = DateText.todayISO()
            let r = try await admin.send(.POST, "/admin/periods", form: [
                "year": "2026", "title": "Kỳ sắp hết hạn", "self_assessment_from": "2020-01-01", "self_assessment_to": DateText.adding(days: 2, to: today),
                "fw_department": "daklak-2023-department@1"])
            #expect(r.status == .seeOther)
            let first = try await admin.send(.POST, "/api/v1/reminders", json: [String: String]())
            #expect(first.status == .ok)
            // The demo's one unit with accounts (SNNPTNT: focal point and leader) in this period; the 2025 demo period is past its self-assessment.
            #expect(first.body == #"{"created":2}"#, "\(first.body)")
            #expect(try await admin.send(.POST, "/api/v1/reminders", json: [String: String]()).body == #"{"created":0}"#)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let inbox = try await focal.send(.GET, "/notifications")
            #expect(inbox.body.contains("Sắp hết hạn tự đánh giá: Kỳ sắp hết hạn (hạn \(DateText.display(DateText.adding(days: 2, to: today))))"))
            #expect(try await focal.send(.POST, "/api/v1/reminders", json: [String: String]()).status == .forbidden)
        }
    }

    @Test("warnings: a value far from the peers' is shown to the evaluator, not to the unit")
    func warnings() async throws {
        try await withDemoApp { app in
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2025).first())
            let unit = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "SNNPTNT").first())
            let submission = try #require(try await Submission.query(on: app.db).filter(\.$period.$id == period.id!).filter(\.$unit.$id == unit.id!).first())
            let answer = try #require(try await Answer.query(on: app.db).filter(\.$submission.$id == submission.id!).filter(\.$criterion == "1").first())
            answer.value = "5"
            try await answer.save(on: app.db)
            let page = "/periods/\(period.id!)/units/SNNPTNT"
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let seen = try await evaluator.send(.GET, page)
            #expect(seen.body.contains("Cảnh báo: Trung vị của 17 đơn vị cùng nhóm"), "\(seen.body.prefix(200))")
            #expect(seen.body.contains("cảnh báo số liệu chênh lệch"))
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(!(try await focal.send(.GET, page)).body.contains("Cảnh báo:"))
        }
    }
}
