/// A finding of the checks a unit's answers go through before submission.
public struct ValidationFinding: Hashable, Sendable {
    public enum Severity: String, Hashable, Sendable { case error, warning }
    public var severity: Severity
    public var unitID: String
    /// The criterion the finding is about (the left side of a consistency check).
    public var criterion: String
    public var message: String
}

/// The framework's validation rules applied to one unit's answers: input
/// ranges, a ≤ b and valid options (through the rule), and cross-criterion
/// consistency checks.
public enum Validation {
    public static func check(
        _ unit: AssessedUnit, _ responses: UnitResponses, in framework: CompiledFramework
    ) -> [ValidationFinding] {
        var findings: [ValidationFinding] = []
        for position in framework.leaves.indices {
            guard let input = responses.inputs[position] else { continue }
            let max = ScaledDecimal(micros: framework.leafMax[position])
            if case .invalid(let violation) = framework.leafRules[position].evaluate(input, max: max) {
                let code = framework.nodes[framework.leaves[position]].code
                findings.append(ValidationFinding(severity: .error, unitID: unit.id, criterion: code, message: violation.message))
            }
            if let range = framework.leafRanges[position] {
                let code = framework.nodes[framework.leaves[position]].code
                let values: [(String, ScaledDecimal)]
                switch input {
                case let .ratio(a, b): values = [("a = ", a), ("b = ", b)]
                case let .number(v), let .manual(v): values = [("", v)]
                default: values = []
                }
                for (label, v) in values where !range.contains(v) {
                    findings.append(ValidationFinding(
                        severity: .error, unitID: unit.id, criterion: code,
                        message: "giá trị \(label)\(v.formatted(decimals: v.significantDecimals)) ngoài khoảng cho phép \(range.lowerBound.formatted(decimals: range.lowerBound.significantDecimals))…\(range.upperBound.formatted(decimals: range.upperBound.significantDecimals))"))
                }
            }
        }
        for check in framework.framework.checks {
            guard let l = framework.leafByCode[check.left.criterion], let r = framework.leafByCode[check.right.criterion],
                  let li = responses.inputs[l], let ri = responses.inputs[r],
                  let lv = check.left.number(in: li), let rv = check.right.number(in: ri)
            else { continue }
            let holds: Bool
            switch check.comparison {
            case .lessOrEqual: holds = lv <= rv
            case .less: holds = lv < rv
            case .equal: holds = lv == rv
            case .greaterOrEqual: holds = lv >= rv
            case .greater: holds = lv > rv
            }
            if !holds {
                findings.append(ValidationFinding(
                    severity: check.severity == .error ? .error : .warning, unitID: unit.id, criterion: check.left.criterion,
                    message: "\(check.message) (\(check.left) = \(lv.formatted(decimals: lv.significantDecimals)), \(check.right) = \(rv.formatted(decimals: rv.significantDecimals)))"))
            }
        }
        return findings
    }
}
