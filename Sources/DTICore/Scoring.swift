/// A unit as the engine sees it: identity, ranking group and tags.
public struct AssessedUnit: Hashable, Sendable {
    public var id: String
    public var name: String
    public var group: String
    /// Tags that change applicability, e.g. `no-online-public-services`.
    public var tags: Set<String>

    public init(id: String, name: String, group: String, tags: Set<String> = []) {
        self.id = id; self.name = name; self.group = group; self.tags = tags
    }
}

/// A framework flattened into arrays, so that scoring thousands of units is a
/// tight loop over leaves with no dictionary look-ups.
public struct CompiledFramework: Sendable {
    public let framework: Framework
    /// Nodes depth first; `parent[i]` is the index of node i's parent or -1.
    public let nodes: [FrameworkNode]
    public let parent: [Int]
    public let depth: [Int]
    /// Positions of the leaves in `nodes`, in tree order.
    public let leaves: [Int]
    /// Leaf position (in `leaves`) for each leaf code.
    public let leafByCode: [String: Int]
    /// Positions in `nodes` of the main indices and of the pillars.
    public let mainIndices: [Int]
    public let pillars: [Int]
    // Per-leaf arrays, so the scoring loop reads plain values instead of
    // copying whole nodes (each copy retains a dozen strings and arrays).
    let leafMax: [Int64]
    let leafRules: [Rule]
    let leafExceptTags: [Set<String>]
    let leafNotDeployed: [Bool]
    let leafRanges: [ClosedRange<ScaledDecimal>?]
    /// Rules whose evaluation needs no heap payload, scored inline.
    let leafFastRule: [FastRule]
    /// Tiers and options of the fast rules, one after another.
    let fastTables: FastRule.Tables
    let roots: [Int]

    public init(_ framework: Framework) {
        var nodes: [FrameworkNode] = []
        var parent: [Int] = []
        var depth: [Int] = []
        func walk(_ node: FrameworkNode, _ p: Int, _ d: Int) {
            let me = nodes.count
            nodes.append(node); parent.append(p); depth.append(d)
            for child in node.children { walk(child, me, d + 1) }
        }
        for root in framework.roots { walk(root, -1, 0) }
        self.framework = framework
        self.nodes = nodes
        self.parent = parent
        self.depth = depth
        let leaves = nodes.indices.filter { nodes[$0].isLeaf }
        self.leaves = leaves
        var byCode: [String: Int] = [:]
        for (i, n) in leaves.enumerated() { byCode[nodes[n].code] = i }
        self.leafByCode = byCode
        self.mainIndices = nodes.indices.filter { nodes[$0].kind == .mainIndex }
        self.pillars = nodes.indices.filter { nodes[$0].kind == .pillar }
        self.leafMax = leaves.map { nodes[$0].max.micros }
        self.leafRules = leaves.map { nodes[$0].rule ?? .manual(rubric: nil) }
        self.leafExceptTags = leaves.map { nodes[$0].applicability.exceptTags }
        self.leafNotDeployed = leaves.map { nodes[$0].applicability.notDeployed }
        self.leafRanges = leaves.map { nodes[$0].inputRange }
        var tables = FastRule.Tables()
        self.leafFastRule = leaves.map { FastRule(nodes[$0].rule, tables: &tables) }
        self.fastTables = tables
        self.roots = nodes.indices.filter { parent[$0] < 0 }
    }

    /// The scoring rule of the leaf at `position`.
    public func leafRule(_ position: Int) -> Rule { leafRules[position] }

    /// The node index of `code`, any kind.
    public func node(code: String) -> Int? { nodes.firstIndex { $0.code == code } }
}

/// A unit's answers, one slot per leaf of a compiled framework.
public struct UnitResponses: Sendable {
    public var inputs: [CriterionInput?]
    public init(leafCount: Int) { inputs = Array(repeating: nil, count: leafCount) }
    /// True when the unit answered at least one criterion.
    public var reported: Bool { inputs.contains { $0 != nil } }
}

/// A problem found while scoring one criterion of one unit.
public struct ScoringIssue: Hashable, Sendable {
    public var unitID: String
    public var criterion: String
    public var message: String
}

/// Points and applicable max for every node of one unit's tree.
public struct UnitScore: Sendable {
    public var unit: AssessedUnit
    public var reported: Bool
    /// Indexed like `CompiledFramework.nodes`.
    public var points: [ScaledDecimal]
    public var applicableMax: [ScaledDecimal]
    /// Leaves the unit did not answer although they apply.
    public var unanswered: [Int]

    public var totalPoints: ScaledDecimal
    public var totalApplicableMax: ScaledDecimal
}

/// Scores units against a compiled framework. Pure and deterministic.
public enum ScoringEngine {
    /// Scores one unit. Invalid answers earn no points and are reported in `issues`.
    public static func score(
        _ unit: AssessedUnit, _ responses: UnitResponses, in framework: CompiledFramework,
        issues: inout [ScoringIssue]
    ) -> UnitScore {
        let n = framework.nodes.count
        var points = [ScaledDecimal](repeating: .zero, count: n)
        var applicable = [ScaledDecimal](repeating: .zero, count: n)
        var unanswered: [Int] = []
        let reported = responses.reported
        let tagged = !unit.tags.isEmpty
        // Local copies of the per-leaf arrays: one retain each, not one per criterion.
        let parent = framework.parent
        let leaves = framework.leaves
        let leafMax = framework.leafMax
        let notDeployed = framework.leafNotDeployed
        let fastRules = framework.leafFastRule
        let tables = framework.fastTables
        let inputs = responses.inputs
        for leafPosition in leaves.indices {
            if notDeployed[leafPosition] { continue }
            if tagged, !framework.leafExceptTags[leafPosition].isDisjoint(with: unit.tags) { continue }
            let max = leafMax[leafPosition]
            var earned: Int64 = 0
            if let input = inputs[leafPosition] {
                if let fast = fastRules[leafPosition].points(input, max: max, tables: tables) {
                    earned = fast
                } else {
                    switch framework.leafRules[leafPosition].evaluate(input, max: ScaledDecimal(micros: max)) {
                    case .points(let p): earned = p.micros
                    case .notApplicable: continue
                    case .invalid(let violation):
                        let code = framework.nodes[leaves[leafPosition]].code
                        issues.append(ScoringIssue(unitID: unit.id, criterion: code, message: violation.message))
                    }
                }
            } else if reported {
                unanswered.append(leaves[leafPosition])
            }
            var ancestor = leaves[leafPosition]
            while ancestor >= 0 {
                points[ancestor].micros &+= earned
                applicable[ancestor].micros &+= max
                ancestor = parent[ancestor]
            }
        }
        return UnitScore(
            unit: unit,
            reported: reported,
            points: points,
            applicableMax: applicable,
            unanswered: unanswered,
            totalPoints: framework.roots.reduce(.zero) { $0 + points[$1] },
            totalApplicableMax: framework.roots.reduce(.zero) { $0 + applicable[$1] }
        )
    }

    /// Points of one leaf decided by people rather than computed from raw
    /// data (an evaluator's or the council's score).
    public enum LeafPoints: Hashable, Sendable {
        case points(ScaledDecimal)
        /// The criterion does not count for this unit.
        case notApplicable
        /// No score: 0 points, the max still counts.
        case missing
    }

    /// Aggregates leaf points up the tree with the framework's applicability,
    /// exactly as `score` does for computed points. `reported` says whether
    /// the unit reported at all.
    public static func aggregate(
        _ unit: AssessedUnit, leafPoints: [LeafPoints], reported: Bool, in framework: CompiledFramework
    ) -> UnitScore {
        precondition(leafPoints.count == framework.leaves.count, "one slot per leaf")
        let n = framework.nodes.count
        var points = [ScaledDecimal](repeating: .zero, count: n)
        var applicable = [ScaledDecimal](repeating: .zero, count: n)
        var unanswered: [Int] = []
        for (position, leaf) in framework.leaves.enumerated() {
            guard framework.nodes[leaf].applicability.applies(toUnitTagged: unit.tags) else { continue }
            let max = framework.leafMax[position]
            var earned: Int64 = 0
            switch leafPoints[position] {
            case .notApplicable: continue
            case .missing: if reported { unanswered.append(leaf) }
            case .points(let p): earned = Swift.min(Swift.max(p.micros, 0), max)
            }
            var ancestor = leaf
            while ancestor >= 0 {
                points[ancestor].micros += earned
                applicable[ancestor].micros += max
                ancestor = framework.parent[ancestor]
            }
        }
        return UnitScore(
            unit: unit, reported: reported, points: points, applicableMax: applicable, unanswered: unanswered,
            totalPoints: framework.roots.reduce(.zero) { $0 + points[$1] },
            totalApplicableMax: framework.roots.reduce(.zero) { $0 + applicable[$1] })
    }

    /// The unit's index by the framework's method, at working precision
    /// (`decimals` fractional digits), or `nil` when the unit did not report
    /// or nothing applies to it.
    public static func index(
        of score: UnitScore, in framework: CompiledFramework, decimals: Int
    ) -> ScaledDecimal? {
        guard score.reported else { return nil }
        switch framework.framework.method {
        case .raw:
            return score.totalPoints.rounded(decimals: decimals)
        case .fraction, .percent:
            guard score.totalApplicableMax.micros > 0 else { return nil }
            return ScaledDecimal.ratio(
                score.totalPoints, score.totalApplicableMax,
                times: framework.framework.method == .percent ? 100 : 1, decimals: decimals)
        case .weighted:
            return weightedIndex(score, framework, decimals: decimals)
        }
    }

    /// Σ points_i ÷ applicableMax_i × weight_i over main indices, weights
    /// renormalised over the indices that apply to the unit.
    static func weightedIndex(_ score: UnitScore, _ framework: CompiledFramework, decimals: Int) -> ScaledDecimal? {
        let weights = mainIndexWeights(framework)
        guard !weights.isEmpty else { return nil }
        return weightedIndex(points: framework.mainIndices.map { score.points[$0] },
                             applicableMax: framework.mainIndices.map { score.applicableMax[$0] },
                             weights: weights, decimals: decimals)
    }

    /// The weight of each main index: its own `weight`, else its share of the
    /// framework's total in millionths (Nhận thức số 100 of 1.000 → 0,1).
    /// Empty when the main indices have no points at all.
    public static func mainIndexWeights(_ framework: CompiledFramework) -> [ScaledDecimal] {
        let total = framework.mainIndices.reduce(Int128(0)) { $0 + Int128(framework.nodes[$1].max.micros) }
        guard total > 0 else { return [] }
        return framework.mainIndices.map { i in
            let node = framework.nodes[i]
            return node.weight ?? ScaledDecimal(micros: Int64(clamping: Int128(node.max.micros) * Int128(ScaledDecimal.unit) / total))
        }
    }

    /// The weighted index from each main index's points, applicable maximum
    /// and weight: indices that do not apply (maximum 0) drop out and the
    /// other weights are renormalised. Exact: terms are summed as rationals
    /// over a common 10^18 scale and rounded once. `dti verify` recomputes a
    /// published record with this same function.
    public static func weightedIndex(points: [ScaledDecimal], applicableMax: [ScaledDecimal], weights: [ScaledDecimal], decimals: Int) -> ScaledDecimal? {
        guard points.count == weights.count, applicableMax.count == weights.count, (0...ScaledDecimal.scale).contains(decimals) else { return nil }
        let precision: Int128 = 1_000_000_000_000_000_000
        var sum: Int128 = 0
        var weightSum: Int128 = 0
        for i in weights.indices {
            let applicable = Int128(applicableMax[i].micros)
            let weight = Int128(weights[i].micros)
            guard applicable > 0, weight > 0 else { continue }
            weightSum += weight
            sum += Int128(points[i].micros) * weight * (precision / Int128(ScaledDecimal.unit)) / applicable
        }
        guard weightSum > 0 else { return nil }
        // sum / weightSum, at 10^18 scale → round to `decimals`.
        let keep = Int128(ScaledDecimal.pow10(decimals))
        let q = ScaledDecimal.roundedQuotient(sum * keep, weightSum * (precision / Int128(ScaledDecimal.unit)))
        return ScaledDecimal(micros: Int64(clamping: q * (Int128(ScaledDecimal.unit) / keep)))
    }
}

/// The common rules in a form with no heap payload, so the scoring loop does
/// not retain and release a rule's strings and arrays for every criterion.
/// Anything unusual (a violation, b = 0, tiers, options) returns `nil` and
/// goes through `Rule.evaluate`, which stays the one definition of scoring.
enum FastRule: Sendable {
    case yesNo, manual, ratio, cappedCount(Int64), other
    /// Tiers at `start..<start+count` of the tier table.
    case tiers(start: Int32, count: Int32)
    /// Options at `start..<start+count` of the option tables.
    case choice(start: Int32, count: Int32)
    case parts(start: Int32, count: Int32)

    /// Plain-value tables the fast rules point into.
    struct Tables: Sendable {
        var tiers: [Tier] = []
        var optionKeys: [String] = []
        var optionFractions: [ScaledDecimal] = []
    }

    init(_ rule: Rule?, tables: inout Tables) {
        switch rule {
        case .tiers(let tiers):
            self = .tiers(start: Int32(tables.tiers.count), count: Int32(tiers.count))
            tables.tiers += tiers
        case .choice(let options), .parts(let options):
            let start = Int32(tables.optionKeys.count), count = Int32(options.count)
            if case .choice = rule { self = .choice(start: start, count: count) } else { self = .parts(start: start, count: count) }
            tables.optionKeys += options.map(\.key)
            tables.optionFractions += options.map(\.fraction)
        case .yesNo: self = .yesNo
        case .manual: self = .manual
        case .ratio: self = .ratio
        case .cappedCount(let perItem): self = .cappedCount(perItem.micros)
        default: self = .other
        }
    }

    @inline(__always)
    func points(_ input: CriterionInput, max: Int64, tables: Tables) -> Int64? {
        // Switch on the rule first and look into the input second: matching a
        // (rule, input) tuple would copy the input and retain its payload.
        switch self {
        case .yesNo:
            guard case .yesNo(let yes) = input else { return nil }
            return yes ? max : 0
        case .manual:
            guard case .manual(let score) = input, score.micros <= max else { return nil }
            return score.micros
        case .ratio:
            guard case .ratio(let a, let b) = input, b.micros > 0, a <= b else { return nil }
            return a.multiplied(by: ScaledDecimal(micros: max), dividedBy: b).micros
        case .cappedCount(let perItem):
            guard case .number(let count) = input else { return nil }
            return Swift.min(count.multiplied(by: ScaledDecimal(micros: perItem), dividedBy: ScaledDecimal(1)).micros, max)
        case let .tiers(start, count):
            guard case .number(let value) = input else { return nil }
            for i in Int(start)..<Int(start + count) where value >= tables.tiers[i].atLeast {
                return Swift.min(tables.tiers[i].points.micros, max)
            }
            return 0
        case let .choice(start, count):
            guard case .choice(let key) = input else { return nil }
            for i in Int(start)..<Int(start + count) where tables.optionKeys[i] == key {
                return tables.optionFractions[i].multiplied(by: ScaledDecimal(micros: max), dividedBy: ScaledDecimal(1)).micros
            }
            return nil // unknown option: Rule.evaluate explains it
        case let .parts(start, count):
            guard case .parts(let keys) = input else { return nil }
            var total: Int64 = 0
            var matched = 0
            for i in Int(start)..<Int(start + count) where keys.contains(tables.optionKeys[i]) {
                total += tables.optionFractions[i].multiplied(by: ScaledDecimal(micros: max), dividedBy: ScaledDecimal(1)).micros
                matched += 1
            }
            return matched == keys.count ? Swift.min(total, max) : nil
        case .other:
            return nil
        }
    }
}
