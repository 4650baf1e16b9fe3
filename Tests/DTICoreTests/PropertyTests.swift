import Testing
@testable import DTICore

/// A small deterministic generator (SplitMix64), so a failing case can be
/// replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Properties over generated data")
struct PropertyTests {
    static let seeds: [UInt64] = Array(1...200)

    /// Keys with many ties and some units that did not report.
    func keys(_ rng: inout SeededGenerator) -> [ScaledDecimal?] {
        (0..<Int.random(in: 1...40, using: &rng)).map { _ in
            Int.random(in: 0..<8, using: &rng) == 0 ? nil : ScaledDecimal(micros: Int64.random(in: 0...12, using: &rng) * 250_000)
        }
    }

    @Test("ranking ignores input order", arguments: seeds)
    func orderIndependent(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let ks = keys(&rng)
        let ranks = Ranking.competitionRanks(ks)
        let permutation = Array(ks.indices).shuffled(using: &rng)
        let shuffledRanks = Ranking.competitionRanks(permutation.map { ks[$0] })
        for (position, original) in permutation.enumerated() {
            #expect(shuffledRanks[position] == ranks[original], "seed \(seed)")
        }
    }

    @Test("ties share ranks; a rank is one more than the number of better units", arguments: seeds)
    func tiesShareRanks(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let ks = keys(&rng)
        let ranks = Ranking.competitionRanks(ks)
        let reported = ks.compactMap { $0 }
        for (i, key) in ks.enumerated() {
            if let key {
                #expect(ranks[i] == 1 + reported.filter { $0 > key }.count, "seed \(seed)")
            } else {
                #expect(ranks[i] == reported.count + 1, "seed \(seed)")
            }
            for (j, other) in ks.enumerated() where other == key {
                #expect(ranks[i] == ranks[j])
            }
        }
    }

    /// A random framework using every rule type.
    func framework(_ rng: inout SeededGenerator) -> Framework {
        func rule(_ max: Int) -> Rule {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: return .yesNo
            case 1: return .tiers([Tier(atLeast: ScaledDecimal(4), points: ScaledDecimal(max)), Tier(atLeast: ScaledDecimal(2), points: ScaledDecimal(max / 2))])
            case 2: return .ratio(RatioRule(numerator: "a", denominator: "b", whenDenominatorIsZero: [.zero, .full, .notApplicable].randomElement(using: &rng)!))
            case 3: return .choice([RuleOption(key: "x", label: "", fraction: ScaledDecimal(1)), RuleOption(key: "y", label: "", fraction: ScaledDecimal(micros: 333_333))])
            case 4: return .parts([RuleOption(key: "p", label: "", fraction: ScaledDecimal(micros: 500_000)), RuleOption(key: "q", label: "", fraction: ScaledDecimal(micros: 500_000))])
            case 5: return .cappedCount(perItem: ScaledDecimal(micros: 1_500_000))
            default: return .manual(rubric: nil)
            }
        }
        var code = 0
        func leaf() -> FrameworkNode {
            code += 1
            let max = Int.random(in: 1...30, using: &rng)
            let applies = Applicability(exceptTags: Bool.random(using: &rng) ? ["t"] : [], notDeployed: Int.random(in: 0..<10, using: &rng) == 0)
            return FrameworkNode(kind: .criterion, code: "c\(code)", name: "c", max: ScaledDecimal(max), rule: rule(max), applicability: applies)
        }
        let indices = (0..<Int.random(in: 1...5, using: &rng)).map { i -> FrameworkNode in
            let children = (0..<Int.random(in: 1...6, using: &rng)).map { _ in leaf() }
            return FrameworkNode(kind: .mainIndex, code: "i\(i)", name: "i", max: children.reduce(.zero) { $0 + $1.max }, children: children)
        }
        return Framework(id: "p", title: "p", level: "district", year: 2024, version: 1,
                         method: .fraction, display: DisplayStyle(decimals: 6), roots: indices)
    }

    func answer(_ rule: Rule, _ rng: inout SeededGenerator) -> CriterionInput {
        switch rule {
        case .yesNo: return .yesNo(Bool.random(using: &rng))
        case .tiers, .cappedCount: return .number(ScaledDecimal(Int.random(in: 0...10, using: &rng)))
        case .ratio:
            let b = Int.random(in: 0...9, using: &rng)
            return .ratio(a: ScaledDecimal(Int.random(in: 0...b, using: &rng)), b: ScaledDecimal(b))
        case .choice: return .choice(Bool.random(using: &rng) ? "x" : "y")
        case .parts: return .parts(Set(["p", "q"].filter { _ in Bool.random(using: &rng) }))
        case .manual: return .manual(.zero)
        }
    }

    @Test("indices stay within 0…1 and no node earns more than its applicable max", arguments: seeds)
    func indexWithinBounds(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let compiled = CompiledFramework(framework(&rng))
        for u in 0..<5 {
            let unit = AssessedUnit(id: "u\(u)", name: "u\(u)", group: "g", tags: Bool.random(using: &rng) ? ["t"] : [])
            var responses = UnitResponses(leafCount: compiled.leaves.count)
            for (i, leaf) in compiled.leaves.enumerated() where Int.random(in: 0..<6, using: &rng) > 0 {
                var input = answer(compiled.nodes[leaf].rule!, &rng)
                if case .manual = input { input = .manual(ScaledDecimal(micros: Int64.random(in: 0...compiled.nodes[leaf].max.micros, using: &rng))) }
                responses.inputs[i] = input
            }
            var issues: [ScoringIssue] = []
            let score = ScoringEngine.score(unit, responses, in: compiled, issues: &issues)
            #expect(issues.isEmpty, "seed \(seed): \(issues)")
            for n in compiled.nodes.indices {
                #expect(score.points[n] >= .zero && score.points[n] <= score.applicableMax[n], "seed \(seed) node \(n)")
            }
            if let index = ScoringEngine.index(of: score, in: compiled, decimals: 6) {
                #expect(index >= .zero && index <= ScaledDecimal(1), "seed \(seed)")
            }
        }
    }
}

@Suite("The fast scoring path agrees with the rules")
struct FastPathTests {
    /// The plain definition: every leaf through `Rule.evaluate`, summed up the tree.
    func referenceTotal(_ unit: AssessedUnit, _ responses: UnitResponses, _ fw: CompiledFramework) -> (ScaledDecimal, ScaledDecimal) {
        var points = ScaledDecimal.zero, max = ScaledDecimal.zero
        for (i, leaf) in fw.leaves.enumerated() {
            let node = fw.nodes[leaf]
            guard node.applicability.applies(toUnitTagged: unit.tags) else { continue }
            guard let input = responses.inputs[i] else { max += node.max; continue }
            switch node.rule!.evaluate(input, max: node.max) {
            case .points(let p): points += p; max += node.max
            case .notApplicable: break
            case .invalid: max += node.max
            }
        }
        return (points, max)
    }

    @Test("scores equal the rule-by-rule definition, also with invalid answers", arguments: PropertyTests.seeds)
    func agrees(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let generator = PropertyTests()
        let compiled = CompiledFramework(generator.framework(&rng))
        for u in 0..<5 {
            let unit = AssessedUnit(id: "u\(u)", name: "u\(u)", group: "g", tags: Bool.random(using: &rng) ? ["t"] : [])
            var responses = UnitResponses(leafCount: compiled.leaves.count)
            for (i, leaf) in compiled.leaves.enumerated() where Int.random(in: 0..<6, using: &rng) > 0 {
                var input = generator.answer(compiled.nodes[leaf].rule!, &rng)
                // Now and then an answer the rule must refuse.
                switch Int.random(in: 0..<12, using: &rng) {
                case 0: input = .choice("không-có")
                case 1: input = .parts(["p", "zz"])
                case 2: input = .ratio(a: ScaledDecimal(7), b: ScaledDecimal(3))
                case 3: input = .manual(ScaledDecimal(1000))
                case 4: input = .number(ScaledDecimal(micros: 2_500_000))
                default: break
                }
                responses.inputs[i] = input
            }
            var issues: [ScoringIssue] = []
            let score = ScoringEngine.score(unit, responses, in: compiled, issues: &issues)
            let (points, max) = referenceTotal(unit, responses, compiled)
            #expect(score.totalPoints == points, "seed \(seed)")
            #expect(score.totalApplicableMax == max, "seed \(seed)")
        }
    }
}

@Suite("Aggregating reviewed points")
struct AggregateTests {
    @Test("aggregating the computed leaf points gives the same tree as scoring", arguments: PropertyTests.seeds.prefix(50))
    func sameAsScoring(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let generator = PropertyTests()
        let compiled = CompiledFramework(generator.framework(&rng))
        let unit = AssessedUnit(id: "u", name: "u", group: "g", tags: Bool.random(using: &rng) ? ["t"] : [])
        var responses = UnitResponses(leafCount: compiled.leaves.count)
        var leafPoints: [ScoringEngine.LeafPoints] = []
        for (i, leaf) in compiled.leaves.enumerated() {
            let node = compiled.nodes[leaf]
            guard Int.random(in: 0..<5, using: &rng) > 0 else { leafPoints.append(.missing); continue }
            var input = generator.answer(node.rule!, &rng)
            if case .manual = input { input = .manual(ScaledDecimal(micros: Int64.random(in: 0...node.max.micros, using: &rng))) }
            responses.inputs[i] = input
            switch node.rule!.evaluate(input, max: node.max) {
            case .points(let p): leafPoints.append(.points(p))
            case .notApplicable: leafPoints.append(.notApplicable)
            case .invalid: leafPoints.append(.missing)
            }
        }
        var issues: [ScoringIssue] = []
        let scored = ScoringEngine.score(unit, responses, in: compiled, issues: &issues)
        let aggregated = ScoringEngine.aggregate(unit, leafPoints: leafPoints, reported: true, in: compiled)
        #expect(aggregated.points == scored.points, "seed \(seed)")
        #expect(aggregated.applicableMax == scored.applicableMax, "seed \(seed)")
    }
}

@Suite("Ranking again only the groups that changed")
struct RerankTests {
    /// A unit scored from random answers, or as not reporting.
    func score(_ unit: AssessedUnit, _ compiled: CompiledFramework, _ rng: inout SeededGenerator) -> UnitScore {
        let generator = PropertyTests()
        guard Int.random(in: 0..<6, using: &rng) > 0 else {
            return ScoringEngine.aggregate(unit, leafPoints: Array(repeating: .missing, count: compiled.leaves.count), reported: false, in: compiled)
        }
        var responses = UnitResponses(leafCount: compiled.leaves.count)
        for (i, leaf) in compiled.leaves.enumerated() where Int.random(in: 0..<5, using: &rng) > 0 {
            var input = generator.answer(compiled.nodes[leaf].rule!, &rng)
            if case .manual = input { input = .manual(ScaledDecimal(micros: Int64.random(in: 0...compiled.nodes[leaf].max.micros, using: &rng))) }
            responses.inputs[i] = input
        }
        var issues: [ScoringIssue] = []
        return ScoringEngine.score(unit, responses, in: compiled, issues: &issues)
    }

    /// Every figure a page or a file shows of the two results is the same.
    func expectSame(_ a: AssessmentResult, _ b: AssessmentResult, _ context: String) {
        #expect(a.ranking.units.count == b.ranking.units.count, "\(context)")
        for (x, y) in zip(a.ranking.units, b.ranking.units) {
            #expect(x.row.unit == y.row.unit && x.row.group == y.row.group && x.row.points == y.row.points && x.row.columns == y.row.columns
                    && x.index == y.index && x.display == y.display && x.rank == y.rank && x.band == y.band && x.maxPoints == y.maxPoints,
                    "\(context): \(x.row.unit) \(x.display) #\(x.rank) against \(y.row.unit) \(y.display) #\(y.rank)")
        }
        #expect(a.ranking.groups.map(\.group) == b.ranking.groups.map(\.group), "\(context)")
        for (x, y) in zip(a.ranking.groups, b.ranking.groups) {
            #expect(x.count == y.count && x.reported == y.reported && x.average == y.average && x.columnAverages == y.columnAverages
                    && x.topAverage == y.topAverage && x.bottomAverage == y.bottomAverage && x.gap == y.gap && x.decimals == y.decimals
                    && x.columnDecimals == y.columnDecimals && x.topUnits == y.topUnits && x.bottomUnits == y.bottomUnits, "\(context): group \(x.group)")
        }
        #expect(a.scores.map(\.totalPoints) == b.scores.map(\.totalPoints), "\(context)")
        #expect(a.distributions.keys.sorted() == b.distributions.keys.sorted(), "\(context)")
        for (group, nodes) in a.distributions {
            #expect(nodes.map(\.node) == b.distributions[group]?.map(\.node), "\(context): distribution of \(group)")
            #expect(nodes.map { $0.buckets.map(\.units) } == b.distributions[group]?.map { $0.buckets.map(\.units) }, "\(context): distribution of \(group)")
        }
    }

    @Test("a few units scored anew: the groups they belong to ranked again equal the whole level ranked again", arguments: PropertyTests.seeds.prefix(80))
    func sameAsRankingAll(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let compiled = CompiledFramework(PropertyTests().framework(&rng))
        let groups = Int.random(in: 1...5, using: &rng)
        // Groups interleaved, as a directory lists units by name.
        let units = (0..<Int.random(in: 2...60, using: &rng)).map { i in
            AssessedUnit(id: "u\(i)", name: "Đơn vị \(i)", group: "Cụm \(Int.random(in: 0..<groups, using: &rng))", tags: Bool.random(using: &rng) ? ["t"] : [])
        }
        var scores = units.map { score($0, compiled, &rng) }
        let distributions = seed % 2 == 0
        var previous = Assessment.rank(compiled, scores: scores, distributions: distributions)
        for round in 0..<3 {
            var changed: [Int: UnitScore] = [:]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<units.count, using: &rng)
                changed[i] = score(units[i], compiled, &rng)
                scores[i] = changed[i]!
            }
            let again = Assessment.rerank(previous, replacing: changed)
            expectSame(again, Assessment.rank(compiled, scores: scores, distributions: distributions), "seed \(seed), round \(round)")
            previous = again
        }
        // A unit moved to another group: everything is ranked again.
        let moved = AssessedUnit(id: units[0].id, name: units[0].name, group: "Cụm mới", tags: units[0].tags)
        scores[0] = score(moved, compiled, &rng)
        expectSame(Assessment.rerank(previous, replacing: [0: scores[0]]), Assessment.rank(compiled, scores: scores, distributions: distributions),
                   "seed \(seed), moved")
    }
}
