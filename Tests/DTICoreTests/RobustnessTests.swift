import Testing
@testable import DTICore

@Suite("Robustness of a ranking")
struct RobustnessTests {
    static func unit(_ name: String, _ values: [Int]?) -> Robustness.Unit {
        Robustness.Unit(name: name, values: values.map { $0.map { ScaledDecimal($0) } })
    }

    /// A (10, 0) = 10, B (0, 8) = 8, C (4, 4) = 8, D did not report; weights 1 and 1, spread 0.5.
    static let input = Robustness.Input(columns: ["P1", "P2"], weights: [ScaledDecimal(1), ScaledDecimal(1)], groups: [
        Robustness.Group(name: "G", units: [unit("A", [10, 0]), unit("B", [0, 8]), unit("C", [4, 4]), unit("D", nil)]),
    ])
    static let options = Robustness.Options(spread: ScaledDecimal(micros: 500_000), draws: 400, seed: 7)

    @Test("one weight at a time, by hand: P1 × 0.5 gives B 8, C 6, A 5; P1 × 1.5 A 15, C 10, B 8; P2 × 0.5 A 10, C 6, B 4; P2 × 1.5 B 12, A and C 10")
    func oneAtATime() throws {
        let report = try Robustness.analyse(Self.input, options: Self.options)
        let units = report.groups[0].units
        #expect(units.map(\.unit) == ["A", "B", "C", "D"])
        #expect(units.map(\.rank) == [1, 2, 2, 4], "a tie shares its rank; the unit that did not report is after all that did")
        #expect(units.map(\.oatMin) == [1, 1, 2, 4])
        #expect(units.map(\.oatMax) == [3, 3, 2, 4])
    }

    @Test("Monte Carlo and the geometric mean: C (4, 4) is first whenever a zero pillar zeroes A and B; the silent unit is 4th in every case; A and C flip, the tied B and C are no pair")
    func monteCarlo() throws {
        let report = try Robustness.analyse(Self.input, options: Self.options)
        let units = report.groups[0].units
        let d = units[3]
        #expect([d.median, d.p05, d.p95] == [4, 4, 4])
        // Half the cases are geometric: C is first in each of them, so its best 5 % is 1.
        #expect(units[2].p05 == 1)
        let ac = try #require(report.groups[0].flips.first { $0.first == "A" && $0.second == "C" })
        #expect(ac.share >= 0.5, "every geometric case puts C before A")
        #expect(!report.groups[0].flips.contains { Set([$0.first, $0.second]) == ["B", "C"] })
        for u in units.prefix(3) { #expect(u.p05 <= u.median && u.median <= u.p95 && u.p95 <= 3) }
    }

    @Test("importance by hand: r² of P1 with the index (10, 8, 8) is 16/19, of P2 3/4; normalised 64/121 and 57/121; nominal 1/2 each")
    func importance() throws {
        let importance = try Robustness.analyse(Self.input, options: Self.options).groups[0].importance
        #expect(importance.map(\.column) == ["P1", "P2"])
        #expect(importance.map(\.nominal) == [0.5, 0.5])
        #expect(abs(importance[0].effective - 64.0 / 121.0) < 1e-12)
        #expect(abs(importance[1].effective - 57.0 / 121.0) < 1e-12)
    }

    @Test("a single pillar: no weight changes an order, no pair flips, it is all the importance")
    func singlePillar() throws {
        let input = Robustness.Input(columns: ["Tổng"], weights: [ScaledDecimal(1)], groups: [
            Robustness.Group(name: "G", units: [Self.unit("A", [5]), Self.unit("B", [3]), Self.unit("C", [3])]),
        ])
        let group = try Robustness.analyse(input).groups[0]
        #expect(group.units.map(\.rank) == [1, 2, 2])
        #expect(group.units.map { [$0.oatMin, $0.oatMax, $0.median, $0.p05, $0.p95] } == [[1, 1, 1, 1, 1], [2, 2, 2, 2, 2], [2, 2, 2, 2, 2]])
        #expect(group.flips.isEmpty)
        #expect(group.importance.map(\.nominal) == [1] && group.importance.map(\.effective) == [1])
    }

    @Test("a pillar that does not vary has no effective importance; the same seed gives the same report, and the weights are data")
    func zeroVarianceAndSeed() throws {
        let input = Robustness.Input(columns: ["P1", "P2"], weights: [ScaledDecimal(3), ScaledDecimal(1)], groups: [
            Robustness.Group(name: "G", units: [Self.unit("A", [1, 7]), Self.unit("B", [2, 7]), Self.unit("C", [3, 7])]),
        ])
        let report = try Robustness.analyse(input, options: Robustness.Options(seed: 42))
        let importance = report.groups[0].importance
        #expect(importance.map(\.effective) == [1, 0])
        #expect(importance.map(\.nominal) == [0.75, 0.25])
        #expect(report.groups[0].units.map(\.rank) == [3, 2, 1])
        #expect(try Robustness.analyse(input, options: Robustness.Options(seed: 42)) == report)
        #expect(try Robustness.analyse(Self.input, options: Robustness.Options(draws: 50, seed: 1))
                != (try Robustness.analyse(Self.input, options: Robustness.Options(draws: 50, seed: 2))), "another seed, other draws")
    }

    @Test("refused: no pillar, a weight of 0, a spread outside (0, 1), a row of the wrong width")
    func refusals() {
        let g = [Robustness.Group(name: "G", units: [Self.unit("A", [1, 2])])]
        #expect(throws: Robustness.Problem.noColumns) { try Robustness.analyse(Robustness.Input(columns: [], weights: [], groups: g)) }
        #expect(throws: Robustness.Problem.negativeWeight("P2")) {
            try Robustness.analyse(Robustness.Input(columns: ["P1", "P2"], weights: [ScaledDecimal(1), .zero], groups: g))
        }
        #expect(throws: Robustness.Problem.spread) { try Robustness.analyse(Self.input, options: Robustness.Options(spread: ScaledDecimal(1))) }
        #expect(throws: Robustness.Problem.width(group: "G", unit: "A", found: 2, expected: 1)) {
            try Robustness.analyse(Robustness.Input(columns: ["P1"], weights: [ScaledDecimal(1)], groups: g))
        }
    }
}
