import DTICore
import Foundation

/// What `dti robustness` analyses, read from a results table or a published record.
public enum RobustnessInput {
    /// A results table as `dti rank` reads it: its pillar columns, weight 1 each (raw points
    /// add up); a unit that did not report (no points) stays after all that did. A reporting
    /// unit with a pillar cell left empty is refused with its place.
    public static func from(_ table: ResultTable) throws(ProblemList) -> Robustness.Input {
        var problems: [TableProblem] = []
        let groups = table.rowsByGroup.map { entry in
            Robustness.Group(name: entry.group, units: entry.rows.map { i in
                let row = table.rows[i]
                guard row.reported else { return Robustness.Unit(name: row.unit, values: nil) }
                var values: [ScaledDecimal] = []
                for (j, cell) in row.columns.enumerated() {
                    guard let cell else {
                        let name = table.columnNames[j]
                        let place = row.origin.map { "\($0.file):\($0.line):\($0.columns[name.lowercased()] ?? 1)" } ?? row.unit
                        problems.append(TableProblem(location: place, message: "đơn vị \"\(row.unit)\" có báo cáo nhưng thiếu điểm cột \"\(name)\""))
                        return Robustness.Unit(name: row.unit, values: nil)
                    }
                    values.append(cell.value)
                }
                return Robustness.Unit(name: row.unit, values: values)
            })
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        return Robustness.Input(columns: table.columnNames, weights: table.columnNames.map { _ in ScaledDecimal(1) }, groups: groups)
    }

    /// One level of a published record: its pillar columns as the level's method adds them up,
    /// so that the nominal case ranks as the record does. Raw points with weight 1 per column;
    /// for a fraction or percent index (points ÷ the unit's applicable maximum: Thanh tra tỉnh
    /// on 900 points in Đắk Lắk 2023) each column divided by that maximum, weight 1; for the
    /// weighted method each main index's share of its maximum with the framework's weights.
    /// A main index of weight 0 (922's "Đô thị thông minh", not scored) counts in no index
    /// and is left out: no weight of it can move a rank.
    public static func from(_ level: PublishedRecord.Level) -> Robustness.Input {
        let all = everyColumn(level)
        let kept = all.weights.indices.filter { all.weights[$0].micros > 0 }
        guard kept.count < all.weights.count, !kept.isEmpty else { return all }
        return Robustness.Input(columns: kept.map { all.columns[$0] }, weights: kept.map { all.weights[$0] }, groups: all.groups.map { g in
            Robustness.Group(name: g.name, units: g.units.map { u in Robustness.Unit(name: u.name, values: u.values.map { v in kept.map { v[$0] } }) })
        })
    }

    private static func everyColumn(_ level: PublishedRecord.Level) -> Robustness.Input {
        let results = level.results
        let weighted = results.settings.method == .weighted
        let weights = weighted ? (level.columnWeights ?? []) : results.columnNames.map { _ in ScaledDecimal(1) }
        var order: [String] = []
        var members: [String: [Robustness.Unit]] = [:]
        for unit in results.units {
            let row = unit.row
            if members[row.group] == nil { order.append(row.group) }
            var values: [ScaledDecimal]? = row.reported ? row.columns.map { $0?.value ?? .zero } : nil
            switch results.settings.method {
            case .weighted:
                if let v = values, let max = level.columnMax[row.unit], max.count == v.count {
                    values = zip(v, max).map { $1.micros > 0 ? ScaledDecimal(micros: $0.micros * ScaledDecimal.unit / $1.micros) : .zero }
                }
            case .fraction, .percent:
                // On a common scale of 1,000 points (ranks and correlations do not change with a
                // common factor; nine significant decimals where the index publishes six).
                if let v = values, let max = row.maxPoints ?? results.settings.defaultMax, max.micros > 0 {
                    values = v.map { ScaledDecimal.ratio($0, max, times: 1000, decimals: ScaledDecimal.scale) }
                }
            case .raw:
                break
            }
            members[row.group, default: []].append(Robustness.Unit(name: row.unit, values: values))
        }
        return Robustness.Input(columns: results.columnNames, weights: weights, groups: order.map { Robustness.Group(name: $0, units: members[$0]!) })
    }
}

/// `dti robustness`'s output: a plain table per group, or the JSON the issue fixed.
public enum RobustnessWriter {
    public static func json(_ report: Robustness.Report) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self) + "\n"
    }

    public static func table(_ report: Robustness.Report, level: String? = nil, options: Robustness.Options) -> String {
        var out = ""
        let spread = Int((options.spread.doubleValue * 100).rounded())
        for group in report.groups {
            out += "\(level.map { "[\($0)] " } ?? "")Nhóm \(group.group): \(group.units.count) đơn vị; trọng số ±\(spread) %, \(options.draws) lần rút × 2 cách cộng (cộng có trọng số, trung bình nhân), hạt giống \(options.seed)\n"
            let width = max(6, group.units.map { $0.unit.count }.max() ?? 6)
            out += "Hạng  " + "Đơn vị".padding(toLength: width, withPad: " ", startingAt: 0) + "  Từng trọng số  Trung vị  Khoảng 5–95 %\n"
            for u in group.units {
                out += String(u.rank).padding(toLength: 6, withPad: " ", startingAt: 0)
                    + u.unit.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + "\(u.oatMin)–\(u.oatMax)".padding(toLength: 15, withPad: " ", startingAt: 0)
                    + String(u.median).padding(toLength: 10, withPad: " ", startingAt: 0)
                    + "\(u.p05)–\(u.p95)\n"
            }
            if group.flips.isEmpty {
                out += "Không cặp đơn vị nào đổi thứ tự trong quá \(Int(options.flipShare * 100)) % số trường hợp.\n"
            } else {
                out += "Các cặp đổi thứ tự trong quá \(Int(options.flipShare * 100)) % số trường hợp:\n"
                for f in group.flips { out += "  \(f.first) / \(f.second): \(percent(f.share))\n" }
            }
            out += "Tầm quan trọng của từng cột (theo trọng số / thực tế):\n"
            for i in group.importance { out += "  \(i.column): \(percent(i.nominal)) / \(percent(i.effective))\n" }
            if let sentence = drivers(group) { out += sentence + "\n" }
            out += "\n"
        }
        return out
    }

    /// The sentence naming the pillar that drives the ranking most above and most below its weight
    /// (a difference of at least 5 points of share), or nil when none does.
    public static func drivers(_ group: Robustness.GroupReport) -> String? {
        let gaps = group.importance.map { ($0.column, $0.effective - $0.nominal) }
        guard group.importance.count > 1, let most = gaps.max(by: { $0.1 < $1.1 }), let least = gaps.min(by: { $0.1 < $1.1 }),
              most.1 >= 0.05 || least.1 <= -0.05 else { return nil }
        var parts: [String] = []
        if most.1 >= 0.05 { parts.append("\"\(most.0)\" quyết định xếp hạng nhiều hơn trọng số của nó") }
        if least.1 <= -0.05 { parts.append("\"\(least.0)\" ít hơn trọng số của nó") }
        return parts.joined(separator: "; ") + "."
    }

    public static func percent(_ share: Double) -> String {
        ScaledDecimal(micros: Int64((share * 100 * Double(ScaledDecimal.unit)).rounded())).formatted(decimals: 1, separator: ",") + " %"
    }
}
