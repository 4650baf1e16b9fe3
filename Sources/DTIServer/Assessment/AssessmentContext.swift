import DTICore
import DTIFormats
import Fluent
import Vapor

/// What the self-assessment page shows around the answers: the evidence
/// files, the correction threads, and (for reviewers) the warnings against
/// last year's and the peers' values.
struct AssessmentContext {
    var evidence: [EvidenceFile] = []
    var threads: [String: CorrectionService.Thread] = [:]
    var warnings: [String: [String]] = [:]
    /// Display names by username, for the people the page names.
    var names: [String: String] = [:]
    /// Where each automated answer came from (issue 33).
    var sources: [String: FeedProvenance] = [:]

    static func load(_ a: SelfAssessment, for user: UserAccount, on db: any Database) async throws -> AssessmentContext {
        var context = AssessmentContext()
        guard let submission = a.submission else { return context }
        context.evidence = try await EvidenceFile.query(on: db).filter(\.$submission.$id == submission.id!).sort(\.$uploadedAt).all()
        // The latest thread of each criterion (an open one if any).
        for thread in try await CorrectionService.threads(a, on: db) {
            if context.threads[thread.criterion]?.status != CorrectionRequest.Status.open.rawValue { context.threads[thread.criterion] = thread }
        }
        // The names of the people the page shows (uploaders, authors in the threads), and only when it shows some.
        let people = Set(context.evidence.map(\.uploadedBy) + context.threads.values.flatMap { $0.messages.map(\.author) })
        if !people.isEmpty { context.names = try await AccountDirectory.displayNames(of: people, on: db) }
        if user.role.isReviewer {
            context.warnings = try await warnings(a, on: db)
        }
        context.sources = try await FeedProvenance.load(a, on: db)
        return context
    }

    /// A comparable number for an answer: the count, or a ratio as a percentage.
    static func comparable(_ rule: Rule, value: String, b: String) -> (ScaledDecimal, isPercent: Bool)? {
        switch AnswerParser.parse(rule, value: value, b: b) {
        case .success(.number(let n)), .success(.manual(let n)): return (n, false)
        case .success(.ratio(let a, let b)) where b.micros > 0:
            return (ScaledDecimal.ratio(a, b, times: 100, decimals: 6), true)
        default: return nil
        }
    }

    /// Warnings per criterion: the unit's answer against its own answer in
    /// the latest earlier period, and against the submitted answers of the
    /// units of its group and level in this period.
    static func warnings(_ a: SelfAssessment, on db: any Database) async throws -> [String: [String]] {
        var lastYear: [String: Answer] = [:]
        let earlier = try await Period.query(on: db).filter(\.$year < a.period.year).sort(\.$year, .descending).all()
        for period in earlier {
            guard let previous = try await Submission.query(on: db).filter(\.$period.$id == period.id!).filter(\.$unit.$id == a.unit.id!).first() else { continue }
            for answer in try await Answer.query(on: db).filter(\.$submission.$id == previous.id!).all() { lastYear[answer.criterion] = answer }
            break
        }
        let peerUnits = try await UnitModel.query(on: db).filter(\.$level == a.unit.level).filter(\.$groupName == a.unit.groupName)
            .filter(\.$id != a.unit.id!).all().compactMap(\.id)
        var peers: [String: [Answer]] = [:]
        if !peerUnits.isEmpty {
            let submissions = try await Submission.query(on: db).filter(\.$period.$id == a.period.id!).filter(\.$unit.$id ~~ peerUnits)
                .filter(\.$status == Submission.Status.submitted.rawValue).all().compactMap(\.id)
            if !submissions.isEmpty {
                for answer in try await Answer.query(on: db).filter(\.$submission.$id ~~ submissions).all() { peers[answer.criterion, default: []].append(answer) }
            }
        }
        var result: [String: [String]] = [:]
        let fw = a.framework
        for (code, answer) in a.answers {
            guard let leaf = fw.leafByCode[code], let (current, isPercent) = comparable(fw.leafRule(leaf), value: answer.value, b: answer.b) else { continue }
            let rule = fw.leafRule(leaf)
            let last = lastYear[code].flatMap { comparable(rule, value: $0.value, b: $0.b)?.0 }
            let peerValues = (peers[code] ?? []).compactMap { comparable(rule, value: $0.value, b: $0.b)?.0 }
            let findings = Plausibility.check(current, lastYear: last, peers: peerValues, isPercent: isPercent)
            if !findings.isEmpty { result[code] = findings.map(\.message) }
        }
        return result
    }
}
