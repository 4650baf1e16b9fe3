import Foundation

/// How much a ranking depends on the weights chosen and on the way pillars
/// are added up — the uncertainty analysis the EU Joint Research Centre runs
/// before a composite index is released (Saisana et al. 2005; COINr).
///
/// Per group: each unit's nominal rank, its range when one pillar's weight at
/// a time is moved by ±spread (exact), its median and 5–95 % interval over
/// random weights (Monte Carlo, seeded) added up both arithmetically and
/// geometrically, the pairs whose order flips often, and how much each pillar
/// really drives the index against its weight. Units that did not report rank
/// after every unit that did, in every case.
public enum Robustness {
    public struct Options: Sendable, Equatable {
        /// Each weight is moved within [1 − spread, 1 + spread] times itself.
        public var spread: ScaledDecimal
        public var draws: Int
        public var seed: UInt64
        /// A pair is named when its order differs from the nominal one in more than this share of cases.
        public var flipShare: Double

        public init(spread: ScaledDecimal = ScaledDecimal(micros: 200_000), draws: Int = 1000, seed: UInt64 = 1, flipShare: Double = 0.1) {
            self.spread = spread; self.draws = draws; self.seed = seed; self.flipShare = flipShare
        }
    }

    /// One unit of a group: its pillar values, or nil when it did not report.
    public struct Unit: Sendable, Equatable {
        public var name: String
        public var values: [ScaledDecimal]?
        public init(name: String, values: [ScaledDecimal]?) { self.name = name; self.values = values }
    }

    public struct Group: Sendable, Equatable {
        public var name: String
        public var units: [Unit]
        public init(name: String, units: [Unit]) { self.name = name; self.units = units }
    }

    /// What is analysed: the pillars' names and nominal weights, and the groups ranked separately.
    public struct Input: Sendable, Equatable {
        public var columns: [String]
        public var weights: [ScaledDecimal]
        public var groups: [Group]
        public init(columns: [String], weights: [ScaledDecimal], groups: [Group]) {
            self.columns = columns; self.weights = weights; self.groups = groups
        }
    }

    public struct UnitInterval: Sendable, Equatable, Codable {
        public var unit: String
        public var rank: Int
        public var oatMin: Int
        public var oatMax: Int
        public var median: Int
        public var p05: Int
        public var p95: Int

        enum CodingKeys: String, CodingKey {
            case unit, rank, oatMin = "oat_min", oatMax = "oat_max", median, p05, p95
        }
    }

    /// Two units whose order differs from the nominal one (`first` ahead of `second`) in `share` of the cases.
    public struct Flip: Sendable, Equatable, Codable {
        public var first: String
        public var second: String
        public var share: Double
    }

    public struct Importance: Sendable, Equatable, Codable {
        public var column: String
        /// The weight's share of all weights.
        public var nominal: Double
        /// The squared Pearson correlation of the pillar with the index, normalised to sum 1
        /// (0 for a pillar that does not vary).
        public var effective: Double
    }

    public struct GroupReport: Sendable, Equatable, Codable {
        public var group: String
        public var units: [UnitInterval]
        public var flips: [Flip]
        public var importance: [Importance]
    }

    public struct Report: Sendable, Equatable, Codable {
        public var groups: [GroupReport]
        public init(groups: [GroupReport]) { self.groups = groups }
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case noColumns
        case weights(Int, Int)
        case negativeWeight(String)
        case spread
        case draws
        case width(group: String, unit: String, found: Int, expected: Int)

        public var description: String {
            switch self {
            case .noColumns: return "bảng không có cột điểm thành phần (trụ cột) nào: không có trọng số để thay đổi"
            case .weights(let found, let expected): return "có \(found) trọng số cho \(expected) cột điểm thành phần"
            case .negativeWeight(let column): return "trọng số của cột \"\(column)\" phải lớn hơn 0"
            case .spread: return "--spread phải lớn hơn 0 và nhỏ hơn 1 (ví dụ 0.2)"
            case .draws: return "--draws phải từ 1 đến 100000"
            case .width(let group, let unit, let found, let expected):
                return "nhóm \"\(group)\", đơn vị \"\(unit)\": có \(found) giá trị cho \(expected) cột điểm thành phần"
            }
        }
    }

    public static func analyse(_ input: Input, options: Options = Options()) throws(Problem) -> Report {
        let p = input.columns.count
        guard p > 0 else { throw .noColumns }
        guard input.weights.count == p else { throw .weights(input.weights.count, p) }
        for (column, weight) in zip(input.columns, input.weights) where weight.micros <= 0 { throw .negativeWeight(column) }
        guard options.spread.micros > 0, options.spread.micros < ScaledDecimal.unit else { throw .spread }
        guard (1...100_000).contains(options.draws) else { throw .draws }
        for group in input.groups {
            for unit in group.units { if let values = unit.values, values.count != p { throw .width(group: group.name, unit: unit.name, found: values.count, expected: p) } }
        }
        var random = SplitMix64(seed: options.seed)
        // The same weight draws for every group: a group's result does not depend on the groups before it.
        let factors: [[Double]] = (0..<options.draws).map { _ in
            (0..<p).map { _ in 1 - options.spread.doubleValue + 2 * options.spread.doubleValue * random.nextUnit() }
        }
        return Report(groups: input.groups.map { group(input, $0, factors: factors, options: options) })
    }

    private static func group(_ input: Input, _ group: Group, factors: [[Double]], options: Options) -> GroupReport {
        let p = input.columns.count
        let reporting = group.units.indices.filter { group.units[$0].values != nil }
        let silentRank = reporting.count + 1
        let values = reporting.map { group.units[$0].values! }

        // Nominal and one-at-a-time: exact, in millionths (a value in millionths times a weight
        // in millionths fits an Int64 for any score below 7 million points with 8 pillars).
        func exactTotals(_ weights: [Int64]) -> [Int64] {
            values.map { row in zip(row, weights).reduce(Int64(0)) { $0 + $1.0.micros * $1.1 } }
        }
        let nominalWeights = input.weights.map(\.micros)
        let nominalTotals = exactTotals(nominalWeights)
        let nominal = Ranking.competitionRanks(nominalTotals)
        var oatMin = nominal, oatMax = nominal
        let unit = ScaledDecimal.unit
        for j in 0..<p {
            for sign in [Int64(-1), 1] {
                var weights = nominalWeights
                // w × (1 ± s): both in millionths, the product rounded half up to a millionth.
                weights[j] = (weights[j] * (unit + sign * options.spread.micros) + unit / 2) / unit
                let ranks = Ranking.competitionRanks(exactTotals(weights))
                for i in ranks.indices {
                    oatMin[i] = min(oatMin[i], ranks[i])
                    oatMax[i] = max(oatMax[i], ranks[i])
                }
            }
        }

        // Monte Carlo: each draw's weights, added up arithmetically, then geometrically. Totals
        // and ranks are kept unit by unit (`unit * cases + case`), so a unit's ranks and a
        // pair's totals are read as contiguous runs.
        let n = values.count
        let x = values.map { $0.map(\.doubleValue) }
        let base = input.weights.map(\.doubleValue)
        let cases = factors.count * 2
        var sampleRanks = [Int32](repeating: 0, count: n * cases)
        var sampleTotals = [Double](repeating: 0, count: n * cases)
        var sorted = [(total: Double, unit: Int32)](repeating: (0, 0), count: n)
        var weights = [Double](repeating: 0, count: p)
        var c = 0
        for geometric in [false, true] {
            for draw in factors {
                for j in 0..<p { weights[j] = base[j] * draw[j] }
                let sum = weights.reduce(0, +)
                for i in 0..<n {
                    var t = 0.0
                    if geometric {
                        // Weighted geometric mean; a pillar at 0 makes it 0.
                        var logSum = 0.0
                        var zero = false
                        for j in 0..<p {
                            if x[i][j] <= 0 { zero = true; break }
                            logSum += weights[j] / sum * log(x[i][j])
                        }
                        t = zero ? 0 : exp(logSum)
                    } else {
                        for j in 0..<p { t += weights[j] * x[i][j] }
                    }
                    sorted[i] = (t, Int32(i))
                    sampleTotals[i * cases + c] = t
                }
                sorted.sort { $0.total > $1.total }
                var rank: Int32 = 1
                for k in 0..<n {
                    if k > 0 && sorted[k].total != sorted[k - 1].total { rank = Int32(k + 1) }
                    sampleRanks[Int(sorted[k].unit) * cases + c] = rank
                }
                c += 1
            }
        }

        // Percentiles by nearest rank, from each unit's histogram of ranks (ranks are 1…n).
        var lowest = [Int32](repeating: 0, count: n), highest = [Int32](repeating: 0, count: n)
        var median = [Int](repeating: 0, count: n), p05 = median, p95 = median
        var histogram = [Int](repeating: 0, count: n + 2)
        for i in 0..<n {
            let run = sampleRanks[(i * cases)..<((i + 1) * cases)]
            let lo = run.min()!, hi = run.max()!
            lowest[i] = lo; highest[i] = hi
            for r in run { histogram[Int(r)] += 1 }
            func nearestRank(_ percent: Int) -> Int {
                let position = max(1, (percent * cases + 99) / 100)  // ⌈percent × cases / 100⌉
                var seen = 0
                for r in Int(lo)...Int(hi) {
                    seen += histogram[r]
                    if seen >= position { return r }
                }
                return Int(hi)
            }
            median[i] = nearestRank(50); p05[i] = nearestRank(5); p95[i] = nearestRank(95)
            for r in Int(lo)...Int(hi) { histogram[r] = 0 }
        }
        var intervals: [UnitInterval] = []
        var position: [Int: Int] = [:]
        for (k, i) in reporting.enumerated() { position[i] = k }
        for (i, u) in group.units.enumerated() {
            if let k = position[i] {
                intervals.append(UnitInterval(unit: u.name, rank: nominal[k], oatMin: oatMin[k], oatMax: oatMax[k],
                                              median: median[k], p05: p05[k], p95: p95[k]))
            } else {
                intervals.append(UnitInterval(unit: u.name, rank: silentRank, oatMin: silentRank, oatMax: silentRank,
                                              median: silentRank, p05: silentRank, p95: silentRank))
            }
        }

        // Pairs whose order flips: only pairs whose rank ranges over all cases overlap can flip;
        // for those, the cases where the second's total is above the first's are counted.
        let order = (0..<n).sorted { nominalTotals[$0] != nominalTotals[$1] ? nominalTotals[$0] > nominalTotals[$1] : $0 < $1 }
        var flips: [Flip] = []
        sampleTotals.withUnsafeBufferPointer { totals in
            for (ai, a) in order.enumerated() {
                for b in order[(ai + 1)...] {
                    guard nominalTotals[a] > nominalTotals[b] else { continue }  // a tie has no order to flip
                    if highest[a] < lowest[b] { continue }
                    var flipped = 0
                    let ta = totals.baseAddress! + a * cases, tb = totals.baseAddress! + b * cases
                    for s in 0..<cases { flipped &+= tb[s] > ta[s] ? 1 : 0 }
                    let share = Double(flipped) / Double(cases)
                    if share > options.flipShare {
                        flips.append(Flip(first: group.units[reporting[a]].name, second: group.units[reporting[b]].name, share: share))
                    }
                }
            }
        }

        // Importance: the weight's share; the squared correlation with the nominal index, normalised.
        let weightSum = base.reduce(0, +)
        let index = nominalTotals.map { Double($0) }
        var r2 = (0..<p).map { j in pow(correlation(x.map { $0[j] }, index) ?? 0, 2) }
        let r2Sum = r2.reduce(0, +)
        if r2Sum > 0 { r2 = r2.map { $0 / r2Sum } }
        let importance = (0..<p).map { Importance(column: input.columns[$0], nominal: base[$0] / weightSum, effective: r2[$0]) }
        return GroupReport(group: group.name, units: intervals, flips: flips, importance: importance)
    }

    /// Pearson's r, or nil when either side does not vary (or fewer than two values).
    static func correlation(_ a: [Double], _ b: [Double]) -> Double? {
        let n = Double(a.count)
        guard a.count > 1 else { return nil }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            sab += (a[i] - ma) * (b[i] - mb)
            saa += (a[i] - ma) * (a[i] - ma)
            sbb += (b[i] - mb) * (b[i] - mb)
        }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and the same sequence on every machine
/// for a seed, so `--seed` reproduces an analysis exactly.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
