/// A unit's computed result: index, display text, rank, band.
public struct RankedUnit: Sendable {
    public var row: ResultRow
    /// The applicable max used (row's own, else the default).
    public var maxPoints: ScaledDecimal?
    /// The index at its displayed precision: what ranks and bands use.
    public var index: ScaledDecimal?
    /// The index as printed ("0,91507", "81.83", "-").
    public var display: String
    /// Competition rank within the group; 0 where no unit of the group
    /// reported (nothing to rank: shown as "-").
    public var rank: Int
    public var band: String?

    /// The rank as every page and file prints it: the number, or "-" where the
    /// group has no reporting unit. A non-reporting unit in a group that has
    /// reporting units is ranked last (M'Drắk, Đắk Lắk 2021), everywhere.
    public var rankText: String { rank > 0 ? String(rank) : "-" }

    public init(row: ResultRow, maxPoints: ScaledDecimal?, index: ScaledDecimal?, display: String, rank: Int, band: String?) {
        self.row = row; self.maxPoints = maxPoints; self.index = index; self.display = display; self.rank = rank; self.band = band
    }
}

/// Statistics of one ranking group.
public struct GroupSummary: Sendable {
    public var group: String
    public var count: Int
    public var reported: Int
    /// Average index under the settings' averaging rule.
    public var average: ScaledDecimal?
    /// Average of each extra column, aligned with `columnNames`.
    public var columnAverages: [ScaledDecimal?]
    public var topAverage: ScaledDecimal?
    public var bottomAverage: ScaledDecimal?
    /// Top-k average minus bottom-k average.
    public var gap: ScaledDecimal?
    /// Fractional digits used for the averages of the index and of each column.
    public var decimals: Int
    public var columnDecimals: [Int]
    /// Units of the top k and bottom k, best first.
    public var topUnits: [String]
    public var bottomUnits: [String]

    public init(group: String, count: Int, reported: Int, average: ScaledDecimal?, columnAverages: [ScaledDecimal?],
                topAverage: ScaledDecimal?, bottomAverage: ScaledDecimal?, gap: ScaledDecimal?, decimals: Int,
                columnDecimals: [Int], topUnits: [String], bottomUnits: [String]) {
        self.group = group; self.count = count; self.reported = reported; self.average = average
        self.columnAverages = columnAverages; self.topAverage = topAverage; self.bottomAverage = bottomAverage; self.gap = gap
        self.decimals = decimals; self.columnDecimals = columnDecimals; self.topUnits = topUnits; self.bottomUnits = bottomUnits
    }
}

/// A ranked table: units in rank order within each group, and group statistics.
public struct RankedResults: Sendable {
    public var columnNames: [String]
    public var settings: RankingSettings
    /// Grouped, groups in input order, units by rank then Vietnamese name.
    public var units: [RankedUnit]
    public var groups: [GroupSummary]

    public init(columnNames: [String], settings: RankingSettings, units: [RankedUnit], groups: [GroupSummary]) {
        self.columnNames = columnNames; self.settings = settings; self.units = units; self.groups = groups
    }
}

/// A problem that makes a table impossible to rank.
public struct TableProblem: Error, Hashable, Sendable {
    /// "file:line:column", or empty for a setting.
    public var location: String
    public var message: String
    public init(location: String, message: String) {
        self.location = location
        self.message = message
    }
    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}

extension ResultTable {
    /// Checks values against the settings: points above the applicable max, a
    /// method that needs a max without one. Every problem is listed.
    public func problems(under settings: RankingSettings) -> [TableProblem] {
        var problems: [TableProblem] = []
        let needsMax = settings.method == .fraction || settings.method == .percent || !settings.bands.isEmpty
        for row in rows {
            let max = row.maxPoints ?? settings.defaultMax
            let at = { (field: String) in row.origin?.location(field) ?? row.unit }
            if let max, max.micros == 0 {
                problems.append(TableProblem(location: at("max_points"), message: "đơn vị \"\(row.unit)\": điểm tối đa bằng 0"))
            }
            guard let points = row.points?.value else { continue }
            if let max, points > max {
                problems.append(TableProblem(
                    location: at("points"),
                    message: "đơn vị \"\(row.unit)\": điểm \(points.formatted(decimals: points.significantDecimals, separator: settings.display.separator)) vượt điểm tối đa \(max.formatted(decimals: max.significantDecimals, separator: settings.display.separator))"))
            }
            if needsMax && max == nil {
                problems.append(TableProblem(
                    location: at("points"),
                    message: "đơn vị \"\(row.unit)\": cần điểm tối đa (cột max_points hoặc --max) để tính chỉ số theo tỷ lệ hoặc xếp loại"))
            }
        }
        if settings.method == .weighted, rows.contains(where: { $0.reported && $0.computedIndex == nil }) {
            problems.append(TableProblem(location: "", message: "phương pháp weighted cần điểm từng chỉ số chính: dùng dti score với bộ chỉ số"))
        }
        return problems
    }

    /// Computes indices, ranks, bands and group statistics. Call
    /// `problems(under:)` first: rows it rejects are not ranked meaningfully.
    public func ranked(under settings: RankingSettings) -> RankedResults {
        var units: [RankedUnit] = []
        var summaries: [GroupSummary] = []
        for (group, members) in rowsByGroup {
            var results = members.map { unitResult(rows[$0], settings) }
            let nobodyReported = results.allSatisfy { $0.index == nil }
            let ranks = nobodyReported ? results.map { _ in 0 } : Ranking.competitionRanks(results.map(\.index))
            for i in results.indices { results[i].rank = ranks[i] }
            // Sort positions, not the (large) results themselves.
            let order = results.indices.sorted { a, b in
                ranks[a] != ranks[b] ? ranks[a] < ranks[b] : VietnameseText.precedes(results[a].row.unit, results[b].row.unit)
            }
            let ranked = order.map { results[$0] }
            units += ranked
            summaries.append(summary(group, ranked, settings))
        }
        return RankedResults(columnNames: columnNames, settings: settings, units: units, groups: summaries)
    }

    func unitResult(_ row: ResultRow, _ settings: RankingSettings) -> RankedUnit {
        let max = row.maxPoints ?? settings.defaultMax
        var result = RankedUnit(row: row, maxPoints: max, index: nil, display: "-", rank: 0, band: nil)
        guard let points = row.points, max.map({ $0.micros > 0 }) ?? true else { return result }
        let style = settings.display
        let index: ScaledDecimal?
        let decimals: Int
        switch settings.method {
        case _ where row.computedIndex != nil:
            decimals = style.decimals ?? ScaledDecimal.scale
            index = row.computedIndex
        case .raw, .weighted:
            decimals = style.decimals ?? points.decimals
            index = points.value.rounded(decimals: decimals)
        case .fraction, .percent:
            decimals = style.decimals ?? DisplayStyle.default(for: settings.method).decimals!
            index = max.map {
                ScaledDecimal.ratio(points.value, $0, times: settings.method == .percent ? 100 : 1, decimals: decimals)
            }
        }
        guard let index else { return result }
        result.index = index
        result.display = index.formatted(decimals: decimals, separator: style.separator, trimZeros: style.trimZeros)
        if !settings.bands.isEmpty {
            let percent: ScaledDecimal?
            switch settings.method {
            case .percent: percent = index
            case .fraction,
                 .weighted where row.computedIndex != nil: percent = ScaledDecimal(micros: index.micros * 100)
            case .raw, .weighted: percent = max.map { ScaledDecimal.ratio(points.value, $0, times: 100, decimals: ScaledDecimal.scale) }
            }
            result.band = percent.flatMap { Classification.band(forPercent: $0, bands: settings.bands) }
        }
        return result
    }

    func summary(_ group: String, _ ranked: [RankedUnit], _ settings: RankingSettings) -> GroupSummary {
        let reported = ranked.filter { $0.index != nil }
        let decimals = settings.display.decimals ?? ranked.compactMap { $0.row.points?.decimals }.max() ?? 2
        func values(_ pick: (RankedUnit) -> ScaledDecimal?) -> [ScaledDecimal] {
            settings.averageOver == .all ? ranked.map { pick($0) ?? .zero } : ranked.compactMap(pick)
        }
        var columnAverages: [ScaledDecimal?] = []
        var columnDecimals: [Int] = []
        for c in columnNames.indices {
            let d = settings.display.decimals ?? ranked.compactMap { $0.row.columns[c]?.decimals }.max() ?? decimals
            columnDecimals.append(d)
            columnAverages.append(ScaledDecimal.mean(values { $0.row.columns[c]?.value }, decimals: d))
        }
        let k = min(settings.topK, reported.count)
        let top = Array(reported.prefix(k))
        let bottom = Array(reported.suffix(k))
        let topAverage = ScaledDecimal.mean(top.compactMap(\.index), decimals: ScaledDecimal.scale)
        let bottomAverage = ScaledDecimal.mean(bottom.compactMap(\.index), decimals: ScaledDecimal.scale)
        return GroupSummary(
            group: group,
            count: ranked.count,
            reported: reported.count,
            average: ScaledDecimal.mean(values(\.index), decimals: decimals),
            columnAverages: columnAverages,
            topAverage: topAverage?.rounded(decimals: decimals),
            bottomAverage: bottomAverage?.rounded(decimals: decimals),
            gap: zip2(topAverage, bottomAverage).map { ($0 - $1).rounded(decimals: decimals) },
            decimals: decimals,
            columnDecimals: columnDecimals,
            topUnits: top.map(\.row.unit),
            bottomUnits: bottom.map(\.row.unit)
        )
    }
}

private func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
