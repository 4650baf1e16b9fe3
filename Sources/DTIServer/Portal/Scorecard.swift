import DTICore
import DTIFormats
import Fluent
import Foundation

/// One unit's published results: its place, each pillar or main index against
/// its maximum and the group average, where it lost points, the rank it
/// would reach by earning them back, and its history across periods.
struct Scorecard {
    struct Part { var name: String; var value: ScaledDecimal?; var average: ScaledDecimal?; var max: ScaledDecimal?; var decimals: Int }
    struct Loss { var code: String; var name: String; var lost: ScaledDecimal; var max: ScaledDecimal }
    struct Criterion: Encodable { var code: String; var name: String; var max: String; var selfPoints: String; var evaluator: String; var council: String; var final: String }
    struct HistoryPoint { var year: Int; var periodTitle: String; var periodID: UUID; var normalised: ScaledDecimal?; var display: String; var rank: String; var note: String
        /// The scorecard the figure comes from (the unit's, or its one predecessor's); nil for a mean.
        var source: String? }
    struct WhatIf { var gained: ScaledDecimal; var display: String; var rank: Int; var items: [String] }

    var unitName: String
    var code: String
    var group: String
    var display: String
    var rank: Int
    var groupSize: Int
    var band: String?
    var reported: Bool
    var parts: [Part]
    var losses: [Loss]
    var criteria: [Criterion]
    var whatIf: WhatIf?
    var history: [HistoryPoint]
    var loaded: ResultArchive.Loaded

    static func build(period: Period, code: String, sets: [ResultArchive.Loaded], on db: any Database) async throws -> Scorecard? {
        guard let loaded = sets.first(where: { $0.unit(code) != nil }), let unit = loaded.unit(code) else { return nil }
        let r = loaded.results
        let g = r.groups.first { $0.group == unit.row.group }
        let members = r.units.filter { $0.row.group == unit.row.group }
        var parts: [Part] = []
        for (c, column) in r.columnNames.enumerated() {
            parts.append(Part(name: column, value: unit.row.columns[c]?.value, average: g?.columnAverages[c] ?? nil,
                              max: loaded.manifest.maximum(of: column), decimals: g?.columnDecimals[safe: c] ?? 2))
        }
        // Where the points were lost: criteria where the published inputs are kept, else pillars with a known maximum.
        var losses: [Loss] = []
        var criteria: [Criterion] = []
        // The snapshot is read typed: every score an exact decimal, never a Double.
        if !period.resultsOnly, let snapshot = try await PublishedSnapshot.query(on: db).filter(\.$period.$id == period.id!).first(),
           let json = try? JSONValue.parse([UInt8](snapshot.content.utf8)),
           let mine = json["units"]?.array?.first(where: { $0["code"]?.string == code }),
           let link = period.frameworks.first(where: { $0.level == loaded.level }) {
            let fw = try FrameworkCatalog.compiled(link.frameworkVersion)
            let answers = Dictionary((mine["answers"]?.array ?? []).compactMap { a in a["criterion"]?.string.map { ($0, PublishedAnswer(a)) } },
                                     uniquingKeysWith: { a, _ in a })
            let tags = Set(try await UnitModel.query(on: db).filter(\.$code == code).first()?.tagList ?? [])
            for (position, leaf) in fw.leaves.enumerated() {
                let node = fw.nodes[leaf]
                let a = answers[node.code]
                // A criterion that does not apply to the unit (by its tags, or by its answer:
                // OfficialScore's rule) is shown but loses nothing.
                var applies = node.applicability.applies(toUnitTagged: tags)
                if applies, let a, OfficialScore.makesNotApplicable(a, rule: fw.leafRule(position), max: node.max) { applies = false }
                criteria.append(Criterion(code: node.code, name: node.name, max: applies ? FrameworkCatalog.text(node.max) : "không áp dụng",
                                          selfPoints: PointsText.points(a?.selfPoints), evaluator: PointsText.points(a?.evaluatorPoints),
                                          council: PointsText.points(a?.councilPoints), final: PointsText.points(a?.finalPoints)))
                guard applies else { continue }
                let final = ScaledDecimal(micros: a?.finalPoints ?? 0)
                if node.max > final { losses.append(Loss(code: node.code, name: node.name, lost: node.max - final, max: node.max)) }
            }
        } else {
            for part in parts {
                guard let max = part.max, let value = part.value, max > value else { continue }
                losses.append(Loss(code: part.name, name: part.name, lost: max - value, max: max))
            }
        }
        losses.sort { $0.lost > $1.lost }
        // What if the unit earned back the points of its three largest losses?
        var whatIf: WhatIf?
        if unit.row.reported, !losses.isEmpty, let points = unit.row.points, let i = loaded.table.rows.firstIndex(where: { $0.unit == unit.row.unit }) {
            let top = Array(losses.prefix(3))
            let gained = top.reduce(ScaledDecimal.zero) { $0 + $1.lost }
            var table = loaded.table
            table.rows[i].points = WrittenNumber(value: points.value + gained, decimals: points.decimals)
            let again = table.ranked(under: r.settings)
            if let moved = again.units.first(where: { $0.row.unit == unit.row.unit }) {
                whatIf = WhatIf(gained: gained, display: moved.display, rank: moved.rank, items: top.map(\.code))
            }
        }
        return Scorecard(unitName: unit.row.unit, code: code, group: unit.row.group, display: unit.display, rank: unit.rank,
                         groupSize: members.count, band: unit.band, reported: unit.row.reported, parts: parts, losses: losses,
                         criteria: criteria, whatIf: whatIf, history: try await history(code: code, on: db), loaded: loaded)
    }

    /// The unit across every published period, by normalised index. Where a
    /// period predates a reorganisation, the figure comes through the
    /// lineage and says exactly what it is: the mean of the predecessors of
    /// the unit's own level that were assessed (merged sở, the communes a
    /// commune was formed from), else the index of the former larger unit
    /// the unit lay in (the district a commune was part of before 1 July
    /// 2025) — never the unit's own result.
    static func history(code: String, on db: any Database) async throws -> [HistoryPoint] {
        var own: [UnitModel] = [], wider: [UnitModel] = [], since = ""
        if let unit = try await UnitModel.query(on: db).filter(\.$code == code).first() {
            let links = try await UnitLineage.query(on: db).filter(\.$successor.$id == unit.id!).with(\.$predecessor).all()
            var seen = Set<UUID>()
            for link in links.sorted(by: { VietnameseText.precedes($0.predecessor.name, $1.predecessor.name) }) where seen.insert(link.predecessor.id!).inserted {
                if link.predecessor.level == unit.level { own.append(link.predecessor) } else { wider.append(link.predecessor) }
                since = max(since, link.effectiveOn)
            }
        }
        let date = since.isEmpty ? "" : " trước \(DateText.display(since))"
        var points: [HistoryPoint] = []
        for period in try await ResultArchive.publishedPeriods(on: db) {
            let sets = try await ResultArchive.load(period, on: db)
            if let set = sets.first(where: { $0.unit(code) != nil }), let u = set.unit(code) {
                points.append(HistoryPoint(year: period.year, periodTitle: period.title, periodID: period.id!, normalised: NormalisedIndex.of(u, under: set.results.settings),
                                           display: u.display, rank: u.row.reported ? "\(u.rank)/\(set.results.units.filter { $0.row.group == u.row.group }.count)" : "-",
                                           note: u.row.reported ? "" : "không báo cáo", source: code))
                continue
            }
            func found(_ units: [UnitModel]) -> [(name: String, code: String, index: ScaledDecimal, display: String)] {
                units.compactMap { p in
                    guard let set = sets.first(where: { $0.unit(p.code) != nil }), let u = set.unit(p.code),
                          let index = NormalisedIndex.of(u, under: set.results.settings) else { return nil }
                    return (p.name, p.code, index, u.display)
                }
            }
            let peers = found(own), larger = found(wider)
            let (figures, note): ([(name: String, code: String, index: ScaledDecimal, display: String)], String)
            if !peers.isEmpty {
                (figures, note) = (peers, peers.count == 1 ? "chỉ số của đơn vị tiền thân \(peers[0].name)"
                                   : "trung bình \(peers.count) đơn vị tiền thân: " + peers.map(\.name).joined(separator: "; "))
            } else if !larger.isEmpty {
                (figures, note) = (larger, larger.count == 1 ? "chỉ số của \(larger[0].name), nơi đơn vị thuộc về\(date) (không phải chỉ số riêng của đơn vị)"
                                   : "trung bình chỉ số của \(larger.count) đơn vị cũ có địa bàn nay thuộc đơn vị: " + larger.map(\.name).joined(separator: "; "))
            } else { continue }
            let avg = NormalisedIndex.predecessorsMean(figures.map(\.index))
            points.append(HistoryPoint(year: period.year, periodTitle: period.title, periodID: period.id!, normalised: avg,
                                       display: figures.count == 1 ? figures[0].display : avg.map { $0.formatted(decimals: 4, separator: ",") } ?? "-", rank: "-", note: note,
                                       source: figures.count == 1 ? figures[0].code : nil))
        }
        return points.sorted { $0.year < $1.year }
    }
}

/// The "Qua các năm" table and chart, as the scorecard and the unit's page show them.
struct HistoryView: Encodable {
    struct Row: Encodable { var year: Int; var title: String; var link: String; var normalised: String; var display: String; var rank: String; var note: String }
    var rows: [Row]
    var chart: String?

    init(_ points: [Scorecard.HistoryPoint]) {
        rows = points.map {
            Row(year: $0.year, title: $0.periodTitle,
                link: "/results/\($0.periodID)" + ($0.source.map { "/units/\($0.urlPathEncoded)" } ?? ""),
                normalised: $0.normalised.map { $0.formatted(decimals: 4, separator: ",") } ?? "-", display: $0.display, rank: $0.rank, note: $0.note)
        }
        chart = points.contains { $0.normalised != nil }
            ? SVGChart.bars(points.map { SVGChart.Bar(label: "\($0.year)", value: $0.normalised ?? .zero,
                                                      text: $0.normalised.map { $0.formatted(decimals: 4, separator: ",") } ?? "-") },
                            max: ScaledDecimal(1), title: "Chỉ số chuẩn hóa (0–1) qua các năm") : nil
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

/// An answer as the published inputs snapshot keeps it, read typed (exact
/// decimals), so that OfficialScore judges it as it judged the stored row.
struct PublishedAnswer: ReviewedAnswer {
    var value: String
    var b: String
    var selfPoints: Int64?
    var evaluatorPoints: Int64?
    var councilPoints: Int64?

    init(_ json: JSONValue) {
        value = json["value"]?.string ?? ""
        b = json["b"]?.string ?? ""
        selfPoints = json["self"]?.decimal?.micros
        evaluatorPoints = json["evaluator"]?.decimal?.micros
        councilPoints = json["council"]?.decimal?.micros
    }
}
