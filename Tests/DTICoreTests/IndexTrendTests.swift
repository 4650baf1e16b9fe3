import DTICore
import Foundation
import Testing

/// Issue 33: a unit's index at the end of each month, from the answers as they stood then
/// (the current rows and the change log's later entries) and the feeds' months up to it.
@Suite("Monthly index: what was known at the end of each month")
struct IndexTrendTests {
    /// 1.1 yes/no (10), 1.2 a count at 2 points each (10), 1.3 tiers on a feed's latest month (≥ 18: 10, ≥ 10: 5).
    let fw = CompiledFramework(Framework(
        id: "t", title: "t", level: "commune", year: 2026, version: 1, method: .raw, display: DisplayStyle(decimals: 2),
        roots: [FrameworkNode(kind: .mainIndex, code: "1", name: "Một", max: ScaledDecimal(30), children: [
            FrameworkNode(kind: .criterion, code: "1.1", name: "Có cổng", max: ScaledDecimal(10), rule: .yesNo),
            FrameworkNode(kind: .criterion, code: "1.2", name: "Số dịch vụ", max: ScaledDecimal(10), rule: .cappedCount(perItem: ScaledDecimal(2))),
            FrameworkNode(kind: .criterion, code: "1.3", name: "Chỉ số nguồn", max: ScaledDecimal(10),
                          rule: .tiers([Tier(atLeast: ScaledDecimal(18), points: ScaledDecimal(10)), Tier(atLeast: ScaledDecimal(10), points: ScaledDecimal(5))]),
                          feed: FeedBinding(feed: "f", field: "x", combine: .latest)),
        ])]))

    static func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test("answers typed, corrected and scored during the year, and a feed's months, give each month its own index")
    func months() {
        let unit = AssessedUnit(id: "X", name: "Xã X", group: "xã")
        let current: [String: IndexTrend.Answer] = [
            "1.1": .init(value: "Có", b: "", selfPoints: 10_000_000, evaluatorPoints: nil, councilPoints: nil),
            "1.2": .init(value: "4", b: "", selfPoints: 8_000_000, evaluatorPoints: 6_000_000, councilPoints: nil),
            "1.3": .init(value: "19", b: "", selfPoints: 10_000_000, evaluatorPoints: nil, councilPoints: nil),
        ]
        let changes: [IndexTrend.Change] = [
            .init(criterion: "1.1", field: "value", old: "", at: Self.at("2026-03-10T02:00:00Z")),   // first answered in March
            .init(criterion: "1.2", field: "value", old: "2", at: Self.at("2026-05-03T02:00:00Z")),  // 2 → 4 in May
            .init(criterion: "1.2", field: "evaluator_points", old: "", at: Self.at("2026-06-01T02:00:00Z")),  // scored 6 in June
        ]
        let feed: [String: [FeedMonth: ScaledDecimal]] = ["1.3": [
            FeedMonth(year: 2026, month: 1): ScaledDecimal(8), FeedMonth(year: 2026, month: 2): ScaledDecimal(12), FeedMonth(year: 2026, month: 4): ScaledDecimal(19),
        ]]
        let indexes = IndexTrend.months(of: 2026, through: FeedMonth(year: 2026, month: 6)).map {
            IndexTrend.index(unit, current: current, changes: changes, feedMonths: feed, month: $0, in: fw)?.vietnamese ?? "-"
        }
        // Jan: 1.2 at 2 (4 points), 1.3 at 8 (0). Feb: 1.3 at 12 (5). Mar: 1.1 answered (10). Apr: 1.3 at 19 (10).
        // May: 1.2 at 4 (8). Jun: the evaluator's 6 counts for 1.2.
        #expect(indexes == ["4", "9", "19", "24", "28", "26"], "\(indexes)")
    }

    @Test("a month ends at midnight in Việt Nam; a year's months run to the current one, all twelve once it is over")
    func calendar() {
        #expect(IndexTrend.end(of: FeedMonth(year: 2026, month: 1)) == Self.at("2026-01-31T17:00:00Z").addingTimeInterval(-0.001))
        #expect(IndexTrend.end(of: FeedMonth(year: 2026, month: 12)) == Self.at("2026-12-31T17:00:00Z").addingTimeInterval(-0.001))
        #expect(IndexTrend.months(of: 2026, through: FeedMonth(year: 2026, month: 3)).map(\.description) == ["2026-01", "2026-02", "2026-03"])
        #expect(IndexTrend.months(of: 2026, through: FeedMonth(year: 2027, month: 2)).count == 12)
        #expect(IndexTrend.months(of: 2027, through: FeedMonth(year: 2026, month: 12)).isEmpty)
    }
}
