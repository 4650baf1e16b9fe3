import DTICore
import DTIFormats
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A published ranking too long for one page — a province's communes, a
/// national ranking of 4,000 units — is shown as the list of its groups with
/// a search; each group has its own page, cut into pages of `rowsPerPage`
/// rows (ADR 0025). Every published decision of the seeds is far below
/// `pagedAbove` and stays one page, as the decision prints it.
enum RankingPages {
    /// Records with more units than this are shown group by group.
    static let pagedAbove = 300
    static let rowsPerPage = 300
    /// The most units a search lists; past that the reader is asked to type more.
    static let searchLimit = 100

    static func isPaged(_ sets: [ResultArchive.Loaded]) -> Bool {
        sets.reduce(0) { $0 + $1.results.units.count } > pagedAbove
    }

    /// A group of one of the record's levels, numbered from 1 in page order: its address.
    struct Numbered {
        var number: Int
        var set: ResultArchive.Loaded
        var summary: GroupSummary
        var writer: ResultsWriter
    }

    static func groups(_ sets: [ResultArchive.Loaded]) -> [Numbered] {
        var numbered: [Numbered] = []
        for set in sets {
            let writer = ResultsWriter(set.results)
            for g in set.results.groups { numbered.append(.init(number: numbered.count + 1, set: set, summary: g, writer: writer)) }
        }
        return numbered
    }

    static func pageCount(_ units: Int) -> Int { max(1, (units + rowsPerPage - 1) / rowsPerPage) }

    /// The page of a group that holds its row `position` (from 0).
    static func page(holding position: Int) -> Int { position / rowsPerPage + 1 }

    /// `/results/:id/groups/:n`, with the page and the record version a reader chose.
    static func href(_ periodID: UUID, group: Int, page: Int = 1, version: Int? = nil) -> String {
        let query = [page > 1 ? "page=\(page)" : nil, version.map { "version=\($0)" }].compactMap { $0 }
        return "/results/\(periodID)/groups/\(group)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// The page a request names (`?page=N`), 1 when none; anything else is refused.
    static func requestedPage(_ req: Request) throws -> Int {
        try ResultsController.positiveParameter(req, "page", meaning: "số thứ tự trang của nhóm") ?? 1
    }

    /// The page of its group that shows the unit named `unit` of the level `level`.
    static func href(of unit: String, level: String, in groups: [Numbered], periodID: UUID) -> String? {
        for g in groups where g.set.level == level {
            if let position = g.writer.units(in: g.summary.group).firstIndex(where: { $0.row.unit == unit }) {
                return href(periodID, group: g.number, page: page(holding: position))
            }
        }
        return nil
    }

    /// The overview's table of groups.
    static func links(_ groups: [Numbered], periodID: UUID, version: Int?) -> [ResultsController.PeriodPage.GroupLink] {
        groups.map { g in
            .init(number: g.number, title: g.summary.group, href: href(periodID, group: g.number, version: version), units: g.summary.count,
                  reported: g.summary.reported, average: g.writer.averageText(g.summary), pages: pageCount(g.summary.count))
        }
    }

    /// Unit names' search keys, made once per process: folding the accents of a name costs
    /// tens of microseconds, and a national ranking has thousands of names.
    private static let nameKeys = NIOLockedValueBox<[String: String]>([:])

    /// Units whose name or code contains `query` (accents and case ignored, "krong pac"
    /// finds "Krông Pắc"), in page order, at most `searchLimit`; and how many more matched.
    static func search(_ query: String, in groups: [Numbered], periodID: UUID, version: Int?) -> (found: [ResultsController.PeriodPage.Found], more: Int) {
        let key = VietnameseText.searchKey(query)
        guard !key.isEmpty else { return ([], 0) }
        var found: [ResultsController.PeriodPage.Found] = []
        var more = 0
        var keys = nameKeys.withLockedValue { $0 }
        let known = keys.count
        defer {
            if keys.count > known { nameKeys.withLockedValue { $0 = keys.count > 100_000 ? [:] : keys } }
        }
        for g in groups {
            for (position, unit) in g.writer.units(in: g.summary.group).enumerated() {
                let name = unit.row.unit
                let nameKey = keys[name] ?? VietnameseText.searchKey(name)
                keys[name] = nameKey
                let code = g.set.code(of: name)
                guard nameKey.contains(key) || (code?.lowercased().contains(key) ?? false) else { continue }
                guard found.count < searchLimit else { more += 1; continue }
                found.append(.init(name: unit.row.unit, group: g.summary.group,
                                   groupHref: href(periodID, group: g.number, page: page(holding: position), version: version),
                                   index: unit.display, rank: unit.rankText, band: unit.band ?? "",
                                   href: code.map { "/results/\(periodID)/units/\($0.urlPathEncoded)" }))
            }
        }
        return (found, more)
    }
}

extension ResultsController.PeriodPage.Group {
    /// One group of a level as the pages show it: all its rows, or (`rows`) one page of a long group.
    init(_ set: ResultArchive.Loaded, writer: ResultsWriter, group g: GroupSummary, periodID: UUID, places: MapPlaces, rows: Range<Int>? = nil) {
        let (header, all, summary) = writer.grid(g.group)
        let members = writer.units(in: g.group)
        let range = rows ?? all.indices
        let shown = Array(members[range])
        let cells = all[range].enumerated().map { i, row in
            row.enumerated().map { c, text in
                ResultsController.PeriodPage.Cell(text: text, link: c == 1 ? set.code(of: shown[i].row.unit).map { "/results/\(periodID)/units/\($0.urlPathEncoded)" } : nil)
            }
        }
        let part = range == all.indices ? "" : " (hàng \(range.lowerBound + 1)–\(range.upperBound))"
        self.init(title: g.group, header: header, rows: cells,
                  summary: summary.map { $0 + Array(repeating: "", count: Swift.max(0, header.count - $0.count)) },
                  notes: writer.notes(g), chart: ResultExports.groupChart(shown, title: "\(g.group): \(writer.indexHeader)" + part),
                  map: ResultExports.groupMap(set, members: shown, places: places, group: g.group + part),
                  robustness: RobustnessView(set, group: g.group, shown: shown))
    }
}
