import DTICore
import Fluent
import Foundation

/// Each unit's index month by month while its period runs (issue 33, ADR 0045).
/// DTICore's `IndexTrend` computes a month from what was known at its end; this
/// reads what it needs and keeps every month once it is over (`index_months`):
/// a month is computed the first time it is asked for after it ended, for one
/// unit (its page) or a whole level (the board's movers), and never again. The
/// month under way is computed from the answers as they stand, never kept.
enum IndexTrendService {
    struct Point: Sendable {
        var month: FeedMonth
        var index: ScaledDecimal?
        /// The month is under way: the figure is as of now.
        var live: Bool
        /// Against the month before, when both have an index.
        var change: ScaledDecimal?
    }

    /// The month `now` falls in, in Việt Nam.
    static func month(of now: Date) -> FeedMonth {
        FeedMonth(String(DateText.todayISO(now).prefix(7)))!
    }

    /// What one level's months are computed from.
    struct Inputs {
        var framework: CompiledFramework
        var current: [UUID: [String: IndexTrend.Answer]] = [:]
        var changes: [UUID: [IndexTrend.Change]] = [:]
        var feedMonths: [UUID: [String: [FeedMonth: ScaledDecimal]]] = [:]

        func index(_ unit: UnitModel, month: FeedMonth, live: Bool) -> ScaledDecimal? {
            let id = unit.id!
            let months = feedMonths[id] ?? [:]
            if live { return IndexTrend.index(unit.assessed, answers: IndexTrend.withFeeds(current[id] ?? [:], months: months, asOf: month, in: framework), in: framework) }
            return IndexTrend.index(unit.assessed, current: current[id] ?? [:], changes: changes[id] ?? [], feedMonths: months, month: month, in: framework)
        }
    }

    /// The months of the units' fields that the framework's criteria are filled from, by unit and criterion.
    static func feedMonths(_ fw: CompiledFramework, units: [UUID], on db: any Database) async throws -> [UUID: [String: [FeedMonth: ScaledDecimal]]] {
        var criteria: [String: [String: [String]]] = [:]  // feed → field → criteria
        for position in fw.leaves {
            let node = fw.nodes[position]
            if let binding = node.feed { criteria[binding.feed, default: [:]][binding.field, default: []].append(node.code) }
        }
        guard !criteria.isEmpty, !units.isEmpty else { return [:] }
        let store = try FeedStore(db)
        var out: [UUID: [String: [FeedMonth: ScaledDecimal]]] = [:]
        for (feed, fields) in criteria {
            for v in try await store.current(feed: feed, units: units, months: nil) {
                guard let codes = fields[v.field], let month = FeedMonth(v.month), month.year == fw.framework.year,
                      let value = FeedIngestion.decimal(v.value) else { continue }
                for code in codes { out[v.unit_id, default: [:]][code, default: [:]][month] = value }
            }
        }
        return out
    }

    /// The unit's months of the period's year up to now, each with its index; past months kept.
    static func unit(_ a: SelfAssessment, on db: any Database, now: Date) async throws -> [Point] {
        let fw = a.framework
        let current = month(of: now)
        let months = IndexTrend.months(of: fw.framework.year, through: current)
        guard !months.isEmpty, let periodID = a.period.id, let unitID = a.unit.id else { return [] }
        let store = try IndexTrendStore(db)
        let past = months.filter { $0 < current }.map(\.description)
        var indexes: [FeedMonth: ScaledDecimal?] = [:]
        for k in try await store.kept(period: periodID, units: [unitID], months: past) {
            indexes[FeedMonth(k.month)!] = .some(k.index_value.flatMap(FeedIngestion.decimal))
        }
        let missing = months.filter { $0 < current && indexes[$0] == nil }
        var inputs = Inputs(framework: fw)
        inputs.current[unitID] = a.answers.mapValues {
            IndexTrend.Answer(value: $0.value, b: $0.b, selfPoints: $0.selfPoints, evaluatorPoints: $0.evaluatorPoints, councilPoints: $0.councilPoints)
        }
        inputs.feedMonths = try await feedMonths(fw, units: [unitID], on: db)
        if let first = missing.first, let submission = a.submission?.id {
            inputs.changes[unitID] = try await store.changes(period: periodID, submissions: [submission], after: IndexTrend.end(of: first)).map(\.change)
        }
        var computed: [(unit: UUID, month: String, index: ScaledDecimal?)] = []
        for m in missing {
            let index = inputs.index(a.unit, month: m, live: false)
            indexes[m] = .some(index)
            computed.append((unitID, m.description, index))
        }
        if !computed.isEmpty { try await store.keep(period: periodID, computed, at: now) }
        if months.last == current { indexes[current] = .some(inputs.index(a.unit, month: current, live: true)) }
        var out: [Point] = []
        for m in months {
            let index = indexes[m] ?? nil
            let before = out.last?.index
            out.append(Point(month: m, index: index, live: m == current, change: index.flatMap { i in before.map { i - $0 } }))
        }
        return out
    }

    /// One unit's change over the last complete month.
    struct Mover: Sendable {
        var unit: UnitModel
        var from: ScaledDecimal
        var to: ScaledDecimal
        var change: ScaledDecimal { to - from }
    }

    /// For each level of `period`, the units whose index rose and fell most over the last complete month
    /// (`count` each way), with that month; the two months' indexes of every unit kept.
    static func movers(_ period: Period, on db: any Database, now: Date, count: Int = 5)
        async throws -> (month: FeedMonth, previous: FeedMonth, levels: [(level: String, rising: [Mover], falling: [Mover])])? {
        let current = month(of: now)
        let last = current.month == 1 ? FeedMonth(year: current.year - 1, month: 12) : FeedMonth(year: current.year, month: current.month - 1)
        guard last.year == period.year, last.month > 1, let periodID = period.id else { return nil }
        let previous = FeedMonth(year: last.year, month: last.month - 1)
        let participants = try await Participation.units(period, on: db).filter { $0.notReporting == nil }
        let store = try IndexTrendStore(db)
        var kept: [UUID: [FeedMonth: ScaledDecimal?]] = [:]
        for k in try await store.kept(period: periodID, units: nil, months: [previous.description, last.description]) {
            kept[k.unit_id, default: [:]][FeedMonth(k.month)!] = .some(k.index_value.flatMap(FeedIngestion.decimal))
        }
        // The period's answers and the changes after `previous` ended, by unit: read and grouped once, for every level that needs them.
        var byUnit: (current: [UUID: [String: IndexTrend.Answer]], changes: [UUID: [IndexTrend.Change]])?
        var levels: [(String, [Mover], [Mover])] = []
        for link in period.frameworks.sorted(by: { $0.level < $1.level }) {
            let fw = try FrameworkCatalog.compiled(link.frameworkVersion)
            guard fw.framework.year == period.year else { continue }
            let units = participants.map(\.unit).filter { $0.level == link.level }
            let missing = units.filter { kept[$0.id!]?[previous] == nil || kept[$0.id!]?[last] == nil }
            if !missing.isEmpty {
                if byUnit == nil { byUnit = try await store.answersByUnit(period: periodID, changedAfter: IndexTrend.end(of: previous)) }
                var inputs = Inputs(framework: fw, current: byUnit!.current, changes: byUnit!.changes)
                inputs.feedMonths = try await feedMonths(fw, units: missing.map { $0.id! }, on: db)
                var computed: [(unit: UUID, month: String, index: ScaledDecimal?)] = []
                for unit in missing {
                    for m in [previous, last] where kept[unit.id!]?[m] == nil {
                        let index = inputs.index(unit, month: m, live: false)
                        kept[unit.id!, default: [:]][m] = .some(index)
                        computed.append((unit.id!, m.description, index))
                    }
                }
                try await store.keep(period: periodID, computed, at: now)
            }
            let moved = units.compactMap { unit -> Mover? in
                guard let from = kept[unit.id!]?[previous] ?? nil, let to = kept[unit.id!]?[last] ?? nil else { return nil }
                return Mover(unit: unit, from: from, to: to)
            }
            let rising = moved.filter { $0.change > .zero }.sorted { ($0.change, $1.unit.name) > ($1.change, $0.unit.name) }.prefix(count)
            let falling = moved.filter { $0.change < .zero }.sorted { ($0.change, $0.unit.name) < ($1.change, $1.unit.name) }.prefix(count)
            levels.append((link.level, Array(rising), Array(falling)))
        }
        return (last, previous, levels)
    }
}
