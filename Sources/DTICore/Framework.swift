import Foundation

/// A versioned indicator set (Bộ chỉ số) for one level and year.
///
/// Frameworks are data: they are read from files under `frameworks/` and never
/// written in code. The tree is pillar/group → main index → component →
/// criterion → sub-criterion; any node without children carries a scoring rule.
public struct Framework: Hashable, Sendable {
    public var id: String
    public var title: String
    /// `department`, `district`, `commune` or `province`.
    public var level: String
    public var year: Int
    public var version: Int
    /// The legal source, e.g. "2534/QĐ-UBND ngày 11/11/2022".
    public var source: String?
    /// What is and is not known of the real framework: OpenDTI never presents
    /// an invented criterion as real.
    public var provenance: String?
    public var method: IndexMethod
    public var display: DisplayStyle
    public var bands: [Band]
    /// Edges (percent of a main index's max) for grouping units per main index
    /// in reports ("đạt điểm tối đa", "từ 80 đến dưới 100"…).
    public var distributionEdges: [ScaledDecimal]
    public var roots: [FrameworkNode]
    public var checks: [ConsistencyCheck]

    public init(
        id: String, title: String, level: String, year: Int, version: Int,
        source: String? = nil, provenance: String? = nil,
        method: IndexMethod, display: DisplayStyle, bands: [Band] = [],
        distributionEdges: [ScaledDecimal] = [ScaledDecimal(80), ScaledDecimal(50)],
        roots: [FrameworkNode], checks: [ConsistencyCheck] = []
    ) {
        self.id = id; self.title = title; self.level = level; self.year = year
        self.version = version; self.source = source; self.provenance = provenance
        self.method = method; self.display = display; self.bands = bands
        self.distributionEdges = distributionEdges; self.roots = roots; self.checks = checks
    }

    /// The framework's full maximum: the sum of its roots.
    public var maxPoints: ScaledDecimal { roots.reduce(.zero) { $0 + $1.max } }

    /// Every node, depth first, parents before children.
    public var allNodes: [FrameworkNode] {
        var out: [FrameworkNode] = []
        func walk(_ n: FrameworkNode) { out.append(n); n.children.forEach(walk) }
        roots.forEach(walk)
        return out
    }
}

/// The kind of a framework node.
public enum NodeKind: String, Hashable, Sendable, CaseIterable {
    /// Trụ cột (Chính quyền số, Kinh tế số, Xã hội số).
    case pillar
    /// Nhóm chỉ số (nền tảng chung, hoạt động).
    case group
    /// Chỉ số chính.
    case mainIndex = "index"
    /// Chỉ số thành phần.
    case component
    /// Tiêu chí / tiêu chí con.
    case criterion

    /// Vietnamese name.
    public var label: String {
        switch self {
        case .pillar: return "Trụ cột"
        case .group: return "Nhóm chỉ số"
        case .mainIndex: return "Chỉ số chính"
        case .component: return "Chỉ số thành phần"
        case .criterion: return "Tiêu chí"
        }
    }
}

/// One node of a framework tree.
public struct FrameworkNode: Hashable, Sendable {
    public var kind: NodeKind
    public var code: String
    public var name: String
    public var max: ScaledDecimal
    /// Weight of a main index in the national weighted method; `nil` means
    /// its max divided by the framework max.
    public var weight: ScaledDecimal?
    /// The scoring rule of a leaf.
    public var rule: Rule?
    public var evidence: String?
    public var dataSource: String?
    public var verifyingUnit: String?
    public var applicability: Applicability
    /// Bounds on the raw input, checked before submission.
    public var inputRange: ClosedRange<ScaledDecimal>?
    public var note: String?
    /// A leaf filled from a data feed: its answer is written by ingestion, not typed (issue 33).
    public var feed: FeedBinding?
    public var children: [FrameworkNode]

    public init(
        kind: NodeKind, code: String, name: String, max: ScaledDecimal,
        weight: ScaledDecimal? = nil, rule: Rule? = nil, evidence: String? = nil,
        dataSource: String? = nil, verifyingUnit: String? = nil,
        applicability: Applicability = .always, inputRange: ClosedRange<ScaledDecimal>? = nil,
        note: String? = nil, feed: FeedBinding? = nil, children: [FrameworkNode] = []
    ) {
        self.kind = kind; self.code = code; self.name = name; self.max = max
        self.weight = weight; self.rule = rule; self.evidence = evidence
        self.dataSource = dataSource; self.verifyingUnit = verifyingUnit
        self.applicability = applicability; self.inputRange = inputRange
        self.note = note; self.feed = feed; self.children = children
    }

    public var isLeaf: Bool { children.isEmpty }
}

/// When a criterion counts toward a unit's applicable max.
public struct Applicability: Hashable, Sendable {
    /// The criterion does not apply to units carrying any of these tags
    /// (e.g. `no-online-public-services`).
    public var exceptTags: Set<String>
    /// The province has not deployed what the criterion measures this year:
    /// removed from every unit's max (Kon Tum 2022).
    public var notDeployed: Bool

    public init(exceptTags: Set<String> = [], notDeployed: Bool = false) {
        self.exceptTags = exceptTags
        self.notDeployed = notDeployed
    }

    public static let always = Applicability()

    public func applies(toUnitTagged tags: Set<String>) -> Bool {
        !notDeployed && exceptTags.isDisjoint(with: tags)
    }
}

/// How a unit's points become its published index.
public enum IndexMethod: String, Hashable, Sendable, CaseIterable {
    /// Raw points (Đắk Lắk 2021: 162,08).
    case raw
    /// Points ÷ applicable max (Đắk Lắk 2023: 0,91507).
    case fraction
    /// Points ÷ applicable max × 100 (Kon Tum 2022: 81.83).
    case percent
    /// Σ over main indices of points ÷ max × weight (922/QĐ-BTTTT: 0.8002).
    case weighted

    /// Vietnamese description for the public methodology.
    public var label: String {
        switch self {
        case .raw: return "Tổng điểm đạt được"
        case .fraction: return "Tỷ lệ điểm đạt được trên điểm tối đa áp dụng"
        case .percent: return "% điểm đạt được so với điểm tối đa áp dụng"
        case .weighted: return "Tổng có trọng số của tỷ lệ điểm từng chỉ số chính"
        }
    }
}

/// How numbers are printed in a report.
public struct DisplayStyle: Hashable, Sendable {
    /// Fractional digits; `nil` keeps each number as it was written (legacy tables).
    public var decimals: Int?
    /// Drop trailing zeros ("0,886" for 0,886000).
    public var trimZeros: Bool
    /// The decimal separator: "," (Đắk Lắk) or "." (Kon Tum).
    public var separator: Character

    public init(decimals: Int?, trimZeros: Bool = false, separator: Character = ",") {
        self.decimals = decimals
        self.trimZeros = trimZeros
        self.separator = separator
    }

    /// The usual style of each method when a framework or command says nothing.
    public static func `default`(for method: IndexMethod) -> DisplayStyle {
        switch method {
        case .raw: return DisplayStyle(decimals: 2)
        case .fraction: return DisplayStyle(decimals: 6, trimZeros: true)
        case .percent: return DisplayStyle(decimals: 2)
        case .weighted: return DisplayStyle(decimals: 4)
        }
    }
}

/// A classification band (Xếp loại): units whose index reaches `minPercent`
/// of the applicable max, and no higher band, get `name`.
public struct Band: Hashable, Sendable {
    public var name: String
    public var minPercent: ScaledDecimal
    public init(name: String, minPercent: ScaledDecimal) {
        self.name = name
        self.minPercent = minPercent
    }
}

/// A cross-criterion consistency rule from the framework, e.g. "meetings
/// chaired by the chairman (1.2 a) cannot exceed meetings held (1.1)".
public struct ConsistencyCheck: Hashable, Sendable {
    public enum Comparison: String, Hashable, Sendable, CaseIterable {
        case lessOrEqual = "<=", less = "<", equal = "==", greaterOrEqual = ">=", greater = ">"
    }
    public enum Severity: String, Hashable, Sendable { case error, warning }

    public var left: InputReference
    public var comparison: Comparison
    public var right: InputReference
    public var severity: Severity
    public var message: String

    public init(left: InputReference, comparison: Comparison, right: InputReference, severity: Severity, message: String) {
        self.left = left; self.comparison = comparison; self.right = right
        self.severity = severity; self.message = message
    }
}

/// A number taken from one criterion's input: `1.1` (its value), `1.2.a`, `1.2.b`.
public struct InputReference: Hashable, Sendable, CustomStringConvertible {
    public enum Field: String, Hashable, Sendable { case value, a, b }
    public var criterion: String
    public var field: Field

    public init(criterion: String, field: Field) {
        self.criterion = criterion
        self.field = field
    }

    /// Parses "1.2.a", "1.2.b" or "1.1".
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix(".a") || t.hasSuffix(".b") {
            self.criterion = String(t.dropLast(2))
            self.field = t.hasSuffix(".a") ? .a : .b
        } else {
            self.criterion = t
            self.field = .value
        }
        if criterion.isEmpty { return nil }
    }

    public var description: String { field == .value ? criterion : "\(criterion).\(field.rawValue)" }

    /// The number this reference reads from an input, if it has one.
    public func number(in input: CriterionInput) -> ScaledDecimal? {
        switch (field, input) {
        case (.value, .number(let v)), (.value, .manual(let v)), (.a, .number(let v)): return v
        case (.value, .ratio(let a, _)), (.a, .ratio(let a, _)): return a
        case (.b, .ratio(_, let b)): return b
        case (.value, .yesNo(let yes)): return yes ? ScaledDecimal(1) : .zero
        default: return nil
        }
    }
}
