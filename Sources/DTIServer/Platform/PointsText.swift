import DTICore

/// Points as the interface prints them: two decimals, decimal comma; "-" where there is no score.
enum PointsText {
    static func points(_ value: ScaledDecimal) -> String { value.formatted(decimals: 2, separator: ",") }
    static func points(_ micros: Int64) -> String { points(ScaledDecimal(micros: micros)) }
    static func points(_ micros: Int64?) -> String { micros.map { points($0) } ?? "-" }
}
