/// Competition ranking ("1, 2, 2, 4") within a group.
public enum Ranking {
    /// Ranks `keys` in descending order. Equal keys share a rank and the next
    /// rank is skipped. `nil` (did not report) ranks after every reported
    /// unit, all such units sharing the rank after the last reported one.
    public static func competitionRanks<Key: Hashable & Comparable>(_ keys: [Key?]) -> [Int] {
        let reported = keys.compactMap { $0 }.sorted(by: >)
        var firstPosition: [Key: Int] = [:]
        for (i, key) in reported.enumerated() where firstPosition[key] == nil {
            firstPosition[key] = i + 1
        }
        let last = reported.count + 1
        return keys.map { key in key.map { firstPosition[$0]! } ?? last }
    }

    /// The same for keys that all reported (exact totals of another unit than `ScaledDecimal`).
    public static func competitionRanks<Key: Hashable & Comparable>(_ keys: [Key]) -> [Int] {
        competitionRanks(keys.map(Optional.some))
    }
}
