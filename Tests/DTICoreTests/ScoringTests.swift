import Testing
@testable import DTICore

@Suite("Scoring engine")
struct ScoringTests {
    func index(_ code: String, max: Int, weight: ScaledDecimal? = nil) -> FrameworkNode {
        FrameworkNode(kind: .mainIndex, code: code, name: code, max: ScaledDecimal(max), weight: weight, rule: .manual(rubric: nil))
    }

    /// The national 922 structure: nine main indices, one worth 0.
    var national: CompiledFramework {
        let maxima = [100, 100, 100, 100, 100, 0, 200, 150, 150]
        let roots = maxima.enumerated().map { index("\($0.offset + 1)", max: $0.element) }
        return CompiledFramework(Framework(id: "n", title: "n", level: "province", year: 2022, version: 1,
                                           method: .weighted, display: DisplayStyle(decimals: 4, separator: "."), roots: roots))
    }

    func responses(_ points: [Int64], _ fw: CompiledFramework) -> UnitResponses {
        var r = UnitResponses(leafCount: fw.leaves.count)
        for (i, p) in points.enumerated() { r.inputs[i] = .manual(ScaledDecimal(micros: p)) }
        return r
    }

    @Test("the weighted method is Σ points ÷ max × max/1000: with every index scored it equals points ÷ 1000")
    func weightedEqualsFractionWhenAllApply() {
        let fw = national
        // 80,02 % of every index → 0.8002
        let points: [Int64] = [80_020_000, 80_020_000, 80_020_000, 80_020_000, 80_020_000, 0, 160_040_000, 120_030_000, 120_030_000]
        var issues: [ScoringIssue] = []
        let score = ScoringEngine.score(AssessedUnit(id: "Đà Nẵng", name: "Đà Nẵng", group: "tỉnh"), responses(points, fw), in: fw, issues: &issues)
        #expect(ScoringEngine.index(of: score, in: fw, decimals: 4) == ScaledDecimal(micros: 800_200))
        #expect(score.totalPoints == ScaledDecimal(micros: 800_200_000))
    }

    @Test("the weighted method weighs each index by its max, not by its points")
    func weightedUnevenIndices() {
        let fw = national
        // Only the 200-point index is at 50 %, all others full: 1 − 0.2 × 0.5 = 0.9
        let full: [Int64] = [100, 100, 100, 100, 100, 0, 100, 150, 150].map { $0 * 1_000_000 }
        var issues: [ScoringIssue] = []
        let score = ScoringEngine.score(AssessedUnit(id: "x", name: "x", group: "g"), responses(full, fw), in: fw, issues: &issues)
        #expect(ScoringEngine.index(of: score, in: fw, decimals: 4) == ScaledDecimal(micros: 900_000))
    }

    @Test("criteria that do not apply leave the unit's maximum (900 instead of 1.000)")
    func applicableMax() {
        let dvc = FrameworkNode(kind: .component, code: "6.1", name: "DVC", max: ScaledDecimal(100), rule: .manual(rubric: nil),
                                applicability: Applicability(exceptTags: ["no-online-public-services"]))
        let rest = FrameworkNode(kind: .component, code: "6.2", name: "rest", max: ScaledDecimal(900), rule: .manual(rubric: nil))
        let fw = CompiledFramework(Framework(id: "f", title: "f", level: "department", year: 2023, version: 1,
                                             method: .fraction, display: DisplayStyle(decimals: 6, trimZeros: true), roots: [dvc, rest]))
        var r = UnitResponses(leafCount: 2)
        r.inputs[0] = .manual(ScaledDecimal(50))
        r.inputs[1] = .manual(ScaledDecimal(micros: 534_600_000))
        var issues: [ScoringIssue] = []
        let inspectorate = ScoringEngine.score(AssessedUnit(id: "Thanh tra tỉnh", name: "Thanh tra tỉnh", group: "sở", tags: ["no-online-public-services"]), r, in: fw, issues: &issues)
        #expect(inspectorate.totalApplicableMax == ScaledDecimal(900))
        #expect(ScoringEngine.index(of: inspectorate, in: fw, decimals: 6) == ScaledDecimal(micros: 594_000))  // Ban Dân tộc 2023: 0,594
        let other = ScoringEngine.score(AssessedUnit(id: "Sở A", name: "Sở A", group: "sở"), r, in: fw, issues: &issues)
        #expect(other.totalApplicableMax == ScaledDecimal(1000))
        #expect(ScoringEngine.index(of: other, in: fw, decimals: 6) == ScaledDecimal(micros: 584_600))
        #expect(issues.isEmpty)
    }

    @Test("a unit with no answers did not report; its index is nil")
    func notReported() {
        let fw = national
        var issues: [ScoringIssue] = []
        let score = ScoringEngine.score(AssessedUnit(id: "M'Drắk", name: "M'Drắk", group: "huyện"), UnitResponses(leafCount: fw.leaves.count), in: fw, issues: &issues)
        #expect(!score.reported)
        #expect(ScoringEngine.index(of: score, in: fw, decimals: 4) == nil)
    }

    @Test("distribution buckets follow the report's wording")
    func distribution() {
        let buckets = Statistics.distribution(
            [("A", ScaledDecimal(100), ScaledDecimal(100)), ("B", ScaledDecimal(85), ScaledDecimal(100)),
             ("C", ScaledDecimal(80), ScaledDecimal(100)), ("D", ScaledDecimal(79), ScaledDecimal(100)), ("E", ScaledDecimal(10), ScaledDecimal(100))],
            nodeMax: ScaledDecimal(100), edgesPercent: [ScaledDecimal(80), ScaledDecimal(50)])
        #expect(buckets.map(\.units) == [["A"], ["B", "C"], ["D"], ["E"]])
        #expect(buckets.map { $0.label(nodeMax: ScaledDecimal(100)) } == ["đạt điểm tối đa", "từ 80 đến dưới 100 điểm", "từ 50 đến dưới 80 điểm", "dưới 50 điểm"])
    }

    @Test("validation reports a > b, out-of-range values and inconsistent criteria")
    func validation() {
        let meetings = FrameworkNode(kind: .criterion, code: "1.1", name: "m", max: ScaledDecimal(20),
                                     rule: .tiers([Tier(atLeast: ScaledDecimal(4), points: ScaledDecimal(20))]),
                                     inputRange: ScaledDecimal(0)...ScaledDecimal(52))
        let chaired = FrameworkNode(kind: .criterion, code: "1.2", name: "c", max: ScaledDecimal(20),
                                    rule: .ratio(RatioRule(numerator: "a", denominator: "b", whenDenominatorIsZero: .zero)))
        let check = ConsistencyCheck(left: InputReference(parsing: "1.2.b")!, comparison: .greaterOrEqual,
                                     right: InputReference(parsing: "1.1")!, severity: .error, message: "b ≥ 1.1")
        let fw = CompiledFramework(Framework(id: "f", title: "f", level: "district", year: 2024, version: 1,
                                             method: .raw, display: DisplayStyle(decimals: 2), roots: [meetings, chaired], checks: [check]))
        var r = UnitResponses(leafCount: 2)
        r.inputs[0] = .number(ScaledDecimal(60))
        r.inputs[1] = .ratio(a: ScaledDecimal(5), b: ScaledDecimal(4))
        let findings = Validation.check(AssessedUnit(id: "u", name: "u", group: "g"), r, in: fw)
        #expect(findings.count == 3)
        #expect(findings.allSatisfy { $0.severity == .error })
        #expect(findings.contains { $0.criterion == "1.1" && $0.message.contains("ngoài khoảng") })
        #expect(findings.contains { $0.criterion == "1.2" && $0.message.contains("a = 5 lớn hơn b = 4") })
        #expect(findings.contains { $0.criterion == "1.2" && $0.message.contains("b ≥ 1.1") })
    }
}
