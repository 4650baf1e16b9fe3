import DTICore
import Testing

@Suite("Feeds: months and how a criterion's months combine")
struct FeedTests {
    let months: [FeedMonth: ScaledDecimal] = [
        FeedMonth(year: 2025, month: 12): ScaledDecimal(100),
        FeedMonth(year: 2026, month: 1): ScaledDecimal(10),
        FeedMonth(year: 2026, month: 2): ScaledDecimal(micros: 12_500_000),
        FeedMonth(year: 2026, month: 4): ScaledDecimal(7),
    ]

    @Test("latest, mean and sum use only the year's months known as of the month asked")
    func combine() {
        func value(_ c: FeedBinding.Combine, _ asOf: FeedMonth?) -> String? {
            FeedBinding(feed: "f", field: "x", combine: c).value(of: months, year: 2026, asOf: asOf).map { "\($0.value.vietnamese)@\($0.month)" }
        }
        #expect(value(.latest, nil) == "7@2026-04")
        #expect(value(.latest, FeedMonth("2026-03")) == "12,5@2026-02")
        #expect(value(.sum, nil) == "29,5@2026-04")
        #expect(value(.mean, FeedMonth("2026-02")) == "11,25@2026-02")
        #expect(value(.mean, FeedMonth("2025-12")) == nil)
    }

    @Test("a month is written YYYY-MM; a quarter's feed takes quarter ends only")
    func monthsAndGranularity() {
        #expect(FeedMonth("2026-3") == FeedMonth(year: 2026, month: 3))
        #expect(FeedMonth("2026-03")?.label == "03/2026")
        for bad in ["2026-13", "26-03", "2026/03", "2026-00", "", "2026-03-01"] { #expect(FeedMonth(bad) == nil, "\(bad)") }
        #expect(FeedGranularity.quarter.accepts(FeedMonth(year: 2026, month: 6)))
        #expect(!FeedGranularity.quarter.accepts(FeedMonth(year: 2026, month: 5)))
        #expect(FeedMonth(year: 2026, month: 12).next == FeedMonth(year: 2027, month: 1))
    }

    @Test("a field refuses values outside its range, a percent outside 0…100, a fraction for an integer")
    func fieldRanges() {
        let points = FeedField(key: "p", name: "P", kind: .number, min: .zero, max: ScaledDecimal(18))
        #expect(points.refusal(ScaledDecimal(18)) == nil)
        #expect(points.refusal(ScaledDecimal(19)) != nil)
        #expect(FeedField(key: "q", name: "Q", kind: .percent).refusal(ScaledDecimal(101)) != nil)
        #expect(FeedField(key: "n", name: "N", kind: .integer).refusal(ScaledDecimal(micros: 1_500_000)) != nil)
    }
}
