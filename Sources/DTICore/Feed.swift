import Foundation

/// A data feed (Nguồn dữ liệu): figures measured by a system outside OpenDTI —
/// e.g. the public-service quality index of 766/QĐ-TTg, computed monthly
/// from the national public-service portal — that fill criteria instead of
/// being typed by the unit (issue 33, ADR 0044).
///
/// Feeds are data, like frameworks: read from `feeds/*.yaml`
/// (`opendti.feed/1`, docs/FRAMEWORK-FORMAT.md), never written in code.
public struct Feed: Hashable, Sendable {
    public var key: String
    public var name: String
    public var publisher: String
    public var legalBasis: String
    /// What is real and what is illustrative (the demo's values are generated).
    public var provenance: String?
    public var version: Int
    public var granularity: FeedGranularity
    public var identification: UnitIdentification
    public var fields: [FeedField]
    public var source: FeedSource
    /// A criterion filled from this feed that loses more points than this from
    /// one month to the next is notified to the unit and the administrator.
    public var alertDrop: ScaledDecimal?

    public init(key: String, name: String, publisher: String, legalBasis: String, provenance: String? = nil, version: Int,
                granularity: FeedGranularity, identification: UnitIdentification, fields: [FeedField], source: FeedSource,
                alertDrop: ScaledDecimal? = nil) {
        self.key = key; self.name = name; self.publisher = publisher; self.legalBasis = legalBasis
        self.provenance = provenance; self.version = version; self.granularity = granularity
        self.identification = identification; self.fields = fields; self.source = source; self.alertDrop = alertDrop
    }

    public func field(_ key: String) -> FeedField? { fields.first { $0.key == key } }
}

/// How often a feed's figures are measured.
public enum FeedGranularity: String, Hashable, Sendable, CaseIterable {
    case month, quarter, year

    /// Whether `month` is a month this granularity reports for (a quarter on its last month, a year on December).
    public func accepts(_ month: FeedMonth) -> Bool {
        switch self {
        case .month: return true
        case .quarter: return month.month % 3 == 0
        case .year: return month.month == 12
        }
    }

    public var label: String {
        switch self {
        case .month: return "hằng tháng"
        case .quarter: return "hằng quý (tháng cuối quý)"
        case .year: return "hằng năm (tháng 12)"
        }
    }
}

/// How a feed's rows name their unit.
public enum UnitIdentification: String, Hashable, Sendable {
    /// The official code (mã đơn vị hành chính, mã sở), else the name matched as results tables are.
    case code
    /// The name only, matched as results tables are (diacritics and case folded).
    case name
}

/// One measured figure of a feed.
public struct FeedField: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case number, integer, percent }
    public var key: String
    public var name: String
    public var kind: Kind
    /// The unit of measure as people write it ("điểm", "%", "hồ sơ").
    public var unit: String?
    public var min: ScaledDecimal?
    public var max: ScaledDecimal?

    public init(key: String, name: String, kind: Kind, unit: String? = nil, min: ScaledDecimal? = nil, max: ScaledDecimal? = nil) {
        self.key = key; self.name = name; self.kind = kind; self.unit = unit; self.min = min; self.max = max
    }

    /// "từ 0 đến 18", "đến 100", or empty: the range as the command and the page say it.
    public var rangeText: String {
        [min.map { "từ \($0.vietnamese)" }, max.map { "đến \($0.vietnamese)" }].compactMap { $0 }.joined(separator: " ")
    }

    /// Why `value` cannot be this field's value, if it cannot.
    public func refusal(_ value: ScaledDecimal) -> String? {
        if kind == .integer && value.micros % 1_000_000 != 0 { return "trường \(key) cần số nguyên" }
        let lower = min ?? (kind == .percent ? .zero : nil)
        let upper = max ?? (kind == .percent ? ScaledDecimal(100) : nil)
        if let lower, value < lower { return "giá trị \(value.vietnamese) nhỏ hơn mức thấp nhất \(lower.vietnamese) của trường \(key)" }
        if let upper, value > upper { return "giá trị \(value.vietnamese) lớn hơn mức cao nhất \(upper.vietnamese) của trường \(key)" }
        return nil
    }
}

/// How a feed's data arrives.
public enum FeedSource: Hashable, Sendable {
    /// A file the administrator uploads (CSV, XLSX or JSON).
    case upload
    /// Pulled from an HTTPS address every `everyMinutes`; the token, if any, is read from
    /// the environment variable `tokenVariable` and sent in `header`.
    case pull(Pull)

    public struct Pull: Hashable, Sendable {
        public var url: String
        public var format: FeedDataFormat
        public var everyMinutes: Int
        public var timeoutSeconds: Int
        public var header: String?
        public var tokenVariable: String?
        public init(url: String, format: FeedDataFormat, everyMinutes: Int, timeoutSeconds: Int, header: String? = nil, tokenVariable: String? = nil) {
            self.url = url; self.format = format; self.everyMinutes = everyMinutes; self.timeoutSeconds = timeoutSeconds
            self.header = header; self.tokenVariable = tokenVariable
        }
    }
}

public enum FeedDataFormat: String, Hashable, Sendable { case csv, json, xlsx }

/// A calendar month, the unit of time of every feed value ("2026-03").
public struct FeedMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int

    public init(year: Int, month: Int) { self.year = year; self.month = month }

    /// "2026-03" (also "2026-3"); nil for anything else.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, (1...2).contains(parts[1].count),
              let y = Int(parts[0]), let m = Int(parts[1]), (1900...2200).contains(y), (1...12).contains(m) else { return nil }
        self.init(year: y, month: m)
    }

    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
    /// "03/2026", as the forms say it.
    public var label: String { "\(month < 10 ? "0" : "")\(month)/\(year)" }

    public static func < (a: FeedMonth, b: FeedMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }

    /// The month after this one.
    public var next: FeedMonth { month == 12 ? FeedMonth(year: year + 1, month: 1) : FeedMonth(year: year, month: month + 1) }
}

/// A criterion filled from a feed: its answer is written by ingestion, not typed.
public struct FeedBinding: Hashable, Sendable {
    /// How a criterion's months become one value.
    public enum Combine: String, Hashable, Sendable, CaseIterable {
        /// The latest month known.
        case latest
        /// The mean of the year's months known so far.
        case mean
        /// The sum of the year's months known so far.
        case sum

        public var label: String {
            switch self {
            case .latest: return "tháng gần nhất"
            case .mean: return "trung bình các tháng đã có trong năm"
            case .sum: return "cộng dồn các tháng đã có trong năm"
            }
        }
    }

    public var feed: String
    public var field: String
    public var combine: Combine

    public init(feed: String, field: String, combine: Combine) {
        self.feed = feed; self.field = field; self.combine = combine
    }

    /// The criterion's value from a unit's months of this field in `year`, known as of `asOf`
    /// (inclusive), and the month it is said to be of (the latest used). Nil when no month is known.
    public func value(of months: [FeedMonth: ScaledDecimal], year: Int, asOf: FeedMonth? = nil) -> (value: ScaledDecimal, month: FeedMonth)? {
        let known = months.filter { entry in entry.key.year == year && (asOf.map { entry.key <= $0 } ?? true) }
        guard let last = known.keys.max() else { return nil }
        switch combine {
        case .latest:
            return (known[last]!, last)
        case .sum:
            return (known.values.reduce(ScaledDecimal.zero, +), last)
        case .mean:
            let sum = known.values.reduce(ScaledDecimal.zero, +)
            return (sum.multiplied(by: ScaledDecimal(1), dividedBy: ScaledDecimal(known.count)), last)
        }
    }

    /// The answer `value` gives a criterion with `rule`, read as a typed answer is (a decimal comma):
    /// `dti score` and the server's ingestion fill a criterion the same way.
    public static func answer(_ value: ScaledDecimal, rule: Rule) -> Result<TypedAnswer, AnswerProblem> {
        AnswerParser.parseTyped(rule, value: value.vietnamese, b: "")
    }

    /// `answer(value, rule:)` with the points it stores on a criterion worth `max`, or why the
    /// criterion cannot take it: the ingestion and the monthly index score a feed's value alike.
    public static func scoredAnswer(_ value: ScaledDecimal, rule: Rule, max: ScaledDecimal)
        -> Result<(answer: TypedAnswer, points: Int64), AnswerProblem> {
        answer(value, rule: rule).flatMap { typed in
            rule.evaluate(typed.input, max: max).storedPoints
                .map { (typed, $0) }
                .mapError { AnswerProblem(message: $0.message, field: "value") }
        }
    }

    /// Whether a criterion with `rule` can be filled from a feed: its answer is one number.
    public static func accepts(_ rule: Rule) -> Bool {
        switch rule {
        case .tiers, .cappedCount: return true
        default: return false
        }
    }
}

extension ScaledDecimal {
    /// Exactly as written, with a decimal comma ("15,3"): messages and the forms' automatic values.
    public var vietnamese: String { formatted(decimals: significantDecimals, separator: ",") }
}
