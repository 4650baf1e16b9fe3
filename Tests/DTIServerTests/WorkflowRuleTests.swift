import DTICore
import DTIFormats
import Foundation
import Testing
import Vapor
@testable import DTIServer

/// The workflow rules as plain functions — who may change what, and when —
/// tested without HTTP or a database: the models are built in memory and the
/// day is set as the application's clock would set it.
@Suite("Workflow rules without HTTP")
struct WorkflowRuleTests {
    static let framework: CompiledFramework = {
        CompiledFramework(try! FrameworkLoader.load(path: TestPaths.frameworks + "/daklak-2023-department.yaml"))
    }()

    let unit: UnitModel = {
        let u = UnitModel(code: "SNNPTNT", name: "Sở Nông nghiệp và PTNT", level: "department", groupName: "Sở, ban, ngành")
        u.id = UUID()
        return u
    }()

    func account(_ role: Role, unit: UnitModel? = nil, fields: String? = nil) -> UserAccount {
        let a = UserAccount(username: "\(role.rawValue)-\(UUID().uuidString.prefix(4))", displayName: role.label, passwordHash: "", role: role, unitID: unit?.id)
        a.id = UUID()
        a.scopeFields = fields ?? ""
        return a
    }

    /// Self-assessment in March, evaluation 26/3–15/4, council 2/5–15/5 (Đắk Lắk 2023's dates, in 2026).
    func assessment(today: String, state: Submission.Status? = nil, locked: Bool = false, open: Set<String> = [],
                    exceptions: [String: String] = [:]) -> SelfAssessment {
        let period = Period(year: 2026, title: "Thử")
        period.id = UUID()
        period.locked = locked
        period.$phases.value = [(Phase.selfAssessment, "2026-03-01", "2026-03-25"), (.evaluation, "2026-03-26", "2026-04-15"),
                                (.corrections, "2026-04-16", "2026-04-30"), (.councilAppraisal, "2026-05-02", "2026-05-15")]
            .map { PeriodPhase(periodID: period.id!, phase: $0.0, startsOn: $0.1, endsOn: $0.2) }
        let version = FrameworkVersion(key: "daklak-2023-department", version: 1, level: "department", year: 2023, title: "", yaml: "", sha256: "")
        var submission: Submission?
        if let state {
            submission = Submission(periodID: period.id!, unitID: unit.id!)
            submission?.id = UUID()
            submission?.status = state.rawValue
        }
        return SelfAssessment(period: period, unit: unit, frameworkVersion: version, framework: Self.framework, submission: submission,
                              answers: [:], openCorrections: open, exceptions: exceptions, today: today)
    }

    @Test("the unit's focal point changes answers during self-assessment, and only then")
    func editWindow() {
        let focal = account(.focalPoint, unit: unit)
        #expect(assessment(today: "2026-03-10").editRefusal(for: focal) == nil)
        #expect(assessment(today: "2026-03-25").editRefusal(for: focal) == nil, "the last day counts")
        let late = assessment(today: "2026-03-26").editRefusal(for: focal)
        #expect(late?.status == .conflict && late?.reason.contains("Ngoài thời gian tự đánh giá") == true)
        // A deadline exception granted to this unit.
        #expect(assessment(today: "2026-03-28", exceptions: ["self_assessment": "2026-03-31"]).editRefusal(for: focal) == nil)
        #expect(assessment(today: "2026-04-01", exceptions: ["self_assessment": "2026-03-31"]).editRefusal(for: focal)?.status == .conflict)
    }

    @Test("nobody else writes: another unit's focal point, the leader, reviewers — 403; a lock or a submission — 409")
    func whoAndWhen() {
        let other = UnitModel(code: "STC", name: "Sở Tài chính", level: "department", groupName: "Sở, ban, ngành")
        other.id = UUID()
        let a = assessment(today: "2026-03-10")
        for user in [account(.focalPoint, unit: other), account(.unitLeader, unit: unit), account(.evaluator), account(.councilMember), account(.administrator)] {
            #expect(a.editRefusal(for: user)?.status == .forbidden, "\(user.role)")
        }
        let focal = account(.focalPoint, unit: unit)
        #expect(assessment(today: "2026-03-10", locked: true).editRefusal(for: focal)?.status == .conflict)
        #expect(assessment(today: "2026-03-10", state: .awaitingApproval).editRefusal(for: focal)?.status == .conflict)
        #expect(assessment(today: "2026-03-10", state: .submitted).editRefusal(for: focal)?.status == .conflict)
        #expect(assessment(today: "2026-03-10", state: .returned).editRefusal(for: focal) == nil, "a returned form is open again")
    }

    @Test("a criterion sent back may be fixed during evaluation and corrections; the rest stays locked")
    func sentBack() {
        let focal = account(.focalPoint, unit: unit)
        let a = assessment(today: "2026-04-20", state: .submitted, open: ["2"])
        #expect(a.editRefusal(for: focal, criterion: "2") == nil)
        #expect(a.editRefusal(for: focal, criterion: "3")?.status == .conflict)
        #expect(assessment(today: "2026-05-01", state: .submitted, open: ["2"]).editRefusal(for: focal, criterion: "2")?.status == .conflict)
    }

    @Test("reviewers: the evaluator in the evaluation window and field, the council in its own window, only after submission")
    func review() {
        let evaluator = account(.evaluator), fieldOne = account(.evaluator, fields: "1"), council = account(.councilMember)
        let submitted = assessment(today: "2026-04-01", state: .submitted)
        #expect(ReviewService.refusal(submitted, stage: .evaluation, user: evaluator, criterion: "2") == nil)
        #expect(ReviewService.refusal(submitted, stage: .evaluation, user: fieldOne, criterion: "2")?.status == .forbidden)
        #expect(ReviewService.refusal(submitted, stage: .evaluation, user: fieldOne, criterion: "1") == nil)
        #expect(ReviewService.refusal(submitted, stage: .council, user: council, criterion: "2")?.status == .conflict, "before the council's window")
        #expect(ReviewService.refusal(assessment(today: "2026-05-05", state: .submitted), stage: .council, user: council, criterion: "2") == nil)
        #expect(ReviewService.refusal(assessment(today: "2026-04-01", state: .awaitingApproval), stage: .evaluation, user: evaluator, criterion: "2")?.status == .conflict)
        #expect(ReviewService.refusal(assessment(today: "2026-04-01", state: .submitted, locked: true), stage: .evaluation, user: evaluator, criterion: "2")?.status == .conflict)
        #expect(ReviewService.refusal(submitted, stage: .evaluation, user: council, criterion: "2")?.status == .forbidden)
    }

    @Test("correction threads: another field's evaluator is refused, and everyone once the period is locked")
    func threads() {
        let a = assessment(today: "2026-04-01", state: .submitted, open: ["2"])
        #expect(CorrectionService.threadRefusal(a, user: account(.evaluator), criterion: "2") == nil)
        #expect(CorrectionService.threadRefusal(a, user: account(.evaluator, fields: "1"), criterion: "2")?.status == .forbidden)
        let locked = assessment(today: "2026-04-01", state: .submitted, locked: true, open: ["2"])
        #expect(CorrectionService.threadRefusal(locked, user: account(.focalPoint, unit: unit), criterion: "2")?.status == .conflict)
    }

    @Test("days are Việt Nam days: 17:30 UTC on 25 March is already 26 March, past the self-assessment deadline")
    func vietnamDays() throws {
        let clock = FixedClock(try #require(ISO8601DateFormatter().date(from: "2026-03-25T16:59:00Z")))
        #expect(DateText.todayISO(clock.now()) == "2026-03-25")
        clock.advance(31 * 60)
        #expect(DateText.todayISO(clock.now()) == "2026-03-26")
        let focal = account(.focalPoint, unit: unit)
        #expect(assessment(today: DateText.todayISO(clock.now())).editRefusal(for: focal)?.status == .conflict)
    }
}
