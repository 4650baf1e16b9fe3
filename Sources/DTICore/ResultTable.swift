/// Results already totalled, one row per unit: how a province loads a past
/// year's published table, and what `dti score` hands to ranking.
public struct ResultTable: Sendable {
    /// Names of the extra numeric columns (pillar scores…), in file order.
    public var columnNames: [String]
    public var rows: [ResultRow]

    public init(columnNames: [String] = [], rows: [ResultRow]) {
        self.columnNames = columnNames
        self.rows = rows
    }

    /// Group names in order of first appearance.
    public var groups: [String] { rowsByGroup.map(\.group) }

    /// Row positions of each group, groups in order of first appearance.
    public var rowsByGroup: [(group: String, rows: [Int])] {
        var order: [String] = []
        var slot: [String: Int] = [:]
        var members: [[Int]] = []
        // Rows of a group usually follow each other: remember the last
        // group so that most rows need no hashing of a Vietnamese name.
        var last = -1
        for (i, row) in rows.enumerated() {
            if last < 0 || order[last] != row.group {
                if let known = slot[row.group] {
                    last = known
                } else {
                    last = order.count
                    slot[row.group] = last
                    order.append(row.group)
                    members.append([])
                }
            }
            members[last].append(i)
        }
        return zip(order, members).map { ($0, $1) }
    }
}

/// One unit's row of a result table.
public struct ResultRow: Sendable {
    public var group: String
    public var unit: String
    /// `nil`: the unit did not report ("-").
    public var points: WrittenNumber?
    /// The unit's applicable max, where the table gives one.
    public var maxPoints: ScaledDecimal?
    /// Values of the extra columns, aligned with `ResultTable.columnNames`.
    public var columns: [WrittenNumber?]
    /// As published, kept for audit.
    public var publishedRank: Int?
    public var publishedIndex: WrittenNumber?
    public var publishedBand: String?
    /// Where the row came from, for messages: line and column of each field.
    public var origin: RowOrigin?
    /// An index computed elsewhere at display precision (the weighted method
    /// needs the main indices, which a totals table does not have).
    public var computedIndex: ScaledDecimal?

    public init(
        group: String, unit: String, points: WrittenNumber?, maxPoints: ScaledDecimal? = nil,
        columns: [WrittenNumber?] = [], publishedRank: Int? = nil,
        publishedIndex: WrittenNumber? = nil, publishedBand: String? = nil, origin: RowOrigin? = nil
    ) {
        self.group = group; self.unit = unit; self.points = points; self.maxPoints = maxPoints
        self.columns = columns; self.publishedRank = publishedRank
        self.publishedIndex = publishedIndex; self.publishedBand = publishedBand; self.origin = origin
    }

    public var reported: Bool { points != nil }
}

/// The place of a row in its source file.
public struct RowOrigin: Hashable, Sendable {
    public var file: String
    public var line: Int
    /// 1-based character column of each field, by header name.
    public var columns: [String: Int]

    public init(file: String, line: Int, columns: [String: Int]) {
        self.file = file; self.line = line; self.columns = columns
    }

    /// "file:line:column" for the given field (column 1 when unknown).
    public func location(_ field: String) -> String { "\(file):\(line):\(columns[field] ?? 1)" }
}

/// Whether averages count units that did not report (as 0) or only those that did.
public enum AverageRule: String, Sendable, CaseIterable {
    /// Only units that reported (the usual meaning of an average).
    case reported
    /// Every unit, with non-reporting ones as 0 (Đắk Lắk 2021: 162,33 over 15).
    case all
}

/// How a result table is turned into indices, ranks, bands and statistics.
public struct RankingSettings: Sendable {
    public var method: IndexMethod
    /// The applicable max for rows without their own `max_points`.
    public var defaultMax: ScaledDecimal?
    public var display: DisplayStyle
    public var bands: [Band]
    public var averageOver: AverageRule
    /// k for the top-k versus bottom-k comparison.
    public var topK: Int

    public init(
        method: IndexMethod = .raw, defaultMax: ScaledDecimal? = nil,
        display: DisplayStyle? = nil, bands: [Band] = [], averageOver: AverageRule = .reported, topK: Int = 3
    ) {
        self.method = method
        self.defaultMax = defaultMax
        self.display = display ?? DisplayStyle.default(for: method)
        self.bands = bands
        self.averageOver = averageOver
        self.topK = topK
    }
}
