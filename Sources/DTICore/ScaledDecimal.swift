import Foundation

/// An exact decimal number with six fractional digits, stored as an integer
/// count of millionths.
///
/// Published DTI figures carry at most six decimals (Đắk Lắk 2023 prints
/// 0,883075), and ranks and bands are decided at the published precision, so
/// binary floating point must never decide a tie. Every sum is exact; every
/// division rounds once, half away from zero, the way Excel's ROUND does.
public struct ScaledDecimal: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Fractional digits kept.
    public static let scale = 6
    /// Millionths in one unit.
    public static let unit: Int64 = 1_000_000

    /// The value in millionths.
    public var micros: Int64

    public init(micros: Int64) { self.micros = micros }

    public init(_ integer: Int) { self.micros = Int64(integer) * Self.unit }

    public static let zero = ScaledDecimal(micros: 0)

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.micros < rhs.micros }
    public static func + (lhs: Self, rhs: Self) -> Self { Self(micros: lhs.micros + rhs.micros) }
    public static func - (lhs: Self, rhs: Self) -> Self { Self(micros: lhs.micros - rhs.micros) }
    public static func += (lhs: inout Self, rhs: Self) { lhs.micros += rhs.micros }

    public var isNegative: Bool { micros < 0 }

    /// `self × numerator ÷ denominator`, rounded half away from zero to micros.
    public func multiplied(by numerator: Self, dividedBy denominator: Self) -> Self {
        precondition(denominator.micros != 0, "division by zero")
        // Fast path: most products fit in 64 bits, and 128-bit division is slow.
        let (small, overflow) = micros.multipliedReportingOverflow(by: numerator.micros)
        if !overflow, small >= 0, small <= Int64.max / 2, denominator.micros > 0 {
            return Self(micros: (small * 2 + denominator.micros) / (denominator.micros * 2))
        }
        let product = Int128(micros) * Int128(numerator.micros)
        // Saturate rather than trap: a product beyond 64 bits is capped by the
        // caller's maximum anyway, and input must never stop the process.
        return Self(micros: Int64(clamping: Self.roundedQuotient(product, Int128(denominator.micros))))
    }

    /// `numerator ÷ denominator × factor`, rounded to `decimals` fractional digits.
    public static func ratio(_ numerator: Self, _ denominator: Self, times factor: Int64 = 1, decimals: Int) -> Self {
        precondition(denominator.micros != 0, "division by zero")
        precondition((0...scale).contains(decimals))
        let keep = pow10(decimals)
        // Fast path in 64 bits; the 128-bit division below is several times slower.
        let (scaled, o1) = numerator.micros.multipliedReportingOverflow(by: factor &* keep)
        if !o1, factor <= 1_000_000, scaled >= 0, scaled <= Int64.max / 2, denominator.micros > 0 {
            let q = (scaled * 2 + denominator.micros) / (denominator.micros * 2)
            let (result, o2) = q.multipliedReportingOverflow(by: unit / keep)
            if !o2 { return Self(micros: result) }
        }
        let quotient = roundedQuotient(Int128(numerator.micros) * Int128(factor) * Int128(keep), Int128(denominator.micros))
        let (result, overflow) = Int64(clamping: quotient).multipliedReportingOverflow(by: unit / keep)
        return Self(micros: overflow ? (quotient < 0 ? .min : .max) : result)
    }

    /// The mean of `values`, rounded to `decimals` fractional digits.
    public static func mean(_ values: [Self], decimals: Int) -> Self? {
        guard !values.isEmpty else { return nil }
        let sum = values.reduce(Int128(0)) { $0 + Int128($1.micros) }
        let keep = Int128(pow10(decimals))
        let q = roundedQuotient(sum * keep, Int128(values.count) * Int128(unit))
        return Self(micros: Int64(clamping: q * (Int128(unit) / keep)))
    }

    /// This value rounded half away from zero to `decimals` fractional digits.
    public func rounded(decimals: Int) -> Self {
        precondition((0...Self.scale).contains(decimals))
        let step = Self.unit / Self.pow10(decimals)
        return Self(micros: Int64(Self.roundedQuotient(Int128(micros), Int128(step))) * step)
    }

    /// The number of fractional digits needed to write this value exactly.
    public var significantDecimals: Int {
        var digits = Self.scale
        var rest = micros
        while digits > 0, rest % 10 == 0 { rest /= 10; digits -= 1 }
        return digits
    }

    /// Writes the value with `decimals` digits (rounding first) and the given
    /// decimal separator; `trimZeros` drops trailing zeros ("0,886" rather
    /// than "0,886000").
    public func formatted(decimals: Int, separator: Character = ",", trimZeros: Bool = false) -> String {
        let value = rounded(decimals: decimals)
        var magnitude = value.micros.magnitude
        var fraction = Int(magnitude % UInt64(Self.unit)) / Int(Self.pow10(Self.scale - decimals))
        magnitude /= UInt64(Self.unit)
        var fractionDigits = decimals
        if trimZeros { while fractionDigits > 0, fraction % 10 == 0 { fraction /= 10; fractionDigits -= 1 } }
        // Digits are written backwards into a small buffer: this runs for
        // every figure of every export.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        for _ in 0..<fractionDigits { bytes.append(UInt8(48 + fraction % 10)); fraction /= 10 }
        if fractionDigits > 0 { bytes.append(contentsOf: String(separator).utf8.reversed()) }
        repeat { bytes.append(UInt8(48 + magnitude % 10)); magnitude /= 10 } while magnitude > 0
        if value.micros < 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.reverse()
        return String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { formatted(decimals: significantDecimals, separator: ".") }

    /// The value as a Double, for JSON output only: never for comparisons.
    public var doubleValue: Double { Double(micros) / Double(Self.unit) }

    static func pow10(_ n: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<n { result *= 10 }
        return result
    }

    /// `n ÷ d` rounded half away from zero.
    static func roundedQuotient(_ n: Int128, _ d: Int128) -> Int128 {
        let negative = (n < 0) != (d < 0)
        let (an, ad) = (n.magnitude, d.magnitude)
        let q = (an * 2 + ad) / (ad * 2)
        return negative ? -Int128(q) : Int128(q)
    }
}
