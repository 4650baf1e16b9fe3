/// A stated average to check: "Giá trị trung bình" of a group (and column).
public struct StatedAverage: Hashable, Sendable {
    public var group: String
    /// `nil`: the average of the index / total.
    public var column: String?
    public var value: WrittenNumber

    public init(group: String, column: String?, value: WrittenNumber) {
        self.group = group
        self.column = column
        self.value = value
    }
}

/// One inconsistency found in a published table.
public struct AuditFinding: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case partsDoNotAddUp = "parts_sum"
        case rankDisagrees = "rank"
        case indexDisagrees = "index"
        case bandDisagrees = "band"
        case averageDisagrees = "average"
        case unknownGroupOrColumn = "unknown_reference"
    }
    public var kind: Kind
    /// "file:line:column" of the row, or empty for a group-level finding.
    public var location: String
    public var unit: String?
    public var message: String
}

/// Checks a published table for internal consistency. Finds what typing by
/// hand gets wrong: parts that do not add up to the total, ranks that do not
/// follow the scores, indices and bands that do not follow the points, and
/// averages that no averaging rule gives.
public enum Audit {
    public static func run(
        _ table: ResultTable, settings: RankingSettings,
        statedAverages: [StatedAverage] = [], partsTolerance: ScaledDecimal = .zero
    ) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        let sep = settings.display.separator
        func text(_ v: ScaledDecimal, _ d: Int) -> String { v.formatted(decimals: d, separator: sep) }
        let results = table.ranked(under: settings)

        // Parts that do not add up to the total.
        if !table.columnNames.isEmpty {
            for row in table.rows {
                guard let total = row.points else { continue }
                let parts = row.columns.compactMap { $0 }
                guard parts.count == table.columnNames.count else { continue }
                let sum = parts.reduce(ScaledDecimal.zero) { $0 + $1.value }
                let diff = sum > total.value ? sum - total.value : total.value - sum
                guard diff > partsTolerance else { continue }
                let d = max(total.decimals, parts.map(\.decimals).max() ?? 0)
                let terms = parts.map { text($0.value, d) }.joined(separator: " + ")
                findings.append(AuditFinding(
                    kind: .partsDoNotAddUp, location: row.origin?.location("points") ?? "", unit: row.unit,
                    message: "\(row.unit): \(terms) = \(text(sum, d)) nhưng tổng điểm ghi \(text(total.value, d)) (chênh \(text(diff, d)))"))
            }
        }

        for unit in results.units {
            let row = unit.row
            let location = row.origin?.location("rank") ?? ""
            if let published = row.publishedRank, published != unit.rank {
                findings.append(AuditFinding(
                    kind: .rankDisagrees, location: location, unit: row.unit,
                    message: "\(row.unit): xếp hạng công bố \(published) nhưng theo điểm là \(unit.rank)"))
            }
            if let published = row.publishedIndex, let points = row.points, let max = unit.maxPoints, max.micros > 0 {
                let factor: Int64 = settings.method == .percent ? 100 : 1
                let computed = ScaledDecimal.ratio(points.value, max, times: factor, decimals: published.decimals)
                if computed != published.value {
                    findings.append(AuditFinding(
                        kind: .indexDisagrees, location: row.origin?.location("index") ?? "", unit: row.unit,
                        message: "\(row.unit): chỉ số công bố \(text(published.value, published.decimals)) nhưng \(text(points.value, points.decimals)) / \(text(max, max.significantDecimals)) cho \(text(computed, published.decimals))"))
                }
            }
            if let published = row.publishedBand, let band = unit.band,
               VietnameseText.searchKey(published) != VietnameseText.searchKey(band) {
                findings.append(AuditFinding(
                    kind: .bandDisagrees, location: row.origin?.location("band") ?? "", unit: row.unit,
                    message: "\(row.unit): xếp loại công bố \"\(published)\" nhưng theo chỉ số \(unit.display) là \"\(band)\""))
            }
        }

        for stated in statedAverages {
            let members = results.units.filter { $0.row.group == stated.group }
            let columnIndex = stated.column.flatMap { name in table.columnNames.firstIndex(of: name) }
            if members.isEmpty || (stated.column != nil && columnIndex == nil) {
                findings.append(AuditFinding(
                    kind: .unknownGroupOrColumn, location: "", unit: nil,
                    message: "không có nhóm \"\(stated.group)\"\(stated.column.map { " hoặc cột \"\($0)\"" } ?? "") trong bảng"))
                continue
            }
            let values: [ScaledDecimal?] = members.map { m in columnIndex.map { m.row.columns[$0]?.value } ?? m.index }
            let d = stated.value.decimals
            let overReported = ScaledDecimal.mean(values.compactMap { $0 }, decimals: d)
            let overAll = ScaledDecimal.mean(values.map { $0 ?? .zero }, decimals: d)
            guard stated.value.value != overReported, stated.value.value != overAll else { continue }
            let what = stated.column.map { "cột \"\($0)\" của nhóm \"\(stated.group)\"" } ?? "nhóm \"\(stated.group)\""
            let reportedCount = values.compactMap { $0 }.count
            var computed: [String] = []
            if let overAll {
                let rule = reportedCount == values.count ? "" : ", đơn vị không báo cáo tính 0"
                computed.append("\(text(overAll, d)) (trung bình \(values.count) đơn vị\(rule))")
            }
            if let overReported, reportedCount != values.count {
                computed.append("\(text(overReported, d)) (trung bình \(reportedCount) đơn vị có báo cáo)")
            }
            findings.append(AuditFinding(
                kind: .averageDisagrees, location: "", unit: nil,
                message: "giá trị trung bình \(what) ghi \(text(stated.value.value, d)) nhưng dữ liệu cho \(computed.joined(separator: " hoặc "))"))
        }
        return findings
    }
}
