import Fluent
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
    var criterion: String
    var version: Int
    var points: String
}

@Suite("Self-assessment: answers, submission, two-account approval", .serialized)
struct SelfAssessmentTests {
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
            let log = try await ChangeEntry.query(on: app.db).filter(\.$criterion == "1").filter(\.$field == "value").all()
            // Every acknowledged save is in the log, and nothing else is.
            #expect(Set(log.map(\.newValue)) == Set(["50"] + accepted.map { String($0.0) }))
            let submission = try #require(try await Submission.query(on: app.db).filter(\.$period.$id == UUID(uuidString: period)!).first())
            let answer = try #require(try await Answer.query(on: app.db).filter(\.$submission.$id == submission.id!).filter(\.$criterion == "1").first())
            #expect(answer.version == 2)
            #expect(answer.value == String(accepted[0].0))
        }
    }

    @Test("the form page: inputs generated from the framework, a save, and an error shown in place")
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
            #expect(page.body.contains("action=\"/periods/\(period)/units/SNNPTNT/answers/6.DVC\""))
            let saved = try await focal.send(.POST, "/periods/\(period)/units/SNNPTNT/answers/1", form: ["value": "77", "version": "0", "explanation": "Có 4 cuộc họp"])
            #expect(saved.status == .seeOther)
            let after = try await focal.send(.GET, "/periods/\(period)/units/SNNPTNT")
            #expect(after.body.contains("<strong>77,00</strong>"))
            let bad = try await focal.send(.POST, "/periods/\(period)/units/SNNPTNT/answers/2", form: ["value": "101", "version": "0"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.contains("vượt điểm tối đa 100"))
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
