/// Units grouped by score band for one main index, as the reports write it:
/// "đạt điểm tối đa", "từ 80 đến dưới 100 điểm", "dưới 50 điểm".
public struct DistributionBucket: Hashable, Sendable {
    /// Lower bound in points (inclusive); `nil` for the lowest bucket.
    public var lower: ScaledDecimal?
    /// Upper bound in points (exclusive); `nil` for the "at max" bucket.
    public var upper: ScaledDecimal?
    public var atMax: Bool
    public var units: [String]

    /// Bounds in percent of the applicable max, which decide the bucket.
    public var lowerPercent: ScaledDecimal?
    public var upperPercent: ScaledDecimal?

    /// Vietnamese label. For a 100-point index percent and points coincide and
    /// the label reads as the reports write it ("từ 80 đến dưới 100 điểm");
    /// otherwise it names percent of the applicable max, which is what
    /// decides the bucket when some units have criteria that do not apply.
    public func label(separator: Character = ",", nodeMax: ScaledDecimal) -> String {
        func t(_ v: ScaledDecimal) -> String { v.formatted(decimals: v.significantDecimals, separator: separator) }
        if atMax { return "đạt điểm tối đa" }
        let inPoints = nodeMax == ScaledDecimal(100)
        let unit = inPoints ? " điểm" : "% điểm tối đa"
        let (l, u) = inPoints ? (lower, upper) : (lowerPercent, upperPercent)
        switch (l, u) {
        case let (l?, u?): return "từ \(t(l)) đến dưới \(t(u))\(unit)"
        case let (nil, u?): return "dưới \(t(u))\(unit)"
        default: return ""
        }
    }
}

/// Report statistics beyond a group's averages.
public enum Statistics {
    /// Groups units into buckets for one framework node (a main index).
    /// `edgesPercent` are the bucket edges as percent of the node's max,
    /// e.g. [80, 50] for a 100-point index gives: at max, 80…<100, 50…<80, <50.
    /// A unit is "at max" when it earned the whole applicable max; otherwise it
    /// falls by its percent of the applicable max.
    public static func distribution(
        _ units: [(name: String, points: ScaledDecimal, applicableMax: ScaledDecimal)],
        nodeMax: ScaledDecimal, edgesPercent: [ScaledDecimal]
    ) -> [DistributionBucket] {
        let edges = edgesPercent.sorted(by: >)
        let edgePoints = edges.map { ScaledDecimal.ratio($0, ScaledDecimal(100), times: 1, decimals: 6).multiplied(by: nodeMax, dividedBy: ScaledDecimal(1)) }
        var buckets = [DistributionBucket(lower: nil, upper: nil, atMax: true, units: [])]
        var upper = nodeMax
        var upperPercent = ScaledDecimal(100)
        for (edge, percent) in zip(edgePoints, edges) {
            buckets.append(DistributionBucket(lower: edge, upper: upper, atMax: false, units: [], lowerPercent: percent, upperPercent: upperPercent))
            upper = edge
            upperPercent = percent
        }
        buckets.append(DistributionBucket(lower: nil, upper: upper, atMax: false, units: [], lowerPercent: nil, upperPercent: upperPercent))
        for unit in units where unit.applicableMax.micros > 0 {
            if unit.points >= unit.applicableMax { buckets[0].units.append(unit.name); continue }
            let percent = ScaledDecimal.ratio(unit.points, unit.applicableMax, times: 100, decimals: 6)
            let slot = edges.firstIndex { percent >= $0 }.map { $0 + 1 } ?? edges.count + 1
            buckets[slot].units.append(unit.name)
        }
        return buckets
    }
}

/// Units whose value falls between two edges in points, as the reports group
/// them: "từ 100 đến dưới 130 điểm … có điểm trung bình là 113,45 điểm".
public struct ValueBand: Hashable, Sendable {
    /// Inclusive lower edge; nil for the lowest band.
    public var lower: ScaledDecimal?
    /// Exclusive upper edge; nil for the highest band.
    public var upper: ScaledDecimal?
    /// Names, highest value first.
    public var units: [String]
    public var values: [ScaledDecimal]

    public var average: ScaledDecimal? { values.isEmpty ? nil : ScaledDecimal.mean(values, decimals: 6) }
}

extension Statistics {
    /// Groups `units` by absolute `edges` (in points, any order), highest band
    /// first; each band lists its units by value, highest first. Units without
    /// a value are left out.
    public static func bands(_ units: [(name: String, value: ScaledDecimal)], edges: [ScaledDecimal]) -> [ValueBand] {
        let sorted = Array(Set(edges)).sorted(by: >)
        var bands: [ValueBand] = []
        var upper: ScaledDecimal?
        for edge in sorted {
            bands.append(ValueBand(lower: edge, upper: upper, units: [], values: []))
            upper = edge
        }
        bands.append(ValueBand(lower: nil, upper: upper, units: [], values: []))
        for unit in units.sorted(by: { $0.value > $1.value }) {
            let slot = sorted.firstIndex { unit.value >= $0 } ?? sorted.count
            bands[slot].units.append(unit.name)
            bands[slot].values.append(unit.value)
        }
        return bands
    }
}
