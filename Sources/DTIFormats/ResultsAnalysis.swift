import DTICore
import Foundation

/// The written analysis of a period's results, in Vietnamese, as the
/// decisions' "Phần thứ ba" writes it: reporting, averages, score groups, the
/// top versus the bottom, the units that did not report — every figure taken
/// from `RankedResults`, and a check of the published figures where given.
public struct ResultsAnalysis: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        public var title: String
        public var paragraphs: [String]
    }

    /// One ranked table of the period (a level), with what the analysis needs.
    public struct Input: Sendable {
        public var table: ResultTable
        public var manifest: ResultsManifest.Table
        public var results: RankedResults
        public var stated: [StatedAverage]

        public init(table: ResultTable, manifest: ResultsManifest.Table, results: RankedResults, stated: [StatedAverage] = []) {
            self.table = table
            self.manifest = manifest
            self.results = results
            self.stated = stated
        }
    }

    public var sections: [Section]

    /// Two digits in Vietnamese counts of units, as the decisions write them ("03 đơn vị").
    static func count(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    public static func write(_ inputs: [Input], year: Int) -> ResultsAnalysis {
        var general: [String] = []
        var sections: [Section] = []
        var reporting: [String] = [], averages: [String] = [], missing: [String] = []
        for input in inputs {
            let r = input.results
            let unit = unitWord(r.settings.method)
            for g in r.groups {
                reporting.append("\(g.reported)/\(g.count) \(g.group)")
                if let avg = g.average { averages.append("\(number(avg, g.decimals, r.settings))\(unit) (\(g.group))") }
                missing += r.units.filter { $0.row.group == g.group && !$0.row.reported }.map(\.row.unit)
            }
        }
        if !reporting.isEmpty { general.append("Năm \(year) có \(reporting.joined(separator: " và ")) báo cáo số liệu chuyển đổi số.") }
        if !missing.isEmpty { general.append("Chưa báo cáo số liệu: \(missing.joined(separator: ", ")).") }
        else if !reporting.isEmpty { general.append("Tất cả các cơ quan, đơn vị đều báo cáo số liệu.") }
        if !averages.isEmpty { general.append("Giá trị trung bình đạt \(averages.joined(separator: " và ")).") }
        sections.append(Section(title: "1. Đánh giá chung", paragraphs: general))

        var sectionNumber = 2
        for input in inputs {
            let r = input.results
            let style = r.settings
            let unit = unitWord(style.method)
            for g in r.groups {
                var p: [String] = []
                let members = r.units.filter { $0.row.group == g.group && $0.row.reported }
                // The index (or total) by score groups.
                let totalEdges = input.manifest.edges(for: "points")
                let totals = members.compactMap { u in u.index.map { (name: u.row.unit, value: $0) } }
                if !totalEdges.isEmpty {
                    p.append("\(style.method == .raw ? "Tổng điểm" : "Chỉ số chuyển đổi số"): " +
                             bandSentences(Statistics.bands(totals, edges: totalEdges), decimals: g.decimals, style: style, unit: unit).joined(separator: " "))
                }
                if members.isEmpty {
                    p.append("Không có đơn vị nào báo cáo số liệu; nhóm này không được xếp hạng.")
                }
                if let best = members.first, let index = best.index {
                    // Every unit sharing first place is named.
                    let leaders = members.filter { $0.rank == best.rank }.map(\.row.unit)
                    p.append(leaders.count == 1
                        ? "Đơn vị dẫn đầu là \(best.row.unit) với \(number(index, g.decimals, style))\(unit)."
                        : "Có \(count(leaders.count)) đơn vị cùng dẫn đầu với \(number(index, g.decimals, style))\(unit): \(leaders.joined(separator: ", ")).")
                }
                // Top and bottom are compared only where they do not overlap.
                if members.count / 2 >= style.topK, let top = g.topAverage, let bottom = g.bottomAverage, let gap = g.gap {
                    p.append("Điểm trung bình của \(count(g.topUnits.count)) đơn vị đứng đầu (\(g.topUnits.joined(separator: ", "))) là \(number(top, g.decimals, style))\(unit) "
                             + "so với \(count(g.bottomUnits.count)) đơn vị đứng cuối (\(g.bottomUnits.joined(separator: ", "))) là \(number(bottom, g.decimals, style))\(unit); "
                             + "chênh lệch giữa hai nhóm là \(number(gap, g.decimals, style))\(unit).")
                }
                // Each pillar or main index: its average, the units at its maximum, its score groups.
                for (c, column) in r.columnNames.enumerated() {
                    let values = members.compactMap { u in u.row.columns[c].map { (name: u.row.unit, value: $0.value) } }
                    guard !values.isEmpty else { continue }
                    let decimals = g.columnDecimals.indices.contains(c) ? g.columnDecimals[c] : g.decimals
                    var sentence = "\(column)"
                    let max = input.manifest.maximum(of: column)
                    if let max { sentence += " (\(number(max, max.significantDecimals, style)) điểm)" }
                    sentence += ":"
                    if let avg = g.columnAverages[c] { sentence += " trung bình \(number(avg, decimals, style)) điểm." }
                    if let max {
                        let atMax = values.filter { $0.value >= max }.map(\.name)
                        sentence += atMax.isEmpty ? " Chưa có đơn vị đạt điểm tối đa." : " Đạt điểm tối đa: \(atMax.joined(separator: ", "))."
                    }
                    let edges = input.manifest.edges(for: column)
                    if !edges.isEmpty {
                        sentence += " " + bandSentences(Statistics.bands(values, edges: edges), decimals: decimals, style: style, unit: " điểm").joined(separator: " ")
                    }
                    p.append(sentence)
                }
                let absent = r.units.filter { $0.row.group == g.group && !$0.row.reported }.map(\.row.unit)
                if !absent.isEmpty { p.append("Chưa báo cáo số liệu, không được xếp hạng: \(absent.joined(separator: ", ")).") }
                sections.append(Section(title: "\(sectionNumber). Đối với \(g.group)", paragraphs: p))
                sectionNumber += 1
            }
        }
        // The published figures checked against the table.
        var checks: [String] = []
        for input in inputs {
            let findings = Audit.run(input.table, settings: input.results.settings, statedAverages: input.stated)
            checks += findings.map { $0.message.hasSuffix(".") ? $0.message : $0.message + "." }
        }
        if !checks.isEmpty {
            sections.append(Section(title: "\(sectionNumber). Đối chiếu số liệu đã công bố", paragraphs: ["Các số liệu sau trong bảng đã công bố không khớp với tính toán lại từ chính bảng đó:"] + checks))
        }
        return ResultsAnalysis(sections: sections)
    }

    static func unitWord(_ method: IndexMethod) -> String {
        switch method {
        case .raw: return " điểm"
        case .percent: return "%"
        case .fraction, .weighted: return ""
        }
    }

    static func number(_ v: ScaledDecimal, _ decimals: Int, _ style: RankingSettings) -> String {
        v.formatted(decimals: decimals, separator: style.display.separator, trimZeros: style.display.trimZeros)
    }

    /// "Nhóm từ 100 đến dưới 130 điểm có 05 đơn vị gồm: …; điểm trung bình 113,45 điểm."
    static func bandSentences(_ bands: [ValueBand], decimals: Int, style: RankingSettings, unit: String) -> [String] {
        bands.filter { !$0.units.isEmpty }.map { band in
            let range: String
            switch (band.lower, band.upper) {
            case let (l?, u?): range = "từ \(number(l, l.significantDecimals, style)) đến dưới \(number(u, u.significantDecimals, style))\(unit)"
            case let (l?, nil): range = "từ \(number(l, l.significantDecimals, style))\(unit) trở lên"
            case let (nil, u?): range = "dưới \(number(u, u.significantDecimals, style))\(unit)"
            default: range = ""
            }
            if band.units.count == 1 {
                return "Nhóm \(range) có 01 đơn vị là \(band.units[0]) (\(number(band.values[0], decimals, style))\(unit))."
            }
            let avg = band.average.map { "; điểm trung bình \(number($0, decimals, style))\(unit)" } ?? ""
            return "Nhóm \(range) có \(count(band.units.count)) đơn vị gồm: \(band.units.joined(separator: ", "))\(avg)."
        }
    }
}
