/// An answer as its reviewers left it: what the unit entered (`value`, `b`)
/// and each stage's points in millionths. Publication, the live ranking, the
/// form's totals and the scorecard all read an answer through this.
public protocol ReviewedAnswer {
    var value: String { get }
    var b: String { get }
    var selfPoints: Int64? { get }
    var evaluatorPoints: Int64? { get }
    var councilPoints: Int64? { get }
}

extension ReviewedAnswer {
    /// The points that count: the council's, else the evaluator's, else the unit's own.
    public var finalPoints: Int64? { councilPoints ?? evaluatorPoints ?? selfPoints }
}

/// The official score: the one place that says which of an answer's points
/// count and when an answer makes its criterion not apply (issue 30). The
/// server's publication, live ranking, form totals and scorecard call it, so
/// a unit's official figure can never differ between them.
public enum OfficialScore {
    /// Whether `answer` takes its criterion out of the unit's maximum: "b = 0"
    /// on a ratio the framework calls not applicable, read as `dti score`
    /// reads it — unless a reviewer scored the criterion, whose points then count.
    public static func makesNotApplicable(_ answer: some ReviewedAnswer, rule: Rule, max: ScaledDecimal) -> Bool {
        answer.evaluatorPoints == nil && answer.councilPoints == nil
            && AnswerParser.answersNotApplicable(rule, max: max, value: answer.value, b: answer.b)
    }

    /// One criterion's points as they count for the unit.
    public static func leaf(_ answer: (some ReviewedAnswer)?, rule: Rule, max: ScaledDecimal) -> ScoringEngine.LeafPoints {
        guard let answer, let points = answer.finalPoints else { return .missing }
        if makesNotApplicable(answer, rule: rule, max: max) { return .notApplicable }
        return .points(ScaledDecimal(micros: points))
    }

    /// A reporting unit's score from its answers by criterion code.
    public static func unit(_ unit: AssessedUnit, answers byCode: [String: some ReviewedAnswer], in fw: CompiledFramework) -> UnitScore {
        let leafPoints: [ScoringEngine.LeafPoints] = fw.leaves.enumerated().map { position, leaf in
            Self.leaf(byCode[fw.nodes[leaf].code], rule: fw.leafRule(position), max: fw.nodes[leaf].max)
        }
        return ScoringEngine.aggregate(unit, leafPoints: leafPoints, reported: true, in: fw)
    }

    /// A unit that did not report (nothing submitted, or marked not reporting,
    /// whatever it entered): no points, ranked as not reporting.
    public static func notReporting(_ unit: AssessedUnit, in fw: CompiledFramework) -> UnitScore {
        ScoringEngine.aggregate(unit, leafPoints: Array(repeating: .missing, count: fw.leaves.count), reported: false, in: fw)
    }
}
