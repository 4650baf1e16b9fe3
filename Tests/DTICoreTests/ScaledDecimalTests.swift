import Testing
@testable import DTICore

@Suite("Exact decimals")
struct ScaledDecimalTests {
    func parse(_ s: String) -> WrittenNumber? { try? WrittenNumber.parse(s).get() }

    @Test("reads decimal comma, decimal point and grouping as published")
    func parsing() {
        #expect(parse("162,08") == WrittenNumber(value: ScaledDecimal(micros: 162_080_000), decimals: 2))
        #expect(parse("769.22")?.value == ScaledDecimal(micros: 769_220_000))
        #expect(parse("0,883075") == WrittenNumber(value: ScaledDecimal(micros: 883_075), decimals: 6))
        #expect(parse("127,00")?.decimals == 2)
        #expect(parse("131,5")?.decimals == 1)
        #expect(parse("1.234,5")?.value == ScaledDecimal(micros: 1_234_500_000))
        #expect(parse("1,234.5")?.value == ScaledDecimal(micros: 1_234_500_000))
        #expect(parse(" 940 ")?.value == ScaledDecimal(940))
    }

    @Test("rejects what is not a non-negative number", arguments: [
        ("abc", NumberParseError.notANumber), ("NaN", .notANumber), ("", .notANumber), ("1,2,3", .notANumber),
        ("-5", .negative), ("-0,5", .negative), ("0,1234567", .tooManyDecimals(7)), ("12 điểm", .notANumber),
        ("99999999999999999999", .tooLarge),
    ])
    func rejects(_ text: String, _ error: NumberParseError) {
        #expect(throws: error) { try WrittenNumber.parse(text).get() }
    }

    @Test("rounds half away from zero, like Excel's ROUND")
    func rounding() {
        #expect(ScaledDecimal(micros: 81_831_900).rounded(decimals: 2) == ScaledDecimal(micros: 81_830_000))
        #expect(ScaledDecimal(micros: 1_005_000).rounded(decimals: 2) == ScaledDecimal(micros: 1_010_000))
        #expect(ScaledDecimal(micros: 1_004_999).rounded(decimals: 2) == ScaledDecimal(micros: 1_000_000))
        // Kon Tum: 769.22 / 940 × 100 = 81.8319… → 81.83
        #expect(ScaledDecimal.ratio(parse("769.22")!.value, ScaledDecimal(940), times: 100, decimals: 2) == parse("81.83")!.value)
        // Đăk Tô: 130.42 / 950 × 100 = 13.728… → 13.73
        #expect(ScaledDecimal.ratio(parse("130.42")!.value, ScaledDecimal(950), times: 100, decimals: 2) == parse("13.73")!.value)
    }

    @Test("formats with either separator, trimming zeros only when asked")
    func formatting() {
        let v = ScaledDecimal(micros: 886_000)
        #expect(v.formatted(decimals: 6, separator: ",", trimZeros: true) == "0,886")
        #expect(v.formatted(decimals: 6, separator: ",") == "0,886000")
        #expect(ScaledDecimal(micros: 34_800_000).formatted(decimals: 2, separator: ".") == "34.80")
        #expect(ScaledDecimal(127).formatted(decimals: 0) == "127")
        #expect(ScaledDecimal(micros: 41_560_000).formatted(decimals: 2) == "41,56")
    }

    @Test("mean is exact then rounded once")
    func mean() {
        let values = ["162,08", "157,08", "136,91"].map { parse($0)!.value }
        #expect(ScaledDecimal.mean(values, decimals: 2) == parse("152,02")!.value)
        #expect(ScaledDecimal.mean([], decimals: 2) == nil)
    }
}
