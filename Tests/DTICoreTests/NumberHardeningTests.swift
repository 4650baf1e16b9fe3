import Testing
@testable import DTICore

/// Numbers from people and files: never a trap, Vietnamese where people type.
@Suite("Number parsing: overflow, Vietnamese convention, excerpts")
struct NumberHardeningTests {
    func value(_ r: Result<WrittenNumber, NumberParseError>) -> String? {
        guard case .success(let n) = r else { return nil }
        return n.value.formatted(decimals: n.decimals, separator: ",")
    }

    @Test("values past a trillion are refused as too large instead of overflowing")
    func tooLarge() {
        #expect(WrittenNumber.parse("9223372036854.775808") == .failure(.tooLarge))
        #expect(WrittenNumber.parse("9223372036854,775808") == .failure(.tooLarge))
        #expect(WrittenNumber.parse("99999999999999999999999999") == .failure(.tooLarge))
        #expect(WrittenNumber.parseVietnamese("9.223.372.036.854,775808") == .failure(.tooLarge))
        #expect(value(WrittenNumber.parse("999999999999,999999")) == "999999999999,999999")
        #expect(NumberParseError.tooLarge.message(for: "9223372036854").contains("số quá lớn"))
    }

    @Test("Vietnamese: a comma is the decimal mark, points group thousands in threes, anything else is refused")
    func vietnamese() {
        #expect(value(WrittenNumber.parseVietnamese("1.200")) == "1200")
        #expect(value(WrittenNumber.parseVietnamese("1.200,5")) == "1200,5")
        #expect(value(WrittenNumber.parseVietnamese("12,5")) == "12,5")
        #expect(value(WrittenNumber.parseVietnamese("1.234.567")) == "1234567")
        #expect(value(WrittenNumber.parseVietnamese(" 85 ")) == "85")
        for ambiguous in ["1.5", "1.20", "12.3456", "1.200.5", "1200.5", ".5", "1.", "1..200"] {
            #expect(WrittenNumber.parseVietnamese(ambiguous) == .failure(.pointAsDecimal), "\(ambiguous)")
        }
        #expect(WrittenNumber.parseVietnamese("-1.200") == .failure(.negative))
        #expect(WrittenNumber.parseVietnamese("một.nghìn") == .failure(.notANumber))
        #expect(NumberParseError.pointAsDecimal.message(for: "1.5").contains("phần thập phân viết sau dấu phẩy"))
        // Files read by the command line keep the per-value rule (ADR 0003).
        #expect(value(WrittenNumber.parse("769.22")) == "769,22")
    }

    @Test("a message quotes at most a short excerpt of what was typed")
    func excerpts() {
        let megabyte = String(repeating: "x", count: 1 << 20)
        #expect(NumberParseError.notANumber.message(for: megabyte).count < 100)
        #expect("Krông Pắc".excerpt(limit: 5) == "Krông…")
        #expect("Ea H'leo".excerpt() == "Ea H'leo")
    }

    @Test("products and ratios beyond 64 bits saturate rather than trap")
    func saturation() {
        let big = ScaledDecimal(micros: .max / 2)
        #expect(big.multiplied(by: ScaledDecimal(1000), dividedBy: ScaledDecimal(1)).micros == .max)
        #expect(ScaledDecimal.ratio(big, ScaledDecimal(micros: 1), times: 100, decimals: 2).micros == .max)
        #expect(ScaledDecimal.mean([big, big, big], decimals: 2) != nil)
        #expect(Rule.cappedCount(perItem: ScaledDecimal(10)).evaluate(.number(ScaledDecimal(micros: 999_999_999_999_000_000)), max: ScaledDecimal(5)) == .points(ScaledDecimal(5)))
    }
}
