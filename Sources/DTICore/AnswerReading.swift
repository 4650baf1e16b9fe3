import Foundation

/// Reads one answer typed by a person (a web form, an API call, a spreadsheet
/// cell) the way `dti score` reads a CSV cell: same rules, same messages.
public enum AnswerParser {
    static let yes: Set = ["1", "x", "có", "co", "yes", "y", "true", "đạt", "dat"]
    static let no: Set = ["0", "không", "khong", "no", "n", "false", "không đạt", "khong dat"]

    static func number(_ text: String, _ what: String, typed: Bool = false) -> Result<ScaledDecimal, AnswerProblem> {
        switch typed ? WrittenNumber.parseVietnamese(text) : WrittenNumber.parse(text) {
        case .success(let n): return .success(n.value)
        case .failure(let e): return .failure(AnswerProblem(message: "\(what): \(e.message(for: text))", field: "value"))
        }
    }

    /// Reads one answer (value and b already trimmed) as the criterion's rule
    /// needs it: the one reading of an answer, for `dti score`'s CSV, the
    /// server's forms and the official score. `typed`: a person typed it (web
    /// form, API, Excel text cell), so numbers follow the Vietnamese
    /// convention (`WrittenNumber.parseVietnamese`).
    public static func read(_ rule: Rule, value: String, b: String, typed: Bool = false) -> Result<CriterionInput, AnswerProblem> {
        if value.isEmpty, case .ratio = rule {} else if value.isEmpty {
            return .failure(AnswerProblem(message: "cột \"value\" trống; cần \(rule.expectedInput)", field: "value"))
        }
        switch rule {
        case .yesNo:
            if yes.contains(value) { return .success(.yesNo(true)) }
            if no.contains(value) { return .success(.yesNo(false)) }
            let v = VietnameseText.normalized(value.lowercased())
            if yes.contains(v) { return .success(.yesNo(true)) }
            if no.contains(v) { return .success(.yesNo(false)) }
            return .failure(AnswerProblem(message: "\"\(value.excerpt())\" không phải có/không (dùng 1/0, có/không)", field: "value"))
        case .tiers, .cappedCount:
            return number(value, "số đếm", typed: typed).map(CriterionInput.number)
        case .manual:
            return number(value, "điểm chấm", typed: typed).map(CriterionInput.manual)
        case .ratio:
            if value.isEmpty { return .failure(AnswerProblem(message: "cột \"value\" (a) trống; cần hai số a và b", field: "value")) }
            if b.isEmpty { return .failure(AnswerProblem(message: "tiêu chí tính theo tỷ lệ cần cột \"b\" (\(ratioText(rule)))", field: "b")) }
            return number(value, "a", typed: typed).flatMap { a in
                number(b, "b", typed: typed).mapError { AnswerProblem(message: $0.message, field: "b") }.map { CriterionInput.ratio(a: a, b: $0) }
            }
        case .choice:
            return .success(.choice(value))
        case .parts:
            let keys = value == "-" ? [] : value.split(whereSeparator: { $0 == ";" || $0 == "|" || $0 == "+" }).map { String($0).trimmedField }
            return .success(.parts(Set(keys)))
        }
    }

    static func ratioText(_ rule: Rule) -> String {
        if case .ratio(let r) = rule { return "b = \(r.denominator)" }
        return ""
    }

    /// The input for `rule` from a stored answer, or a Vietnamese message.
    public static func parse(_ rule: Rule, value: String, b: String) -> Result<CriterionInput, AnswerProblem> {
        read(rule, value: value.trimmedField, b: b.trimmedField)
    }

    /// What a person typed, read with Vietnamese numbers ("1.200" is one
    /// thousand two hundred, "12,5" twelve and a half, "1.5" refused), with
    /// the value and b to store: numbers rewritten without grouping and with
    /// a decimal comma ("1.200,50" → "1200,50"), which every reader of
    /// stored answers (the server, `dti score` on published inputs) reads
    /// the same way.
    public static func parseTyped(_ rule: Rule, value: String, b: String) -> Result<TypedAnswer, AnswerProblem> {
        let value = value.trimmedField, b = b.trimmedField
        switch read(rule, value: value, b: b, typed: true) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let input):
            func stored(_ text: String) -> String {
                guard case .success(let n) = WrittenNumber.parseVietnamese(text) else { return text }
                return n.value.formatted(decimals: n.decimals, separator: ",")
            }
            switch rule {
            case .tiers, .cappedCount, .manual: return .success(TypedAnswer(input: input, value: stored(value), b: b))
            case .ratio: return .success(TypedAnswer(input: input, value: stored(value), b: stored(b)))
            default: return .success(TypedAnswer(input: input, value: value, b: b))
            }
        }
    }
}

extension AnswerParser {
    /// Whether a stored answer makes its criterion not apply to the unit
    /// ("b = 0" on a ratio the framework calls not applicable), as `dti score`
    /// reads it. The live ranking and the scorecard both ask this.
    public static func answersNotApplicable(_ rule: Rule, max: ScaledDecimal, value: String, b: String) -> Bool {
        guard rule.canBeNotApplicable, case .success(let input) = parse(rule, value: value, b: b) else { return false }
        return rule.evaluate(input, max: max) == .notApplicable
    }
}

/// A typed answer read and ready to store.
public struct TypedAnswer: Sendable {
    public var input: CriterionInput
    /// The value and b as stored.
    public var value: String
    public var b: String
}

public struct AnswerProblem: Error, Sendable {
    public var message: String
    /// `value` or `b`.
    public var field: String
}

extension String {
    /// Trims ASCII spaces and tabs; cheaper than Foundation's trimming for
    /// the common case of a field with nothing to trim.
    public var trimmedField: String {
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09 { return self }
        return trimmingCharacters(in: .whitespaces)
    }
}
