import DTIFormats
import Fluent
import Foundation
import Vapor

/// Open data of the reorganisations (issue 31, "Open data"): the lineage
/// links — merges, splits and renames with their dates — of one unit or of a
/// whole province, and a unit's published results over the years as its page
/// shows them (`Scorecard.history`), as JSON and as CSV. Decided over the
/// database's values; the routes are in `UnitController`.
enum LineageData {
    struct UnitRef: Content, Equatable {
        var code: String
        var name: String
        var level: String
        /// The day the unit stopped existing (merged, split or renamed), if it did.
        var validUntil: String?

        init(_ unit: UnitModel) {
            code = unit.code
            name = unit.name
            level = unit.level
            validUntil = unit.validUntil
        }
    }

    struct Link: Content, Equatable {
        var kind: String
        var effectiveOn: String
        var note: String?
        var predecessor: UnitRef
        var successor: UnitRef
    }

    /// One unit: where it came from and what it became.
    struct OfUnit: Content {
        var unit: UnitRef
        var predecessors: [Link]
        var successors: [Link]
    }

    /// Every link of a province (a link with a unit of the province, or the province itself, at either end), or of all.
    struct Mapping: Content {
        var province: UnitRef?
        var links: [Link]
    }

    struct HistoryRow: Content {
        var year: Int
        var periodId: UUID
        var periodTitle: String
        /// The normalised index (0–1), four decimals with a point; nil when there is none.
        var normalised: String?
        /// As the published table writes it.
        var display: String
        /// "rank/units of the group", or "-" (not reported, or a figure of predecessors).
        var rank: String
        /// What the figure is when it is not the unit's own (predecessors' mean, the former district's index…).
        var note: String
        /// The unit whose scorecard the figure comes from (the unit or its one predecessor); nil for a mean.
        var source: String?
        var link: String
    }

    struct History: Content {
        var unit: UnitRef
        var history: [HistoryRow]
    }

    static func unit(_ code: String, on db: any Database) async throws -> UnitModel {
        guard let unit = try await UnitModel.query(on: db).filter(\.$code == code).first() else {
            throw DomainError.notFound("Không có đơn vị mã \"\(code)\".")
        }
        return unit
    }

    /// Links ordered by date, then predecessor and successor code.
    static func links(_ rows: [UnitLineage]) -> [Link] {
        rows.map { Link(kind: $0.kind, effectiveOn: $0.effectiveOn, note: $0.note, predecessor: UnitRef($0.predecessor), successor: UnitRef($0.successor)) }
            .sorted { ($0.effectiveOn, $0.predecessor.code, $0.successor.code) < ($1.effectiveOn, $1.predecessor.code, $1.successor.code) }
    }

    static func ofUnit(_ code: String, on db: any Database) async throws -> OfUnit {
        let unit = try await unit(code, on: db)
        let rows = try await UnitLineage.query(on: db).group(.or) {
            $0.filter(\.$predecessor.$id == unit.id!).filter(\.$successor.$id == unit.id!)
        }.with(\.$predecessor).with(\.$successor).all()
        let all = links(rows)
        return OfUnit(unit: UnitRef(unit), predecessors: all.filter { $0.successor.code == unit.code },
                      successors: all.filter { $0.predecessor.code == unit.code })
    }

    /// The province's whole mapping (`province` a province's code), or every link (nil).
    static func mapping(province code: String?, on db: any Database) async throws -> Mapping {
        let rows = try await UnitLineage.query(on: db).with(\.$predecessor).with(\.$successor).all()
        guard let code else { return Mapping(province: nil, links: links(rows)) }
        let province = try await unit(code, on: db)
        guard province.level == "province" else {
            throw DomainError.invalid("Đơn vị mã \"\(code)\" là \(Levels.label(province.level)), không phải tỉnh, thành phố.")
        }
        // The province's units: every unit whose chain of parents reaches it.
        let units = try await UnitModel.query(on: db).all()
        let parent = Dictionary(uniqueKeysWithValues: units.compactMap { u in u.$parent.id.map { (u.id!, $0) } })
        func inProvince(_ id: UUID) -> Bool {
            var current: UUID? = id, steps = 0
            while let c = current, steps < 16 {
                if c == province.id { return true }
                current = parent[c]
                steps += 1
            }
            return false
        }
        return Mapping(province: UnitRef(province), links: links(rows.filter { inProvince($0.$predecessor.id) || inProvince($0.$successor.id) }))
    }

    static func history(_ code: String, on db: any Database) async throws -> History {
        let unit = try await unit(code, on: db)
        let points = try await Scorecard.history(code: code, on: db)
        let rows = HistoryView(points)
        return History(unit: UnitRef(unit), history: zip(points, rows.rows).map { point, row in
            HistoryRow(year: point.year, periodId: point.periodID, periodTitle: point.periodTitle, normalised: point.normalised?.formatted(decimals: 4, separator: "."),
                       display: point.display, rank: point.rank, note: point.note, source: point.source, link: row.link)
        })
    }

    // MARK: CSV (UTF-8 with a byte-order mark, comma-separated, as the results' exports)

    static func csv(_ links: [Link]) -> String {
        var lines = [["kind", "effective_on", "predecessor_code", "predecessor_name", "predecessor_level", "successor_code", "successor_name",
                      "successor_level", "note"].joined(separator: ",")]
        for l in links {
            lines.append([l.kind, l.effectiveOn, l.predecessor.code, l.predecessor.name, l.predecessor.level, l.successor.code, l.successor.name,
                          l.successor.level, l.note ?? ""].map(ResultsWriter.csvField).joined(separator: ","))
        }
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }

    static func csv(_ history: History) -> String {
        var lines = [["unit_code", "year", "period_id", "period_title", "normalised", "display", "rank", "note", "source", "link"].joined(separator: ",")]
        for r in history.history {
            lines.append([history.unit.code, String(r.year), r.periodId.uuidString, r.periodTitle, r.normalised ?? "", r.display, r.rank, r.note,
                          r.source ?? "", r.link].map(ResultsWriter.csvField).joined(separator: ","))
        }
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }
}
