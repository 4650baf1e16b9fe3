import DTICore
import DTIFormats

/// "Độ vững của xếp hạng" of one group (issue 34, ADR 0043): how much its
/// ranks depend on the weights chosen, on the publication preview and on every
/// published ranking page. Computed from the record's own figures with the
/// defaults of `dti robustness` (±20 %, 1,000 draws, seed 1), so the command
/// run on the downloaded record prints the same intervals.
struct RobustnessView: Encodable {
    struct Row: Encodable {
        var unit: String
        var rank: String
        /// The 5–95 % interval over the random weights, as text ("3–7", or "3").
        var interval: String
        /// The range when one weight at a time is moved.
        var oneAtATime: String
        /// The interval as a small bar (SVG, decorative beside `interval`).
        var bar: String
    }

    var drivers: String
    var importance: [String]
    var flips: [String]
    var moreFlips: Int
    var rows: [Row]
    var settings: String
    /// The table of units is open on the page for a short group.
    var open: Bool

    static let options = Robustness.Options()
    static let flipsShown = 10
    static let openUpTo = 30

    /// The section for the group named `group` of `set`, with rows for `shown` (the group, or
    /// the page of a long group); nil when there is nothing to analyse (no pillar columns, no
    /// weights, fewer than two reporting units).
    init?(_ set: ResultArchive.Loaded, group: String, shown: [RankedUnit]) {
        // Read from the record here, where a ranking is rendered (and then kept), not each time a record is loaded.
        let input = RobustnessInput.from(set.record)
        guard !input.columns.isEmpty, let members = input.groups.first(where: { $0.name == group }),
              members.units.filter({ $0.values != nil }).count > 1,
              let report = try? Robustness.analyse(.init(columns: input.columns, weights: input.weights, groups: [members]), options: Self.options).groups.first
        else { return nil }
        drivers = RobustnessWriter.drivers(report)
            ?? "Không cột nào quyết định xếp hạng nhiều hơn hay ít hơn hẳn trọng số của nó (chênh dưới 5 điểm phần trăm)."
        importance = report.importance.map {
            "\($0.column): \(RobustnessWriter.percent($0.nominal)) theo trọng số, \(RobustnessWriter.percent($0.effective)) thực tế"
        }
        let flips = report.flips.sorted { $0.share > $1.share }
        self.flips = flips.prefix(Self.flipsShown).map { "\($0.first) và \($0.second): đổi thứ tự trong \(RobustnessWriter.percent($0.share)) số trường hợp" }
        moreFlips = max(0, flips.count - Self.flipsShown)
        let intervals = Dictionary(report.units.map { ($0.unit, $0) }, uniquingKeysWith: { first, _ in first })
        let count = report.units.count
        rows = shown.map { unit in
            guard unit.row.reported, let i = intervals[unit.row.unit] else {
                return Row(unit: unit.row.unit, rank: unit.rankText, interval: "—", oneAtATime: "—", bar: "")
            }
            return Row(unit: unit.row.unit, rank: unit.rankText,
                       interval: i.p05 == i.p95 ? "\(i.p05)" : "\(i.p05)–\(i.p95)",
                       oneAtATime: i.oatMin == i.oatMax ? "\(i.oatMin)" : "\(i.oatMin)–\(i.oatMax)",
                       bar: SVGChart.rankInterval(rank: i.rank, low: i.p05, high: i.p95, of: count))
        }
        let options = Self.options
        let spread = Int((options.spread.doubleValue * 100).rounded())
        settings = "Cách tính: trọng số của \(input.columns.count) cột điểm thành phần được đổi trong khoảng ±\(spread) %, "
            + "từng trọng số một (cột \"Khi đổi từng trọng số\") và \(NumberText.grouped(options.draws)) lần rút ngẫu nhiên, "
            + "mỗi lần cộng theo trọng số và theo trung bình nhân (cột \"Khoảng 5–95 %\": hạng của đơn vị nằm trong khoảng này ở 90 % số trường hợp). "
            + "Tính lại được bằng lệnh: dti robustness bản-ghi.json"
        open = shown.count <= Self.openUpTo
    }
}
