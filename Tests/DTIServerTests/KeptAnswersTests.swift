import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// A submission's answers are kept between requests under its answers
/// revision (KeptAnswers, ADR 0036): a save moves them on, and every other
/// change — another process's save, an evaluator's score, a statement made
/// by hand — is seen on the next request, because the database raises the
/// revision in the statement that makes it.
@Suite("Kept answers: every change reaches the next request", .serialized)
struct KeptAnswersTests {
    struct Body: Encodable { var value: String; var version: Int }
    struct View: Decodable {
        struct Row: Decodable { var code: String; var isLeaf: Bool; var applicable: Bool; var input: String?; var value: String; var version: Int }
        var rows: [Row]
    }

    func save(_ b: Browser, _ period: String, _ criterion: String, value: String, version: Int) async throws -> Browser.Result {
        try await b.send(.PUT, "/api/v1/periods/\(period)/units/SNNPTNT/answers/\(criterion)", json: Body(value: value, version: version))
    }

    func view(_ b: Browser, _ period: String) async throws -> [String: View.Row] {
        let r = try await b.send(.GET, "/api/v1/periods/\(period)/units/SNNPTNT/self-assessment")
        #expect(r.status == .ok, "\(r.body.prefix(300))")
        return Dictionary(uniqueKeysWithValues: try r.json(View.self).rows.map { ($0.code, $0) })
    }

    /// The submission of SNNPTNT in `period` and its answers revision, as the database has them.
    func submission(_ app: Application, _ period: String) async throws -> (id: UUID, revision: Int) {
        let row = try await (app.db as! any SQLDatabase).raw("""
            SELECT submissions.id, submissions.answers_revision FROM submissions JOIN units ON units.id = submissions.unit_id
            WHERE units.code = 'SNNPTNT' AND submissions.period_id = \(bind: UUID(uuidString: period)!)
            """).first()
        let found = try #require(row)
        return (try found.decode(column: "id", as: UUID.self), try found.decode(column: "answers_revision", as: Int.self))
    }

    /// Two criteria of the department framework a focal point answers with a number.
    func twoCriteria(_ focal: Browser, _ period: String) async throws -> (String, String) {
        let numbers = try await view(focal, period).values.filter { $0.isLeaf && $0.applicable && ($0.input == "number" || $0.input == "manual") }
            .map(\.code).sorted()
        try #require(numbers.count >= 2)
        return (numbers[0], numbers[1])
    }

    @Test("a save moves the kept answers on; answers changed and removed behind the process are seen on the next request")
    func changesBehindTheProcess() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let (first, _) = try await twoCriteria(focal, period)
            #expect(try await save(focal, period, first, value: "10", version: 0).status == .ok)
            #expect(try await view(focal, period)[first]?.value == "10")
            #expect(try await save(focal, period, first, value: "11", version: 1).status == .ok)

            // The save moved the kept rows to the revision the database now has: the next load reads no answers.
            let (id, revision) = try await submission(app, period)
            let kept = try #require(app.keptAnswers?.rows(of: id, revision: revision), "kept at the database's revision after the save")
            #expect(try kept[first]?.decode(column: "value", as: String.self) == "11")
            #expect(try await view(focal, period)[first].map { ($0.value, $0.version) } ?? ("", 0) == ("11", 2))

            // Another process (or a hand-written fix) changes the answer: the next view and save see it.
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE answers SET value = '42', version = version + 1 WHERE submission_id = \(bind: id) AND criterion = \(bind: first)").run()
            #expect(try await submission(app, period).revision == revision + 1)
            #expect(try await view(focal, period)[first].map { ($0.value, $0.version) } ?? ("", 0) == ("42", 3))
            let stale = try await save(focal, period, first, value: "12", version: 2)
            #expect(stale.status == .conflict && stale.body.contains("\"currentValue\":\"42\""), "\(stale.body)")

            // Removed behind the process: the criterion is unanswered again.
            try await sql.raw("DELETE FROM answers WHERE submission_id = \(bind: id) AND criterion = \(bind: first)").run()
            let emptied = try await view(focal, period)[first]
            #expect(emptied?.value == "" && emptied?.version == 0, "\(String(describing: emptied))")
            #expect(try await save(focal, period, first, value: "13", version: 0).status == .ok)
            #expect(try await view(focal, period)[first]?.value == "13")
        }
    }

    @Test("another answer of the submission changed between a save's load and its update: the kept rows are not used, the next load has both")
    func changedDuringASave() async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let (first, second) = try await twoCriteria(focal, period)
            #expect(try await save(focal, period, first, value: "10", version: 0).status == .ok)
            #expect(try await save(focal, period, second, value: "20", version: 0).status == .ok)
            _ = try await view(focal, period)  // kept

            // A save's steps, with another process's change of the second answer between its load and its update.
            let user = try #require(try await UserAccount.query(on: app.db).filter(\.$username == "daumoi.snn").first())
            let ctx = ServiceContext(actor: user, db: app.db, clock: app.clock, address: "", hashPassword: { _ in "" },
                                     periods: app.periodCache, keptAnswers: app.keptAnswers)
            let loaded = try await SelfAssessment.load(ctx, periodID: UUID(uuidString: period), unitCode: "SNNPTNT")
            let (id, revision) = try await submission(app, period)
            #expect(loaded.answersRevision == revision)
            try await (app.db as! any SQLDatabase).raw("""
                UPDATE answers SET value = '21', version = version + 1 WHERE submission_id = \(bind: id) AND criterion = \(bind: second)
                """).run()
            let outcome = try await SelfAssessmentService.save(loaded, permit: try loaded.permit(user, criterion: first),
                                                               input: AnswerInput(value: "11", version: 1), in: ctx)
            guard case .saved = outcome else { Issue.record("the save of \(first) was refused"); return }
            #expect(try await submission(app, period).revision == revision + 2)
            // Kept under revision + 1 (the save's own step), which the database has passed.
            #expect(app.keptAnswers?.rows(of: id, revision: revision + 2) == nil)

            let rows = try await view(focal, period)
            #expect(rows[first]?.value == "11" && rows[second]?.value == "21", "\(String(describing: rows[first])) \(String(describing: rows[second]))")
        }
    }

    @Test("every demo submission's answers, read and then from the kept rows, are the ones Fluent reads, stored and unchanged")
    func sameAsFluent() async throws {
        try await withDemoApp { app in
            let admin = try #require(try await UserAccount.query(on: app.db).filter(\.$username == "quantri").first())
            let kept = KeptAnswers()
            let submissions = try await Submission.query(on: app.db).with(\.$unit).all()
            #expect(submissions.count > 10)
            for submission in submissions {
                let fluent = Dictionary(uniqueKeysWithValues: try await Answer.query(on: app.db).filter(\.$submission.$id == submission.id!).all()
                    .map { ($0.criterion, $0) })
                for store in [nil, kept, kept] {
                    let ctx = ServiceContext(actor: admin, db: app.db, clock: app.clock, address: "", hashPassword: { _ in "" }, keptAnswers: store)
                    let read = try await SelfAssessment.load(ctx, periodID: submission.$period.id, unitCode: submission.unit.code)
                    #expect(read.answers.keys.sorted() == fluent.keys.sorted())
                    for (criterion, answer) in read.answers {
                        let expected = try #require(fluent[criterion])
                        #expect(try RowModelTests().json(answer) == RowModelTests().json(expected), "\(submission.unit.code) \(criterion)")
                        #expect(answer._$idExists && !answer.hasChanges)
                    }
                }
            }
            #expect(kept.count == submissions.count)
        }
    }
}
