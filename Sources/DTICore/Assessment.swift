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
        let fw = framework.framework
        var issues: [ScoringIssue] = []
        let empty = UnitResponses(leafCount: framework.leaves.count)
        let scores = units.map { ScoringEngine.score($0, responses[$0.id] ?? empty, in: framework, issues: &issues) }
        let columnNodes = framework.pillars.isEmpty ? framework.mainIndices : framework.pillars
        let decimals = fw.display.decimals ?? 2
        let rows = scores.map { score -> ResultRow in
            var row = ResultRow(
                group: score.unit.group, unit: score.unit.name,
                points: score.reported ? WrittenNumber(value: score.totalPoints, decimals: 2) : nil,
                maxPoints: score.totalApplicableMax.micros > 0 ? score.totalApplicableMax : nil,
                columns: columnNodes.map { score.reported ? WrittenNumber(value: score.points[$0], decimals: 2) : nil })
            if fw.method == .weighted {
                row.computedIndex = ScoringEngine.index(of: score, in: framework, decimals: decimals)
            }
            return row
        }
        let table = ResultTable(columnNames: columnNodes.map { framework.nodes[$0].name }, rows: rows)
        let settings = RankingSettings(method: fw.method, display: fw.display, bands: fw.bands, averageOver: averageOver, topK: topK)
        let ranking = table.ranked(under: settings)
        var distributions: [String: [(node: Int, buckets: [DistributionBucket])]] = [:]
        for group in table.groups {
            let members = scores.filter { $0.unit.group == group && $0.reported }
            distributions[group] = framework.mainIndices.filter { framework.nodes[$0].max.micros > 0 }.map { node in
                (node, Statistics.distribution(
                    members.map { ($0.unit.name, $0.points[node], $0.applicableMax[node]) },
                    nodeMax: framework.nodes[node].max, edgesPercent: fw.distributionEdges))
            }
        }
        return AssessmentResult(framework: framework, scores: scores, ranking: ranking, distributions: distributions, issues: issues)
    }
}
