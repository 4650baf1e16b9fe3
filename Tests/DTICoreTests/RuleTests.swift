import Testing
@testable import DTICore

@Suite("Scoring rules")
struct RuleTests {
    let max20 = ScaledDecimal(20)
    func d(_ s: String) -> ScaledDecimal { try! WrittenNumber.parse(s).get().value }

    @Test("yes/no gives full points or nothing")
    func yesNo() {
        #expect(Rule.yesNo.evaluate(.yesNo(true), max: max20) == .points(max20))
        #expect(Rule.yesNo.evaluate(.yesNo(false), max: max20) == .points(.zero))
    }

    @Test("tiers: meetings per year 4 → 20, 3 → 15, 2 → 10, 1 → 5, else 0", arguments: [
        (6, 20), (4, 20), (3, 15), (2, 10), (1, 5), (0, 0),
    ])
    func tiers(_ meetings: Int, _ expected: Int) {
        let rule = Rule.tiers([4, 3, 2, 1].map { Tier(atLeast: ScaledDecimal($0), points: ScaledDecimal($0 * 5)) })
        #expect(rule.evaluate(.number(ScaledDecimal(meetings)), max: max20) == .points(ScaledDecimal(expected)))
    }

    @Test("ratio is a ÷ b × max, refuses a > b, and follows the framework on b = 0")
    func ratio() {
        let rule = Rule.ratio(RatioRule(numerator: "a", denominator: "b", whenDenominatorIsZero: .zero))
        #expect(rule.evaluate(.ratio(a: ScaledDecimal(3), b: ScaledDecimal(4)), max: max20) == .points(ScaledDecimal(15)))
        #expect(rule.evaluate(.ratio(a: ScaledDecimal(2), b: ScaledDecimal(3)), max: max20) == .points(d("13,333333")))
        #expect(rule.evaluate(.ratio(a: ScaledDecimal(5), b: ScaledDecimal(4)), max: max20)
                == .invalid(.numeratorAboveDenominator(a: ScaledDecimal(5), b: ScaledDecimal(4))))
        #expect(rule.evaluate(.ratio(a: .zero, b: .zero), max: max20) == .points(.zero))
        let full = Rule.ratio(RatioRule(numerator: "a", denominator: "b", whenDenominatorIsZero: .full))
        #expect(full.evaluate(.ratio(a: .zero, b: .zero), max: max20) == .points(max20))
        let na = Rule.ratio(RatioRule(numerator: "a", denominator: "b", whenDenominatorIsZero: .notApplicable))
        #expect(na.evaluate(.ratio(a: .zero, b: .zero), max: max20) == .notApplicable)
    }

    @Test("choice: chairman → max, deputy → ½ max, none → 0; unknown option refused")
    func choice() {
        let rule = Rule.choice([
            RuleOption(key: "truong", label: "", fraction: ScaledDecimal(1)),
            RuleOption(key: "pho", label: "", fraction: d("0,5")),
            RuleOption(key: "khong", label: "", fraction: .zero),
        ])
        #expect(rule.evaluate(.choice("truong"), max: ScaledDecimal(10)) == .points(ScaledDecimal(10)))
        #expect(rule.evaluate(.choice("pho"), max: ScaledDecimal(10)) == .points(ScaledDecimal(5)))
        #expect(rule.evaluate(.choice("khong"), max: ScaledDecimal(10)) == .points(.zero))
        #expect(rule.evaluate(.choice("chu-tich"), max: ScaledDecimal(10)) == .invalid(.unknownOption("chu-tich", allowed: ["truong", "pho", "khong"])))
    }

    @Test("parts add up, one half each")
    func parts() {
        let rule = Rule.parts([
            RuleOption(key: "a", label: "", fraction: d("0,5")), RuleOption(key: "b", label: "", fraction: d("0,5")),
        ])
        #expect(rule.evaluate(.parts([]), max: ScaledDecimal(10)) == .points(.zero))
        #expect(rule.evaluate(.parts(["b"]), max: ScaledDecimal(10)) == .points(ScaledDecimal(5)))
        #expect(rule.evaluate(.parts(["a", "b"]), max: ScaledDecimal(10)) == .points(ScaledDecimal(10)))
    }

    @Test("capped count: 1 point per item up to the max")
    func cappedCount() {
        let rule = Rule.cappedCount(perItem: ScaledDecimal(1))
        #expect(rule.evaluate(.number(ScaledDecimal(3)), max: ScaledDecimal(5)) == .points(ScaledDecimal(3)))
        #expect(rule.evaluate(.number(ScaledDecimal(9)), max: ScaledDecimal(5)) == .points(ScaledDecimal(5)))
    }

    @Test("manual score within 0…max")
    func manual() {
        let rule = Rule.manual(rubric: nil)
        #expect(rule.evaluate(.manual(d("6,5")), max: ScaledDecimal(10)) == .points(d("6,5")))
        #expect(rule.evaluate(.manual(ScaledDecimal(11)), max: ScaledDecimal(10)) == .invalid(.manualAboveMax(ScaledDecimal(11), max: ScaledDecimal(10))))
    }

    @Test("an answer of the wrong kind is refused, not guessed")
    func wrongKind() {
        #expect(Rule.yesNo.evaluate(.number(ScaledDecimal(1)), max: max20) == .invalid(.wrongInputKind(expected: "có/không")))
    }
}
