import Foundation

/// Everything computed for one framework and a set of units: the scored
/// trees, the ranking, and the per-main-index distributions. The CLI, the
/// server and the reports all call this, so a number can never differ
/// between them.
public struct AssessmentResult: Sendable {
    public var framework: CompiledFramework
    /// In the order the units were given.
    public var scores: [UnitScore]
    public var ranking: RankedResults
    /// For each group (in ranking order), for each main index: the buckets.
    public var distributions: [String: [(node: Int, buckets: [DistributionBucket])]]
    public var issues: [ScoringIssue]
}

/// Runs the whole computation for a framework.
public enum Assessment {
    /// Scores every unit, computes indices by the framework's method, ranks
    /// within groups, classifies, and gathers statistics.
    public static func run(
        _ framework: CompiledFramework, units: [AssessedUnit], responses: [String: UnitResponses],
        averageOver: AverageRule = .reported, topK: Int = 3
    ) -> AssessmentResult {
        run(framework, units: units, answers: units.map { responses[$0.id] }, averageOver: averageOver, topK: topK)
    }

    /// The same, with answers aligned with `units` (`nil`: did not report).
    /// Avoids hashing thousands of Vietnamese names on every recompute.
    public static func run(
        _ framework: CompiledFramework, units: [AssessedUnit], answers: [UnitResponses?],
        averageOver: AverageRule = .reported, topK: Int = 3
    ) -> AssessmentResult {
        precondition(answers.count == units.count, "one answer slot per unit")
        var issues: [ScoringIssue] = []
        let scores = scoreAll(framework, units: units, answers: answers, issues: &issues)
        return rank(framework, scores: scores, issues: issues, averageOver: averageOver, topK: topK)
    }

    /// Indices, ranks, bands and statistics for units already scored (by
    /// `ScoringEngine.score`, or from reviewed points by `ScoringEngine.aggregate`).
    /// `distributions: false` leaves them empty (the live ranking shows none,
    /// and a 4,000-unit period spent a fifth of its re-ranking on them).
    public static func rank(
        _ framework: CompiledFramework, scores: [UnitScore], issues: [ScoringIssue] = [],
        averageOver: AverageRule = .reported, topK: Int = 3, distributions withDistributions: Bool = true
    ) -> AssessmentResult {
        let fw = framework.framework
        let columnNodes = columns(framework)
        let decimals = fw.display.decimals ?? 2
        let rows = scores.map { row($0, framework, columnNodes: columnNodes, decimals: decimals) }
        let table = ResultTable(columnNames: columnNodes.map { framework.nodes[$0].name }, rows: rows)
        let settings = RankingSettings(method: fw.method, display: fw.display, bands: fw.bands, averageOver: averageOver, topK: topK)
        let ranking = table.ranked(under: settings)
        var distributions: [String: [(node: Int, buckets: [DistributionBucket])]] = [:]
        for (group, positions) in withDistributions ? table.rowsByGroup : [] {
            distributions[group] = distribution(framework, scores: scores, positions: positions)
        }
        return AssessmentResult(framework: framework, scores: scores, ranking: ranking, distributions: distributions, issues: issues)
    }

    /// `previous` with the units at the positions of `changed` scored anew.
    /// Ranks, bands and statistics are per group, so only the groups of the
    /// changed units are ranked again and the others kept as they were: the
    /// live ranking of a 4,000-unit level re-ranks one group of about a
    /// hundred after one changed score. Equal to `rank` of the new scores
    /// with `previous`'s settings; a unit that moved to another group ranks
    /// everything again. `issues` stay those of `previous`.
    public static func rerank(_ previous: AssessmentResult, replacing changed: [Int: UnitScore]) -> AssessmentResult {
        let framework = previous.framework, settings = previous.ranking.settings
        var scores = previous.scores
        var touched = Set<String>()
        var moved = false
        for (i, score) in changed {
            if score.unit.group != scores[i].unit.group { moved = true }
            scores[i] = score
            touched.insert(score.unit.group)
        }
        let withDistributions = !previous.distributions.isEmpty
        func full() -> AssessmentResult {
            rank(framework, scores: scores, issues: previous.issues, averageOver: settings.averageOver, topK: settings.topK,
                 distributions: withDistributions)
        }
        if moved { return full() }
        guard !touched.isEmpty else { return previous }
        let columnNodes = columns(framework)
        let decimals = framework.framework.display.decimals ?? 2
        let positions = scores.indices.filter { touched.contains(scores[$0].unit.group) }
        let table = ResultTable(columnNames: previous.ranking.columnNames,
                                rows: positions.map { row(scores[$0], framework, columnNodes: columnNodes, decimals: decimals) })
        let partial = table.ranked(under: settings)
        var fresh: [String: (units: ArraySlice<RankedUnit>, summary: GroupSummary)] = [:]
        var start = 0
        for summary in partial.groups {
            fresh[summary.group] = (partial.units[start..<start + summary.count], summary)
            start += summary.count
        }
        var result = previous
        result.scores = scores
        var offset = 0
        for (n, summary) in previous.ranking.groups.enumerated() {
            defer { offset += summary.count }
            guard let (units, newSummary) = fresh[summary.group] else { continue }
            // Units are contiguous by group in `ranked` order; anything else is ranked whole.
            guard units.count == summary.count, offset + summary.count <= result.ranking.units.count else { return full() }
            result.ranking.units.replaceSubrange(offset..<offset + summary.count, with: units)
            result.ranking.groups[n] = newSummary
            fresh[summary.group] = nil
        }
        guard fresh.isEmpty else { return full() }
        if withDistributions {
            for (group, members) in table.rowsByGroup {
                result.distributions[group] = distribution(framework, scores: scores, positions: members.map { positions[$0] })
            }
        }
        return result
    }

    /// The nodes whose points are a ranking's extra columns: the pillars, else the main indices.
    static func columns(_ framework: CompiledFramework) -> [Int] {
        framework.pillars.isEmpty ? framework.mainIndices : framework.pillars
    }

    /// A scored unit as a row of the ranking's table.
    static func row(_ score: UnitScore, _ framework: CompiledFramework, columnNodes: [Int], decimals: Int) -> ResultRow {
        var row = ResultRow(
            group: score.unit.group, unit: score.unit.name,
            points: score.reported ? WrittenNumber(value: score.totalPoints, decimals: 2) : nil,
            maxPoints: score.totalApplicableMax.micros > 0 ? score.totalApplicableMax : nil,
            columns: columnNodes.map { score.reported ? WrittenNumber(value: score.points[$0], decimals: 2) : nil })
        if framework.framework.method == .weighted {
            row.computedIndex = ScoringEngine.index(of: score, in: framework, decimals: decimals)
        }
        return row
    }

    /// One group's distribution of each scored main index, over its reporting units at `positions`.
    static func distribution(_ framework: CompiledFramework, scores: [UnitScore], positions: [Int]) -> [(node: Int, buckets: [DistributionBucket])] {
        let members = positions.filter { scores[$0].reported }
        return framework.mainIndices.filter { framework.nodes[$0].max.micros > 0 }.map { node in
            (node, Statistics.distribution(
                members.map { (scores[$0].unit.name, scores[$0].points[node], scores[$0].applicableMax[node]) },
                nodeMax: framework.nodes[node].max, edgesPercent: framework.framework.distributionEdges))
        }
    }

    /// Scores units on every core: units are independent, and the result is
    /// the same as scoring them one by one, in the same order.
    static func scoreAll(
        _ framework: CompiledFramework, units: [AssessedUnit], answers: [UnitResponses?],
        issues: inout [ScoringIssue]
    ) -> [UnitScore] {
        let empty = UnitResponses(leafCount: framework.leaves.count)
        let chunks = units.count < 256 ? 1 : Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
        let size = (units.count + chunks - 1) / chunks
        let chunkIssues = ChunkIssues(count: chunks)
        // Each chunk initialises its own slice of the result in place.
        let scores = [UnitScore](unsafeUninitializedCapacity: units.count) { buffer, initialized in
            let slots = UncheckedSlots(base: buffer.baseAddress)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var localIssues: [ScoringIssue] = []
                for i in Swift.min(chunk * size, units.count)..<Swift.min((chunk + 1) * size, units.count) {
                    let unit = units[i]
                    slots.initialize(i, to: ScoringEngine.score(unit, answers[i] ?? empty, in: framework, issues: &localIssues))
                }
                chunkIssues.store(chunk, localIssues)
            }
            initialized = units.count
        }
        issues += chunkIssues.collect()
        return scores
    }
}

/// The result buffer, shared by the scoring chunks. Each chunk writes only
/// its own disjoint range, and the buffer is read only after
/// `concurrentPerform` has returned.
private struct UncheckedSlots: @unchecked Sendable {
    let base: UnsafeMutablePointer<UnitScore>?
    func initialize(_ i: Int, to value: UnitScore) { (base! + i).initialize(to: value) }
}

/// Per-chunk scoring issues, joined in chunk order.
private final class ChunkIssues: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var issues: [[ScoringIssue]]

    init(count: Int) { issues = Array(repeating: [], count: count) }

    func store(_ chunk: Int, _ i: [ScoringIssue]) {
        lock.lock(); defer { lock.unlock() }
        issues[chunk] = i
    }

    func collect() -> [ScoringIssue] {
        lock.lock(); defer { lock.unlock() }
        return issues.flatMap { $0 }
    }
}
