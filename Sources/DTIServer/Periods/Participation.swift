import DTICore
import Fluent
import Foundation
import SQLKit

/// The units a period covers. A period created since participation was
/// recorded lists its units in `period_units`; an older period (no rows)
/// covers every unit of its frameworks' levels that existed in its year.
enum Participation {
    struct Participant: Sendable {
        var unit: UnitModel
        /// The administrator's reason, when the unit is marked as not reporting.
        var notReporting: String?
    }

    /// Every participating unit of `period`, sorted by group then name.
    static func units(_ period: Period, on db: any Database) async throws -> [Participant] {
        let levels = Set(period.frameworks.map(\.level))
        let rows = try await PeriodUnit.query(on: db).filter(\.$period.$id == period.id!).all()
        var out: [Participant]
        if rows.isEmpty {
            out = try await UnitModel.query(on: db).filter(\.$level ~~ levels).all()
                .filter { $0.exists(in: period.year) }.map { Participant(unit: $0, notReporting: nil) }
        } else {
            let reasons = Dictionary(rows.map { ($0.$unit.id, $0.notReportingReason) }, uniquingKeysWith: { a, _ in a })
            out = try await UnitModel.query(on: db).filter(\.$id ~~ Array(reasons.keys)).all()
                .map { Participant(unit: $0, notReporting: reasons[$0.id!].flatMap { $0.isEmpty ? nil : $0 }) }
        }
        return out.sorted { a, b in
            a.unit.groupName != b.unit.groupName ? a.unit.groupName < b.unit.groupName : VietnameseText.precedes(a.unit.name, b.unit.name)
        }
    }

    /// Whether `unit` takes part in `period`.
    /// One SQL statement (every form view and every save asks this).
    static func includes(_ period: Period, unit: UnitModel, on db: any Database) async throws -> Bool {
        let row = try await db.sql.raw("SELECT \(counts(period: period.id!, unit: "\(bind: unit.id!)"))").first()
        return try includes(period, unit: unit, counts: row)
    }

    /// The two counts `includes` decides on, as SQL select items (`mine`, `listed`), for a
    /// statement that reads the unit too: `unit` is a bound id or a column. `listed` is 0 or 1
    /// (whether the period lists any unit: no count of a 4,000-unit list on every save).
    static func counts(period: UUID, unit: SQLQueryString) -> SQLQueryString {
        """
        (SELECT COUNT(*) FROM period_units WHERE period_id = \(bind: period) AND unit_id = \(unit)) AS mine,
        (SELECT COUNT(*) FROM (SELECT 1 FROM period_units WHERE period_id = \(bind: period) LIMIT 1) AS any_listed) AS listed
        """
    }

    /// `includes` from a row that carries `counts`.
    static func includes(_ period: Period, unit: UnitModel, counts row: (any SQLRow)?) throws -> Bool {
        if try (row?.decode(column: "mine", as: Int.self) ?? 0) > 0 { return true }
        guard try (row?.decode(column: "listed", as: Int.self) ?? 0) == 0 else { return false }
        return period.frameworks.contains { $0.level == unit.level } && unit.exists(in: period.year)
    }

    /// The units an administrator may choose for a period of `year`: those of
    /// the given levels that existed in that year.
    static func eligible(year: Int, levels: Set<String>, on db: any Database) async throws -> [UnitModel] {
        try await UnitModel.query(on: db).filter(\.$level ~~ levels).all().filter { $0.exists(in: year) }
            .sorted { a, b in a.groupName != b.groupName ? a.groupName < b.groupName : VietnameseText.precedes(a.name, b.name) }
    }
}
