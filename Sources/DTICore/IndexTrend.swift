import Foundation

/// A unit's index month by month while its period runs (issue 33, ADR 0045):
/// for each month, the index from what was known at the end of that month —
/// the answers as they stood then (rebuilt from the current rows and the
/// change log's later entries) and each criterion filled from a feed with the
/// feed's months up to that one. Scored by `OfficialScore`, the one rule of
/// which points count, so a month's index is the figure the unit would have
/// had if its answers had been scored that day.
public enum IndexTrend {
    /// An answer's texts and points (millionths), as stored or as rebuilt for a moment.
    public struct Answer: ReviewedAnswer, Hashable, Sendable {
        public var value: String
        public var b: String
        public var selfPoints: Int64?
        public var evaluatorPoints: Int64?
        public var councilPoints: Int64?

        public init(value: String, b: String, selfPoints: Int64?, evaluatorPoints: Int64?, councilPoints: Int64?) {
            self.value = value; self.b = b; self.selfPoints = selfPoints; self.evaluatorPoints = evaluatorPoints; self.councilPoints = councilPoints
        }
    }

    /// One logged change of an answer's field: what the field held before it, and when.
    /// `field` is `value`, `b`, `evaluator_points` or `council_points` (others are ignored);
    /// points are written as the change log writes them ("12,35", "" for none).
    public struct Change: Sendable {
        public var criterion: String
        public var field: String
        public var old: String
        public var at: Date

        public init(criterion: String, field: String, old: String, at: Date) {
            self.criterion = criterion; self.field = field; self.old = old; self.at = at
        }
    }

    /// The last instant of `month` in Việt Nam (UTC+7, no daylight saving): the moment a month's index is taken at.
    public static func end(of month: FeedMonth) -> Date {
        var components = DateComponents()
        components.year = month.month == 12 ? month.year + 1 : month.year
        components.month = month.month == 12 ? 1 : month.month + 1
        components.day = 1
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 7 * 3600)!
        return calendar.date(from: components)!.addingTimeInterval(-0.001)
    }

    /// The answers as they stood at `moment`: each field takes the old text of its first change after
    /// the moment, else its current text. An answer whose value and B were both empty then did not exist.
    /// The unit's own points of a changed answer are scored again from its texts, as the form scores them.
    public static func answers(_ current: [String: Answer], changes: [Change], at moment: Date,
                               in fw: CompiledFramework) -> [String: Answer] {
        var firstAfter: [String: [String: Change]] = [:]
        for change in changes where change.at > moment {
            if let kept = firstAfter[change.criterion]?[change.field], kept.at <= change.at { continue }
            firstAfter[change.criterion, default: [:]][change.field] = change
        }
        guard !firstAfter.isEmpty else { return current }
        var out = current
        for (criterion, fields) in firstAfter {
            guard var answer = current[criterion] ?? (fields["value"] != nil ? Answer(value: "", b: "", selfPoints: nil, evaluatorPoints: nil, councilPoints: nil) : nil)
            else { continue }
            let textChanged = fields["value"] != nil || fields["b"] != nil
            if let c = fields["value"] { answer.value = c.old }
            if let c = fields["b"] { answer.b = c.old }
            if let c = fields["evaluator_points"] { answer.evaluatorPoints = points(c.old) }
            if let c = fields["council_points"] { answer.councilPoints = points(c.old) }
            if answer.value.isEmpty && answer.b.isEmpty && answer.evaluatorPoints == nil && answer.councilPoints == nil {
                out[criterion] = nil
                continue
            }
            if textChanged, let position = fw.node(code: criterion), let rule = fw.nodes[position].rule {
                answer.selfPoints = selfPoints(rule, max: fw.nodes[position].max, value: answer.value, b: answer.b)
            }
            out[criterion] = answer
        }
        return out
    }

    /// The unit's own points for texts as a person typed them; nil when they do not read.
    static func selfPoints(_ rule: Rule, max: ScaledDecimal, value: String, b: String) -> Int64? {
        guard case .success(let input) = AnswerParser.read(rule, value: value, b: b, typed: true) else { return nil }
        return try? rule.evaluate(input, max: max).storedPoints.get()
    }

    /// Points as the change log writes them ("12,35"; "" is none).
    static func points(_ text: String) -> Int64? {
        guard !text.isEmpty, case .success(let n) = WrittenNumber.parseVietnamese(text) else { return nil }
        return n.value.micros
    }

    /// Each criterion filled from a feed, answered from the feed's months up to `month`
    /// (`months[criterion]` are the unit's months of the criterion's field); a criterion with
    /// no month known yet has no answer. Reviewers' points on it still count.
    public static func withFeeds(_ answers: [String: Answer], months: [String: [FeedMonth: ScaledDecimal]], asOf month: FeedMonth,
                                 in fw: CompiledFramework) -> [String: Answer] {
        var out = answers
        for position in fw.leaves {
            let node = fw.nodes[position]
            guard let binding = node.feed, let rule = node.rule else { continue }
            let reviewed = answers[node.code]
            guard let unitMonths = months[node.code], let (value, _) = binding.value(of: unitMonths, year: fw.framework.year, asOf: month),
                  case .success(let scored) = FeedBinding.scoredAnswer(value, rule: rule, max: node.max) else {
                if reviewed?.evaluatorPoints == nil && reviewed?.councilPoints == nil { out[node.code] = nil }
                continue
            }
            out[node.code] = Answer(value: scored.answer.value, b: "", selfPoints: scored.points,
                                    evaluatorPoints: reviewed?.evaluatorPoints, councilPoints: reviewed?.councilPoints)
        }
        return out
    }

    /// The unit's index by the framework's method from `answers`, to the framework's displayed decimals
    /// (two when it says none), as the form shows it; nil when nothing applies.
    public static func index(_ unit: AssessedUnit, answers: [String: Answer], in fw: CompiledFramework) -> ScaledDecimal? {
        ScoringEngine.index(of: OfficialScore.unit(unit, answers: answers, in: fw), in: fw, decimals: fw.framework.display.decimals ?? 2)
    }

    /// The index at the end of `month`: answers rebuilt for that moment, feeds up to that month.
    public static func index(_ unit: AssessedUnit, current: [String: Answer], changes: [Change],
                             feedMonths: [String: [FeedMonth: ScaledDecimal]], month: FeedMonth, in fw: CompiledFramework) -> ScaledDecimal? {
        let then = answers(current, changes: changes, at: end(of: month), in: fw)
        return index(unit, answers: withFeeds(then, months: feedMonths, asOf: month, in: fw), in: fw)
    }

    /// The months of `year` up to `now`'s (December at most; none before the year).
    public static func months(of year: Int, through now: FeedMonth) -> [FeedMonth] {
        guard now.year >= year else { return [] }
        let last = now.year > year ? 12 : now.month
        return (1...last).map { FeedMonth(year: year, month: $0) }
    }
}
