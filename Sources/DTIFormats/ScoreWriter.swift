import DTICore
import Foundation

/// Writes the result of `dti score`: each unit's full tree, then the ranking
/// in the same formats as `dti rank`, then the per-main-index distributions.
public struct ScoreWriter: Sendable {
    public var result: AssessmentResult
    public init(_ result: AssessmentResult) { self.result = result }

    var framework: CompiledFramework { result.framework }
    var separator: Character { framework.framework.display.separator }

    func points(_ v: ScaledDecimal) -> String { v.formatted(decimals: 2, separator: separator) }
    func maxText(_ v: ScaledDecimal) -> String { v.formatted(decimals: v.significantDecimals, separator: separator) }

    public func render(_ format: OutputFormat) -> String {
        let ranking = ResultsWriter(result.ranking)
        switch format {
        case .json:
            return JSONValue.object([
                ("framework", frameworkJSON()),
                ("method", .string(framework.framework.method.rawValue)),
                ("average_over", .string(result.ranking.settings.averageOver.rawValue)),
                ("units", .array(result.ranking.units.map(unitJSON))),
                ("groups", .array(result.ranking.groups.map(groupJSON))),
            ]).serialized() + "\n"
        case .csv:
            return ranking.csv()
        case .table, .markdown:
            var out = format == .markdown ? "# \(framework.framework.title)\n\n" : "\(framework.framework.title)\n\n"
            for score in orderedScores() { out += tree(score, markdown: format == .markdown) + "\n" }
            out += format == .markdown ? ranking.markdown() : ranking.table()
            out += "\n" + distributionText(markdown: format == .markdown)
            return out
        }
    }

    func orderedScores() -> [UnitScore] {
        let byName = Dictionary(uniqueKeysWithValues: result.scores.map { ($0.unit.name, $0) })
        return result.ranking.units.compactMap { byName[$0.row.unit] }
    }

    func tree(_ score: UnitScore, markdown: Bool) -> String {
        var rows = [["Mã", "Nội dung", "Điểm", "Tối đa áp dụng", "Tối đa"]]
        for (i, node) in framework.nodes.enumerated() {
            let indent = String(repeating: "  ", count: framework.depth[i])
            let applies = score.applicableMax[i].micros > 0 || node.max.micros == 0
            rows.append([
                indent + node.code, node.name,
                !score.reported ? "-" : applies ? points(score.points[i]) : "không áp dụng",
                maxText(score.applicableMax[i]), maxText(node.max),
            ])
        }
        rows.append(["", "Tổng", score.reported ? points(score.totalPoints) : "-", maxText(score.totalApplicableMax), maxText(framework.framework.maxPoints)])
        let title = "\(score.unit.name) — \(score.unit.group)\(score.reported ? "" : " (không báo cáo)")"
        if markdown {
            var out = "## \(title)\n\n| " + rows[0].joined(separator: " | ") + " |\n|---|---|---:|---:|---:|\n"
            for r in rows.dropFirst() { out += "| " + r.joined(separator: " | ") + " |\n" }
            return out
        }
        return "== \(title) ==\n" + ResultsWriter.aligned(rows, numericFrom: 2)
    }

    func distributionText(markdown: Bool) -> String {
        var out = ""
        for group in result.ranking.groups {
            out += markdown ? "## Phân nhóm theo chỉ số chính — \(group.group)\n\n" : "Phân nhóm theo chỉ số chính — \(group.group)\n"
            for (node, buckets) in result.distributions[group.group] ?? [] {
                let n = framework.nodes[node]
                out += (markdown ? "- " : "- ") + "Chỉ số \(n.name) (\(maxText(n.max)) điểm):\n"
                for b in buckets where !b.units.isEmpty {
                    out += "  + \(b.label(separator: separator, nodeMax: n.max)) (\(b.units.count) đơn vị): \(b.units.joined(separator: ", "))\n"
                }
            }
            out += "\n"
        }
        return out
    }

    func frameworkJSON() -> JSONValue {
        let f = framework.framework
        return .object([
            ("id", .string(f.id)), ("title", .string(f.title)), ("level", .string(f.level)),
            ("year", .int(f.year)), ("version", .int(f.version)), ("max_points", .number(f.maxPoints)),
        ])
    }

    func unitJSON(_ ranked: RankedUnit) -> JSONValue {
        guard case .object(var pairs) = ResultsWriter(result.ranking).unitJSON(ranked),
              let score = result.scores.first(where: { $0.unit.name == ranked.row.unit }) else { return .null }
        pairs.append(("tags", .array(score.unit.tags.sorted().map { .string($0) })))
        pairs.append(("tree", .array(framework.nodes.indices.map { i in
            let node = framework.nodes[i]
            return .object([
                ("code", .string(node.code)), ("kind", .string(node.kind.rawValue)), ("name", .string(node.name)),
                ("depth", .int(framework.depth[i])),
                ("points", score.reported ? .number(score.points[i]) : .null),
                ("applicable_max", .number(score.applicableMax[i])), ("max", .number(node.max)),
            ])
        })))
        pairs.append(("unanswered", .array(score.unanswered.map { .string(framework.nodes[$0].code) })))
        return .object(pairs)
    }

    func groupJSON(_ g: GroupSummary) -> JSONValue {
        guard case .object(var pairs) = ResultsWriter(result.ranking).groupJSON(g) else { return .null }
        pairs.append(("distribution", .array((result.distributions[g.group] ?? []).map { node, buckets in
            .object([
                ("code", .string(framework.nodes[node].code)), ("name", .string(framework.nodes[node].name)),
                ("buckets", .array(buckets.map { b in
                    .object([("label", .string(b.label(separator: separator, nodeMax: framework.nodes[node].max))), ("units", .array(b.units.map { .string($0) }))])
                })),
            ])
        })))
        return .object(pairs)
    }
}
