/// How a criterion's raw data becomes points (Cách xác định và tính điểm).
///
/// Every rule type seen in published Vietnamese DTI frameworks has a case.
/// Points never exceed the criterion's maximum and are exact to the micro-point.
public enum Rule: Hashable, Sendable {
    /// Có/Không: full points or nothing.
    case yesNo
    /// Steps on a count: the points of the first tier whose `atLeast` the
    /// count reaches ("4 meetings → 20, 3 → 15, 2 → 10, 1 → 5, else 0").
    case tiers([Tier])
    /// a ÷ b × max with a ≤ b: "a = meetings chaired, b = all meetings".
    case ratio(RatioRule)
    /// One choice among labelled options, each worth a fraction of the max
    /// ("chairman → max, deputy → ½ max, none → 0").
    case choice([RuleOption])
    /// Several independent conditions, each worth a fraction of the max;
    /// the points of those met are added.
    case parts([RuleOption])
    /// A fixed number of points per item, capped at the max ("1 point per
    /// item up to 5").
    case cappedCount(perItem: ScaledDecimal)
    /// A score the evaluator enters within 0…max, following a rubric.
    case manual(rubric: String?)

    /// The machine name used in framework files.
    public var typeName: String {
        switch self {
        case .yesNo: return "yes_no"
        case .tiers: return "tiers"
        case .ratio: return "ratio"
        case .choice: return "choice"
        case .parts: return "parts"
        case .cappedCount: return "capped_count"
        case .manual: return "manual"
        }
    }
}

/// One step of a `tiers` rule.
public struct Tier: Hashable, Sendable {
    public var atLeast: ScaledDecimal
    public var points: ScaledDecimal
    public init(atLeast: ScaledDecimal, points: ScaledDecimal) {
        self.atLeast = atLeast
        self.points = points
    }
}

/// A labelled option of a `choice` or `parts` rule, worth a fraction of the max.
public struct RuleOption: Hashable, Sendable {
    public var key: String
    public var label: String
    public var fraction: ScaledDecimal
    public init(key: String, label: String, fraction: ScaledDecimal) {
        self.key = key
        self.label = label
        self.fraction = fraction
    }
}

/// The parameters of a `ratio` rule.
public struct RatioRule: Hashable, Sendable {
    /// What a = … counts, in Vietnamese.
    public var numerator: String
    /// What b = … counts, in Vietnamese.
    public var denominator: String
    /// What b = 0 means.
    public var whenDenominatorIsZero: ZeroDenominator

    public init(numerator: String, denominator: String, whenDenominatorIsZero: ZeroDenominator) {
        self.numerator = numerator
        self.denominator = denominator
        self.whenDenominatorIsZero = whenDenominatorIsZero
    }

    /// b = 0: nothing was required. Frameworks differ on what that earns.
    public enum ZeroDenominator: String, Hashable, Sendable {
        case full, zero
        case notApplicable = "not_applicable"
    }
}

/// A unit's raw answer for one criterion.
public enum CriterionInput: Hashable, Sendable {
    case yesNo(Bool)
    /// A count or a measured value (tiers, capped counts).
    case number(ScaledDecimal)
    /// a and b of a ratio.
    case ratio(a: ScaledDecimal, b: ScaledDecimal)
    /// The key of the chosen option.
    case choice(String)
    /// The keys of the conditions met.
    case parts(Set<String>)
    /// A score entered by hand.
    case manual(ScaledDecimal)
}

/// The outcome of applying a rule to an input.
public enum RuleOutcome: Hashable, Sendable {
    case points(ScaledDecimal)
    /// The criterion does not apply (ratio with b = 0 where the framework says so).
    case notApplicable
    case invalid(RuleViolation)
}

extension RuleOutcome {
    /// The unit's own points as an answer row stores them, in millionths: a criterion that does not
    /// apply stores 0 (the maximum leaves it out elsewhere); the violation when the rule refuses the input.
    public var storedPoints: Result<Int64, RuleViolation> {
        switch self {
        case .points(let p): .success(p.micros)
        case .notApplicable: .success(0)
        case .invalid(let violation): .failure(violation)
        }
    }
}

/// Why an input does not fit its criterion's rule.
public enum RuleViolation: Error, Hashable, Sendable {
    case wrongInputKind(expected: String)
    case numeratorAboveDenominator(a: ScaledDecimal, b: ScaledDecimal)
    case unknownOption(String, allowed: [String])
    case manualAboveMax(ScaledDecimal, max: ScaledDecimal)

    /// Vietnamese text for users.
    public var message: String {
        switch self {
        case .wrongInputKind(let expected):
            return "dữ liệu không đúng loại: cần \(expected)"
        case let .numeratorAboveDenominator(a, b):
            return "a = \(a.formatted(decimals: a.significantDecimals)) lớn hơn b = \(b.formatted(decimals: b.significantDecimals)); cần a ≤ b"
        case let .unknownOption(key, allowed):
            return "lựa chọn \"\(key)\" không có trong bộ chỉ số; chọn một trong: \(allowed.joined(separator: "; "))"
        case let .manualAboveMax(value, max):
            return "điểm \(value.formatted(decimals: value.significantDecimals)) vượt điểm tối đa \(max.formatted(decimals: max.significantDecimals))"
        }
    }
}

extension Rule {
    /// Whether any input can make this rule's criterion not apply: only a ratio whose framework
    /// says b = 0 means "not applicable" (`evaluate` answers `.notApplicable` nowhere else). A
    /// reader of many answers asks this before reading one.
    public var canBeNotApplicable: Bool {
        if case .ratio(let rule) = self { return rule.whenDenominatorIsZero == .notApplicable }
        return false
    }

    /// The points `input` earns on a criterion worth `max`.
    public func evaluate(_ input: CriterionInput, max: ScaledDecimal) -> RuleOutcome {
        switch (self, input) {
        case (.yesNo, .yesNo(let yes)):
            return .points(yes ? max : .zero)
        case (.tiers(let tiers), .number(let count)):
            let earned = tiers.first(where: { count >= $0.atLeast })?.points ?? .zero
            return .points(Swift.min(earned, max))
        case let (.ratio(rule), .ratio(a, b)):
            if b.micros == 0 {
                switch rule.whenDenominatorIsZero {
                case .full: return .points(max)
                case .zero: return .points(.zero)
                case .notApplicable: return .notApplicable
                }
            }
            if a > b { return .invalid(.numeratorAboveDenominator(a: a, b: b)) }
            return .points(a.multiplied(by: max, dividedBy: b))
        case let (.choice(options), .choice(key)):
            guard let option = options.first(where: { $0.key == key }) else {
                return .invalid(.unknownOption(key, allowed: options.map { $0.label.isEmpty ? $0.key : "\"\($0.label)\" (\($0.key))" }))
            }
            return .points(option.fraction.multiplied(by: max, dividedBy: ScaledDecimal(1)))
        case let (.parts(options), .parts(keys)):
            var total = ScaledDecimal.zero
            var matched = 0
            for option in options where keys.contains(option.key) {
                total += option.fraction.multiplied(by: max, dividedBy: ScaledDecimal(1))
                matched += 1
            }
            if matched < keys.count, let unknown = keys.sorted().first(where: { key in !options.contains { $0.key == key } }) {
                return .invalid(.unknownOption(unknown, allowed: options.map { $0.label.isEmpty ? $0.key : "\"\($0.label)\" (\($0.key))" }))
            }
            return .points(Swift.min(total, max))
        case let (.cappedCount(perItem), .number(count)):
            return .points(Swift.min(count.multiplied(by: perItem, dividedBy: ScaledDecimal(1)), max))
        case let (.manual, .manual(score)):
            if score > max { return .invalid(.manualAboveMax(score, max: max)) }
            return .points(score)
        default:
            return .invalid(.wrongInputKind(expected: expectedInput))
        }
    }

    /// What kind of answer the rule needs, in Vietnamese.
    public var expectedInput: String {
        switch self {
        case .yesNo: return "có/không"
        case .tiers, .cappedCount: return "một số đếm"
        case .ratio: return "hai số a và b"
        case .choice(let options): return "một lựa chọn (\(options.map(\.key).joined(separator: ", ")))"
        case .parts(let options): return "các điều kiện đạt (\(options.map(\.key).joined(separator: ", ")))"
        case .manual: return "điểm chấm trong khoảng 0…điểm tối đa"
        }
    }
}
