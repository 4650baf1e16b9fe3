import DTICore

/// Points as the interface prints them: two decimals, decimal comma.
enum DTICoreText {
    static func points(_ micros: Int64) -> String { ScaledDecimal(micros: micros).formatted(decimals: 2, separator: ",") }
}
