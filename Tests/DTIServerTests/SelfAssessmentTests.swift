import DTICore
import DTIFormats
import Fluent
import SQLKit
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// A period whose self-assessment phase is open today, on the Đắk Lắk 2023
/// department framework (seven scored nodes, 1.000 points).
func openPeriod(_ app: Application) async throws -> String {
    let admin = Browser(app)
    _ = try await admin.signIn("quantri")
    let today = DateText.todayISO()
    let r = try await admin.send(.POST, "/admin/periods", form: [
        "year": "2025", "title": "Đánh giá năm 2025 (thử)",
        "self_assessment_from": "2020-01-01", "self_assessment_to": "2099-12-31",
        "evaluation_from": "2100-01-01", "evaluation_to": "2100-02-01",
        "fw_department": "daklak-2023-department@1"])
    #expect(r.status == .seeOther, "period created on \(today)")
    return String(r.headers.first(name: .location)!.dropFirst("/periods/".count))
}

struct SavedAnswer: Decodable {
    struct Totals: Decodable, Equatable {
        var totalPoints: String
        var applicableMax: String
        var index: String
        var applicable: Int
        var answered: Int
    }
    var criterion: String
    var version: Int
    var points: String
    var totals: Totals
}

@Suite("Self-assessment: answers, submission, two-account approval", .serialized)
struct SelfAssessmentTests {
    /// The change-log entries of one unit's submission in `period` (the demo's other units and
    /// periods have entries of their own: their seeded answers, by "demo").
    func changeLog(_ app: Application, _ period: String, _ unit: String) async throws -> QueryBuilder<ChangeEntry> {
        let unitID = try #require(try await UnitModel.query(on: app.db).filter(\.$code == unit).first()?.id)
        let submission = try #require(try await Submission.query(on: app.db).filter(\.$period.$id == UUID(uuidString: period)!)
            .filter(\.$unit.$id == unitID).first())
        return ChangeEntry.query(on: app.db).filter(\.$submissionID == submission.id!)
    }

    func put(_ b: Browser, _ period: String, _ unit: String, _ code: String, value: String, version: Int, explanation: String? = nil) async throws -> Browser.Result {
        var body: [String: String] = ["value": value]
        if let explanation { body["explanation"] = explanation }
        struct Body: Encodable { var value: String; var explanation: String?; var version: Int }
        return try await b.send(.PUT, "/api/v1/periods/\(period)/units/\(unit)/answers/\(code)", json: Body(value: value, explanation: explanation, version: version))
    }

    @Test("the focal point saves answers; DTICore computes the points; stale and invalid saves are refused")
    func answers() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let first = try await put(focal, period, "SNNPTNT", "1", value: "85,5", version: 0)
            #expect(first.status == .ok, "\(first.body)")
            #expect(try first.json(SavedAnswer.self).points == "85,50")
            #expect(try first.json(SavedAnswer.self).version == 1)
            let stale = try await put(focal, period, "SNNPTNT", "1", value: "90", version: 0)
            #expect(stale.status == .conflict)
            #expect(stale.body.contains(#""currentValue":"85,5""#))
            let tooHigh = try await put(focal, period, "SNNPTNT", "1", value: "120", version: 1)
            #expect(tooHigh.status == .unprocessableEntity)
            #expect(tooHigh.body.contains("vượt điểm tối đa 100"))
            let text = try await put(focal, period, "SNNPTNT", "2", value: "tám mươi", version: 0)
            #expect(text.status == .unprocessableEntity)
            #expect(text.body.contains("không phải là số"))
            let unknown = try await put(focal, period, "SNNPTNT", "9.9", value: "1", version: 0)
            #expect(unknown.status == .notFound)
            let view = try await focal.send(.GET, "/api/v1/periods/\(period)/units/SNNPTNT/self-assessment")
            #expect(view.body.contains(#""totalPoints":"85,50""#))
            #expect(view.body.contains(#""applicableMax":"1000""#))
            // A save answers with the totals the whole form shows, not the whole form.
            struct Form: Decodable {
                struct Checklist: Decodable { var applicable: Int; var answered: Int }
                var totalPoints: String; var applicableMax: String; var index: String; var checklist: Checklist
            }
            let second = try await put(focal, period, "SNNPTNT", "2", value: "70", version: 0)
            let saved = try second.json(SavedAnswer.self)
            let form = try await focal.send(.GET, "/api/v1/periods/\(period)/units/SNNPTNT/self-assessment").json(Form.self)
            #expect(saved.totals == .init(totalPoints: form.totalPoints, applicableMax: form.applicableMax, index: form.index,
                                          applicable: form.checklist.applicable, answered: form.checklist.answered))
            #expect(saved.totals.answered == 2 && saved.totals.totalPoints != "85,50")
            #expect(!second.body.contains("\"rows\""))
            // A save that changes the value and the explanation logs both, each with what it replaced; nothing else.
            let third = try await put(focal, period, "SNNPTNT", "2", value: "72", version: 1, explanation: "Theo báo cáo số 12/BC")
            #expect(third.status == .ok, "\(third.body)")
            let log = try await changeLog(app, period, "SNNPTNT").filter(\.$criterion == "2").all()
                .map { "\($0.field): \($0.oldValue) → \($0.newValue)" }.sorted()
            #expect(log == ["explanation:  → Theo báo cáo số 12/BC", "value:  → 70", "value: 70 → 72"], "\(log)")
        }
    }

    @Test("nobody but the unit, the evaluators, the council and the administrator sees a draft")
    func visibility() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let path = "/api/v1/periods/\(period)/units/SNNPTNT/self-assessment"
            for (user, status) in [("daumoi.snn", HTTPStatus.ok), ("lanhdao.snn", .ok), ("thamdinh", .ok), ("hoidong", .ok), ("quantri", .ok), ("xem", .forbidden)] {
                let b = Browser(app)
                _ = try await b.signIn(user)
                #expect(try await b.send(.GET, path).status == status, "\(user)")
            }
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let other = try await focal.send(.GET, "/api/v1/periods/\(period)/units/STTTT/self-assessment")
            #expect(other.status == .forbidden)
            let otherWrite = try await put(focal, period, "STTTT", "1", value: "10", version: 0)
            #expect(otherWrite.status == .forbidden)
            #expect(try await Browser(app).send(.GET, path).status == .unauthorized)
            // Only the focal point writes; the leader and the evaluator may not.
            let leader = Browser(app)
            _ = try await leader.signIn("lanhdao.snn")
            #expect(try await put(leader, period, "SNNPTNT", "1", value: "10", version: 0).status == .forbidden)
            // The unit tagged without online public services is scored out of 900.
            let inspectorate = try await Browser(app).send(.GET, "/api/v1/units/TTT")
            #expect(inspectorate.body.contains("no-online-public-services"))
        }
    }

    @Test("submit needs every criterion; the leader returns with a reason, then approves; the log keeps it all")
    func workflow() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            _ = try await put(focal, period, "SNNPTNT", "1", value: "90", version: 0)
            let early = try await focal.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/submit", json: [String: String]())
            #expect(early.status == .unprocessableEntity)
            #expect(early.body.contains("Tiêu chí 2 (Thể chế số) chưa có số liệu."))
            for (code, value) in [("2", "100"), ("3", "80"), ("4", "75,5"), ("5", "60"), ("6.DVC", "70"), ("6.KHAC", "350")] {
                #expect(try await put(focal, period, "SNNPTNT", code, value: value, version: 0).status == .ok)
            }
            let sent = try await focal.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/submit", json: [String: String]())
            #expect(sent.status == .ok)
            #expect(sent.body.contains(#""status":"awaiting_approval""#))
            // 90+100+80+75,5+60+70+350 = 825,5 of 1.000 → 0,8255
            #expect(sent.body.contains(#""totalPoints":"825,50""#))
            #expect(sent.body.contains(#""index":"0,8255""#))
            #expect(try await put(focal, period, "SNNPTNT", "1", value: "95", version: 1).status == .conflict)
            let leader = Browser(app)
            _ = try await leader.signIn("lanhdao.snn")
            let noReason = try await leader.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/return", json: ["reason": " "])
            #expect(noReason.status == .unprocessableEntity)
            let back = try await leader.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/return", json: ["reason": "Kiểm tra lại chỉ số Nhận thức số"])
            #expect(back.body.contains(#""status":"returned""#))
            #expect(try await put(focal, period, "SNNPTNT", "1", value: "95", version: 1).status == .ok)
            #expect(try await focal.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/submit", json: [String: String]()).status == .ok)
            // Sent again after the return: the leader's "Thay đổi từ lần gửi gần nhất" is what changed since the
            // unit last sent it to the leader — the return, the fix of criterion 1, the new sending — not the whole log
            // (issue 32, item 3).
            struct Since: Decodable { var criterion: String; var field: String; var oldValue: String; var newValue: String }
            let since = try await leader.send(.GET, "/api/v1/periods/\(period)/units/SNNPTNT/changes?since=submission").json([Since].self)
            #expect(since.map { "\($0.field) \($0.criterion) \($0.oldValue)→\($0.newValue)" }
                    == ["status  awaiting_approval→returned", "value 1 90→95", "status  returned→awaiting_approval"], "\(since)")
            let sincePage = try await leader.send(.GET, "/periods/\(period)/units/SNNPTNT/changes?since=submission")
            #expect(sincePage.body.contains("Thay đổi từ lần gửi trước (") && !sincePage.body.contains("<td>100</td>") && sincePage.body.contains("<td>90</td><td>95</td>"), "\(sincePage.body.suffix(1200))")
            // The focal point cannot approve its own submission (two-account rule).
            #expect(try await focal.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/approve", json: [String: String]()).status == .forbidden)
            let approved = try await leader.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/approve", json: [String: String]())
            #expect(approved.body.contains(#""status":"submitted""#))
            let log = try await leader.send(.GET, "/api/v1/periods/\(period)/units/SNNPTNT/changes")
            struct Change: Decodable { var criterion: String; var actor: String; var field: String; var oldValue: String; var newValue: String; var reason: String }
            let changes = try log.json([Change].self)
            #expect(changes.contains { $0.criterion == "1" && $0.oldValue == "90" && $0.newValue == "95" && $0.actor == "daumoi.snn" })
            #expect(changes.filter { $0.field == "status" }.map(\.newValue) == ["awaiting_approval", "returned", "awaiting_approval", "submitted"])
            #expect(changes.contains { $0.newValue == "returned" && $0.reason == "Kiểm tra lại chỉ số Nhận thức số" })
        }
    }

    @Test("many clients saving the same criterion at once: one wins per version, no save is lost silently")
    func concurrentSaves() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await put(focal, period, "SNNPTNT", "1", value: "50", version: 0).status == .ok)
            let cookie = focal.cookie!, csrf = focal.csrf!
            let statuses = try await withThrowingTaskGroup(of: (Int, HTTPStatus).self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let b = Browser(app)
                        b.cookie = cookie
                        b.csrf = csrf
                        let r = try await self.put(b, period, "SNNPTNT", "1", value: String(60 + i), version: 1)
                        return (60 + i, r.status)
                    }
                }
                var out: [(Int, HTTPStatus)] = []
                for try await result in group { out.append(result) }
                return out
            }
            let accepted = statuses.filter { $0.1 == .ok }
            #expect(accepted.count == 1, "\(statuses.map(\.1.code))")
            #expect(statuses.allSatisfy { $0.1 == .ok || $0.1 == .conflict })
            let log = try await changeLog(app, period, "SNNPTNT").filter(\.$criterion == "1").filter(\.$field == "value").all()
            // Every acknowledged save is in the log once, and nothing else is.
            #expect(log.map(\.newValue).sorted() == (["50"] + accepted.map { String($0.0) }).sorted())
            #expect(log.first { $0.newValue != "50" }?.oldValue == "50")
            let submission = try #require(try await Submission.query(on: app.db).filter(\.$period.$id == UUID(uuidString: period)!).first())
            let answer = try #require(try await Answer.query(on: app.db).filter(\.$submission.$id == submission.id!).filter(\.$criterion == "1").first())
            #expect(answer.version == 2)
            #expect(answer.value == String(accepted[0].0))
        }
    }

    @Test("a save's change log: each changed field once with its old value, who and when, in the save's own statement; unchanged fields log nothing, a reviewer's note its own entry")
    func changeLogOfSaves() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await put(focal, period, "SNNPTNT", "1", value: "40", version: 0, explanation: "Kế hoạch 12").status == .ok)
            let before = Date()
            #expect(try await put(focal, period, "SNNPTNT", "1", value: "45", version: 1, explanation: "Kế hoạch 12, 13").status == .ok)
            #expect(try await put(focal, period, "SNNPTNT", "1", value: "45", version: 2, explanation: "Kế hoạch 12, 13").status == .ok)
            #expect(try await put(focal, period, "SNNPTNT", "1", value: "50", version: 3, explanation: "Kế hoạch 12, 13").status == .ok)
            let log = try await focal.send(.GET, "/api/v1/periods/\(period)/units/SNNPTNT/changes?criterion=1")
            #expect(log.status == .ok)
            struct Change: Decodable { var criterion: String; var actor: String; var field: String; var oldValue: String; var newValue: String; var reason: String }
            let changes = try log.json([Change].self).filter { $0.field == "value" || $0.field == "explanation" }
            let seen = changes.map { "\($0.field): \($0.oldValue) → \($0.newValue)" }.sorted()
            #expect(seen == ["explanation:  → Kế hoạch 12", "explanation: Kế hoạch 12 → Kế hoạch 12, 13",
                             "value:  → 40", "value: 40 → 45", "value: 45 → 50"], "\(seen)")
            #expect(changes.allSatisfy { $0.actor == "daumoi.snn" && $0.criterion == "1" && $0.reason == "" })
            // The entries the database wrote carry the save's time and ids Fluent reads back.
            let stored = try await changeLog(app, period, "SNNPTNT").filter(\.$criterion == "1").filter(\.$field == "value").all()
            #expect(stored.count == 3)
            #expect(Set(stored.compactMap(\.id)).count == 3)
            let answer = try #require(try await Answer.query(on: app.db).filter(\.$submission.$id == stored[0].submissionID).filter(\.$criterion == "1").first())
            let newest = try #require(stored.compactMap(\.at).max())
            #expect(abs(newest.timeIntervalSince(try #require(answer.updatedAt))) < 0.001)
            #expect(newest >= before)
            // A write of columns outside the log (the reason alone) logs nothing; a reviewer's note
            // logs the reviewer's entry, with the note as its reason (M021).
            let sql = app.db as! any SQLDatabase
            let row = try #require(answer.id)
            try await sql.raw("UPDATE answers SET change_reason = 'y' WHERE id = \(bind: row)").run()
            #expect(try await changeLog(app, period, "SNNPTNT").filter(\.$criterion == "1").count() == 5)
            try await sql.raw("UPDATE answers SET evaluator_comment = 'x' WHERE id = \(bind: row)").run()
            let reviewer = try await changeLog(app, period, "SNNPTNT").filter(\.$criterion == "1").filter(\.$field == "evaluator_points").all()
            #expect(reviewer.map { "\($0.oldValue) → \($0.newValue): \($0.reason)" } == [" → : x"])
        }
    }

    @Test("the form is one document: several rows in one save, a refused value kept as typed beside its row, a conflict with who and what, untouched rows never written")
    func page() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let periodPage = try await focal.send(.GET, "/periods/\(period)")
            #expect(periodPage.body.contains("/periods/\(period)/units/SNNPTNT"))
            #expect(!periodPage.body.contains("/units/STTTT\""), "a unit sees only itself")
            let page = try await focal.send(.GET, "/periods/\(period)/units/SNNPTNT")
            #expect(page.status == .ok)
            #expect(page.body.contains("Điểm tự chấm"))
            #expect(page.body.contains("name=\"value.6.DVC\" "), "one form: every row's input")
            #expect(page.body.contains("action=\"/periods/\(period)/units/SNNPTNT/answers\""))
            #expect(page.body.contains("0</strong> / 7 tiêu chí áp dụng đã có số liệu"), "the checklist from the start")
            // Three rows typed, one save: all kept.
            let path = "/periods/\(period)/units/SNNPTNT"
            let first = try await focal.saveSheet(path, [("1", [("value", "77"), ("explanation", "Có 4 cuộc họp")]), ("2", [("value", "90")]), ("3", [("value", "80,5")])], page: page.body)
            #expect(first.post.status == .seeOther)
            #expect(first.post.headers.first(name: .location) == path + "#c-1")
            #expect(first.page.body.contains("Đã lưu 3 tiêu chí: 1, 2, 3."))
            #expect(first.page.body.contains("<strong id=\"total-points\">247,50</strong>"), "\(first.page.body.prefix(2500))")
            #expect(first.page.body.contains("3</strong> / 7 tiêu chí áp dụng"))
            // The message is shown once: a reload is a plain page.
            #expect(!(try await focal.send(.GET, path)).body.contains("Đã lưu 3 tiêu chí"))
            // A refused value stays as typed beside its row, with focus on it; the valid row in the same save is kept.
            let refused = try await focal.saveSheet(path, [("4", [("value", "101"), ("explanation", "Theo báo cáo quý IV")]), ("5", [("value", "60")])])
            #expect(refused.post.headers.first(name: .location) == path, "no fragment: the refused field has autofocus")
            #expect(refused.page.status == .ok)
            #expect(refused.page.body.contains("Đã lưu 1 tiêu chí: 5."))
            #expect(refused.page.body.contains("vượt điểm tối đa 100"))
            #expect(refused.page.body.contains("name=\"value.4\" value=\"101\" inputmode=\"decimal\" aria-invalid=\"true\" aria-describedby=\"p-4\" autofocus"))
            #expect(refused.page.body.contains(">Theo báo cáo quý IV</textarea>"))
            // Someone else saves row 2 meanwhile: the user's row 2 comes back as a conflict with their value, row 6.DVC is saved.
            let stale = try await focal.send(.GET, path).body
            let other = Browser(app)
            _ = try await other.signIn("daumoi.snn")
            _ = try await other.saveSheet(path, [("2", [("value", "95")])])
            let raced = try await focal.saveSheet(path, [("2", [("value", "92")]), ("6.DVC", [("value", "70")])], page: stale)
            #expect(raced.page.body.contains("Đã lưu 1 tiêu chí: 6.DVC."))
            #expect(raced.page.body.contains("đã lưu tiêu chí này lúc"), "who and when")
            #expect(raced.page.body.contains("Giá trị đã lưu: 95"), "their value")
            #expect(raced.page.body.contains("name=\"value.2\" value=\"92\""), "the user's value is kept")
            // Rows not touched are not written, even though another person changed one of them.
            // (The stale page showed 90 for row 2; the browser sends it back as it was.)
            let untouched = try await focal.saveSheet(path, [("2", [("value", "90")]), ("3", [("value", "80,5")])], page: stale)
            #expect(untouched.page.body.contains("Không có thay đổi nào để lưu."), "\(untouched.page.body.prefix(1500))")
            #expect(try await other.send(.GET, path).body.contains("name=\"value.2\" value=\"95\""), "the other person's save stands")
        }
    }

    @Test("points while typing come from the server's rules: the preview equals Rule.evaluate for every rule type, and writes nothing")
    func previewMatchesRules() async throws {
        try await withDemoApp { app in
            // 2024: the demo's huyện were dissolved on 1 July 2025.
            let period = try await periodWithAllPhasesOpen(app, year: 2024, title: "Xem trước điểm", frameworks: ["district": "example-all-rules@1"])
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            _ = try await admin.send(.POST, "/api/v1/users", json: ["username": "daumoi.kp", "displayName": "Đầu mối Krông Pắc",
                                                                    "password": "Mat-khau#2026", "role": "focal_point", "unitCode": "KRONGPAC"])
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.kp", password: "Mat-khau#2026")
            let path = "/periods/\(period)/units/KRONGPAC"
            _ = try await focal.send(.GET, path)
            let fw = try FrameworkCatalog.compiled(try #require(try await FrameworkVersion.query(on: app.db).filter(\.$key == "example-all-rules").first()))
            // Values for each rule type, several per type (some at tier edges, a zero denominator, a refused one).
            var samples: [(code: String, value: String, b: String)] = []
            for leaf in fw.leaves {
                let node = fw.nodes[leaf]
                switch node.rule! {
                case .yesNo: samples += [(node.code, "có", ""), (node.code, "không", "")]
                case .tiers: samples += [(node.code, "0", ""), (node.code, "3", ""), (node.code, "4", ""), (node.code, "1.000", "")]
                case .cappedCount: samples += [(node.code, "0", ""), (node.code, "2", ""), (node.code, "99", "")]
                case .ratio: samples += [(node.code, "3", "4"), (node.code, "0", "0"), (node.code, "5", "4"), (node.code, "1,5", "3")]
                case .manual: samples += [(node.code, "7,25", ""), (node.code, "9999", "")]
                case .choice(let options): samples += options.map { (node.code, $0.key, "") }
                case .parts(let options): samples += [(node.code, options.map(\.key).joined(separator: ";"), ""), (node.code, options[0].key, ""), (node.code, "-", "")]
                }
            }
            let unit = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "KRONGPAC").first())
            let kinds = Set(fw.leaves.map { "\(fw.nodes[$0].rule!)".prefix { $0 != "(" } })
            #expect(kinds.count == 7, "every rule type is sampled: \(kinds)")
            struct Preview: Decodable { struct Row: Decodable { var points: String; var problem: String? }; var rows: [String: Row] }
            for sample in samples {
                let node = fw.nodes[fw.node(code: sample.code)!]
                var pairs = [("csrf", focal.csrf ?? ""), ("version.\(sample.code)", "0")]
                if case .parts = node.rule! {
                    pairs.append(("hasparts.\(sample.code)", "1"))
                    pairs += sample.value.split(separator: ";").filter { $0 != "-" }.map { ("parts.\(sample.code)", String($0)) }
                } else {
                    pairs += [("value.\(sample.code)", sample.value), ("b.\(sample.code)", sample.b)]
                }
                let body = pairs.map { "\($0.0.urlEncoded)=\($0.1.urlEncoded)" }.joined(separator: "&")
                let response = try await focal.send(.POST, path + "/preview", body: body, contentType: .urlEncodedForm, withCSRF: false)
                #expect(response.status == .ok, "\(response.body)")
                let row = try #require(try response.json(Preview.self).rows[sample.code])
                // The same answer, as DTICore reads and scores it.
                let expected: String
                switch AnswerParser.parseTyped(node.rule!, value: sample.value, b: sample.b) {
                case _ where !node.applicability.applies(toUnitTagged: Set(unit.tagList)): expected = "-"
                case .failure: expected = "-"
                case .success(let typed):
                    switch node.rule!.evaluate(typed.input, max: node.max) {
                    case .points(let p): expected = node.inputRange.map { range in InputReference(criterion: node.code, field: .value).number(in: typed.input).map { range.contains($0) } ?? true } == false ? "-" : PointsText.points(p)
                    case .notApplicable: expected = PointsText.points(0)
                    case .invalid: expected = "-"
                    }
                }
                #expect(row.points == expected, "\(sample.code) \(sample.value)/\(sample.b): \(row.points) ≠ \(expected) (\(row.problem ?? ""))")
                if expected == "-" { #expect(row.problem != nil, "a refused value says why") }
            }
            // Nothing was written.
            #expect(try await Answer.query(on: app.db).filter(\.$updatedBy == "daumoi.kp").count() == 0)
            // Who may not read the form may not preview it either.
            let other = Browser(app)
            _ = try await other.signIn("daumoi.snn")
            #expect(try await other.send(.POST, path + "/preview", body: "csrf=\(other.csrf ?? "")&value.1.1=3", contentType: .urlEncodedForm, withCSRF: false).status == .forbidden)
        }
    }
}

@Suite("Deadlines", .serialized)
struct DeadlineTests {
    @Test("after the self-assessment phase a save is refused; an administrator's recorded exception lets one unit finish")
    func lateAndException() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let created = try await admin.send(.POST, "/admin/periods", form: [
                "year": "2024", "title": "Kỳ đã hết hạn tự đánh giá", "self_assessment_from": "2020-01-01", "self_assessment_to": "2020-02-01",
                "fw_department": "daklak-2023-department@1"])
            let period = String(created.headers.first(name: .location)!.dropFirst("/periods/".count))
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            struct Body: Encodable { var value: String; var version: Int }
            let late = try await focal.send(.PUT, "/api/v1/periods/\(period)/units/SNNPTNT/answers/1", json: Body(value: "80", version: 0))
            #expect(late.status == .conflict)
            #expect(late.body.contains("Ngoài thời gian tự đánh giá"))
            struct Exception: Encodable { var phase: String; var until: String; var reason: String }
            let noReason = try await admin.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/exceptions", json: Exception(phase: "self_assessment", until: "2099-12-31", reason: ""))
            #expect(noReason.status == .unprocessableEntity)
            let granted = try await admin.send(.POST, "/api/v1/periods/\(period)/units/SNNPTNT/exceptions",
                                               json: Exception(phase: "self_assessment", until: "2099-12-31", reason: "Công văn xin gia hạn số 45/SNN"))
            #expect(granted.status == .created)
            #expect(try await focal.send(.PUT, "/api/v1/periods/\(period)/units/SNNPTNT/answers/1", json: Body(value: "80", version: 0)).status == .ok)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "deadline_exception").count() == 1)
            // Another unit is still late.
            let other = try await Browser(app).send(.GET, "/api/v1/periods/\(period)/units/STTTT/self-assessment")
            #expect(other.status == .unauthorized)
        }
    }
}
