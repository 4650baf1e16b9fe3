import DTICore
import Testing

/// The official score (issue 30): which of an answer's points count, and when
/// an answer takes its criterion out of the unit's maximum. Hand-computed cases
/// on a framework of three criteria: a yes/no worth 10, a ratio worth 20 whose
/// "b = 0" means not applicable, a ratio worth 30 whose "b = 0" earns 0.
@Suite struct OfficialScoreTests {
    struct Row: ReviewedAnswer {
        var value: String
        var b: String = ""
        var selfPoints: Int64?
        var evaluatorPoints: Int64? = nil
        var councilPoints: Int64? = nil
    }

    static func points(_ n: Int) -> Int64 { Int64(n) * 1_000_000 }

    let fw: CompiledFramework = {
        func ratio(_ zero: RatioRule.ZeroDenominator) -> Rule {
            .ratio(RatioRule(numerator: "hồ sơ trực tuyến", denominator: "hồ sơ", whenDenominatorIsZero: zero))
        }
        let leaves = [
            FrameworkNode(kind: .criterion, code: "1", name: "Có kế hoạch", max: ScaledDecimal(10), rule: .yesNo),
            FrameworkNode(kind: .criterion, code: "2", name: "Tỷ lệ hồ sơ trực tuyến", max: ScaledDecimal(20), rule: ratio(.notApplicable)),
            FrameworkNode(kind: .criterion, code: "3", name: "Tỷ lệ số hóa", max: ScaledDecimal(30), rule: ratio(.zero)),
        ]
        let index = FrameworkNode(kind: .mainIndex, code: "CQS", name: "Chính quyền số", max: ScaledDecimal(60), children: leaves)
        return CompiledFramework(Framework(id: "t", title: "t", level: "department", year: 2026, version: 1,
                                           method: .raw, display: DisplayStyle(decimals: 2), roots: [index]))
    }()
    let unit = AssessedUnit(id: "STC", name: "Sở Tài chính", group: "Sở, ban, ngành")

    @Test("the council's points, else the evaluator's, else the unit's own")
    func stages() {
        let answers = [
            "1": Row(value: "có", selfPoints: Self.points(10), evaluatorPoints: Self.points(5)),
            "2": Row(value: "3", b: "4", selfPoints: Self.points(15), evaluatorPoints: Self.points(10), councilPoints: Self.points(12)),
            "3": Row(value: "1", b: "2", selfPoints: Self.points(15)),
        ]
        let score = OfficialScore.unit(unit, answers: answers, in: fw)
        #expect(score.reported)
        #expect(score.totalPoints == ScaledDecimal(5 + 12 + 15))
        #expect(score.totalApplicableMax == ScaledDecimal(60))
        #expect(answers["2"]!.finalPoints == Self.points(12))
    }

    @Test("b = 0 where the framework says not applicable takes the criterion out of the maximum; where it says 0, the maximum stays")
    func notApplicableByAnswer() {
        let answers = [
            "1": Row(value: "có", selfPoints: Self.points(10)),
            "2": Row(value: "0", b: "0", selfPoints: 0),
            "3": Row(value: "0", b: "0", selfPoints: 0),
        ]
        let score = OfficialScore.unit(unit, answers: answers, in: fw)
        #expect(score.totalPoints == ScaledDecimal(10))
        #expect(score.totalApplicableMax == ScaledDecimal(40))
        #expect(OfficialScore.makesNotApplicable(answers["2"]!, rule: fw.leafRule(1), max: ScaledDecimal(20)))
        #expect(!OfficialScore.makesNotApplicable(answers["3"]!, rule: fw.leafRule(2), max: ScaledDecimal(30)))
    }

    @Test("a reviewer's score on a criterion the answer made not applicable counts, with the maximum")
    func reviewerOverridesNotApplicable() {
        let answers = ["2": Row(value: "0", b: "0", selfPoints: 0, evaluatorPoints: Self.points(8))]
        let score = OfficialScore.unit(unit, answers: answers, in: fw)
        #expect(score.totalPoints == ScaledDecimal(8))
        #expect(score.totalApplicableMax == ScaledDecimal(60))
        #expect(score.unanswered == [0, 2].map { fw.leaves[$0] })
    }

    @Test("an answer nobody scored, or no answer, earns nothing and keeps its maximum; a unit that did not report is not reported")
    func missingAndNotReporting() {
        let score = OfficialScore.unit(unit, answers: ["1": Row(value: "có", selfPoints: nil)], in: fw)
        #expect(score.totalPoints == .zero)
        #expect(score.totalApplicableMax == ScaledDecimal(60))
        #expect(OfficialScore.leaf(Row?.none, rule: fw.leafRule(0), max: ScaledDecimal(10)) == .missing)
        let silent = OfficialScore.notReporting(unit, in: fw)
        #expect(!silent.reported)
        #expect(silent.totalPoints == .zero)
    }

    @Test("an unreadable stored answer never makes a criterion not apply")
    func unreadable() {
        let row = Row(value: "không rõ", b: "", selfPoints: Self.points(3))
        #expect(OfficialScore.leaf(row, rule: fw.leafRule(1), max: ScaledDecimal(20)) == .points(ScaledDecimal(3)))
    }
}
