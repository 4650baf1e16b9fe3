/// A unit's index on a 0…1 scale, comparable across frameworks and years
/// (the scorecard's history): the index itself for the fraction and weighted
/// methods, a hundredth of it for percent, points over the applicable
/// maximum for raw points where a maximum is known.
public enum NormalisedIndex {
    public static func of(_ unit: RankedUnit, under settings: RankingSettings) -> ScaledDecimal? {
        guard unit.row.reported, let index = unit.index else { return nil }
        switch settings.method {
        case .fraction, .weighted: return index
        case .percent: return ScaledDecimal.ratio(index, ScaledDecimal(100), times: 1, decimals: 6)
        case .raw:
            guard let points = unit.row.points?.value, let max = unit.maxPoints ?? settings.defaultMax, max.micros > 0 else { return nil }
            return ScaledDecimal.ratio(points, max, times: 1, decimals: 6)
        }
    }

    /// A unit formed by a merger, in a year before it existed: the mean of
    /// its predecessors' normalised indices, as the national DTI compares
    /// them (nil when none of them has one).
    public static func predecessorsMean(_ indices: [ScaledDecimal]) -> ScaledDecimal? {
        ScaledDecimal.mean(indices, decimals: ScaledDecimal.scale)
    }
}
