import Testing
@testable import DTICore

@Suite("Competition ranking")
struct RankingTests {
    @Test("ties share a rank and the next rank is skipped: 1, 2, 2, 4")
    func ties() {
        let keys: [ScaledDecimal?] = [ScaledDecimal(90), ScaledDecimal(80), ScaledDecimal(80), ScaledDecimal(70)]
        #expect(Ranking.competitionRanks(keys) == [1, 2, 2, 4])
    }

    @Test("units that did not report rank after everyone else")
    func notReported() {
        let keys: [ScaledDecimal?] = [nil, ScaledDecimal(5), ScaledDecimal(7), nil]
        #expect(Ranking.competitionRanks(keys) == [3, 2, 1, 3])
    }

    @Test("ties are decided at the displayed precision")
    func displayedPrecision() {
        // 0,8333334 and 0,8333329 both print as 0,83333 at five decimals: same rank.
        let table = ResultTable(rows: [
            ResultRow(group: "g", unit: "A", points: WrittenNumber(value: ScaledDecimal(micros: 833_333), decimals: 6)),
            ResultRow(group: "g", unit: "B", points: WrittenNumber(value: ScaledDecimal(micros: 833_329), decimals: 6)),
            ResultRow(group: "g", unit: "C", points: WrittenNumber(value: ScaledDecimal(micros: 700_000), decimals: 6)),
        ])
        let results = table.ranked(under: RankingSettings(method: .raw, display: DisplayStyle(decimals: 5)))
        #expect(results.units.map(\.rank) == [1, 1, 3])
        let finer = table.ranked(under: RankingSettings(method: .raw, display: DisplayStyle(decimals: 6)))
        #expect(finer.units.map(\.rank) == [1, 2, 3])
    }

    @Test("equal ranks are listed in Vietnamese alphabetical order")
    func vietnameseOrder() {
        let table = ResultTable(rows: ["Đức", "Dung", "Anh", "Ánh"].map {
            ResultRow(group: "g", unit: $0, points: WrittenNumber(value: ScaledDecimal(1), decimals: 0))
        })
        let results = table.ranked(under: RankingSettings())
        #expect(results.units.map(\.row.unit) == ["Anh", "Ánh", "Dung", "Đức"])
    }
}
