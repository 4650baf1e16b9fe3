import DTICore
import DTIFormats
import Fluent
import Foundation
import Vapor

/// A published period's results as files: Excel, CSV for Excel, JSON open
/// data, the draft decision with its appendix (Word), and the same as PDF.
/// Every figure comes from the `RankedResults` of its result set.
enum ResultExports {
    static func slug(_ period: Period) -> String {
        "dti-\(period.year)-" + VietnameseText.searchKey(period.title).split(separator: " ").prefix(6).joined(separator: "-")
    }

    /// The names a published period's downloads are saved under: the routes' Content-Disposition
    /// and the page's `download` attributes (a copy served as plain files sends no header).
    struct FileNames: Encodable {
        var xlsx: String, csv: String, docx: String, pdf: String, record: String

        init(_ period: Period) {
            let slug = ResultExports.slug(period)
            (xlsx, csv, docx, pdf, record) = (slug + ".xlsx", slug + ".csv", slug + "-quyet-dinh.docx", slug + "-quyet-dinh.pdf", slug + "-ban-ghi.json")
        }
    }

    /// A group's indices as bars, from any ranking (published or live).
    static func groupChart(_ results: RankedResults, group g: GroupSummary, indexName: String) -> String {
        groupChart(results.units.filter { $0.row.group == g.group }, title: "\(g.group): \(indexName)")
    }

    /// `members`' indices as bars, in their order (a group, or one page of a long group).
    static func groupChart(_ members: [RankedUnit], title: String) -> String {
        let maxIndex = members.compactMap(\.index).max() ?? .zero
        return SVGChart.bars(members.filter(\.row.reported).map { u in
            SVGChart.Bar(label: u.row.unit, value: u.index ?? .zero, text: u.display)
        }, max: maxIndex, title: title)
    }

    /// A group's units on a map, coloured by band, when at least three of
    /// them have coordinates (the communes of a province set up from the 2025
    /// directory); sở and other units without a place keep the bar chart only.
    static func groupMap(_ set: ResultArchive.Loaded, members: [RankedUnit], places: MapPlaces, group: String) -> String {
        let points = members.compactMap { u -> SVGMap.Point? in
            guard let code = set.code(of: u.row.unit), let (lat, lon) = places.byCode[code] else { return nil }
            let detail = u.row.reported ? "chỉ số \(u.display), hạng \(u.rankText)" + (u.band.map { ", \($0)" } ?? "") : "không báo cáo"
            return SVGMap.Point(name: u.row.unit, lat: lat, lon: lon, band: u.row.reported ? (u.band ?? "Có báo cáo") : nil, detail: detail)
        }
        guard points.count >= 3 else { return "" }
        let bands = set.results.settings.bands.map(\.name)
        return SVGMap.svg(points, bands: bands.isEmpty ? ["Có báo cáo"] : bands, title: "\(group): bản đồ xếp loại", context: places.shape)
    }

    // MARK: Excel

    static func xlsx(_ period: Period, _ sets: [ResultArchive.Loaded], analysis: ResultsAnalysis) -> Data {
        var sheets: [Workbook.Sheet] = []
        var detail: [[Workbook.Cell]] = [[.text("Cấp"), .text("Nhóm"), .text("Mã đơn vị"), .text("Đơn vị"), .text("Hạng"), .text("Tổng điểm"),
                                          .text("Điểm tối đa"), .text("Chỉ số"), .text("Chỉ số (như công bố)"), .text("Xếp loại"), .text("Thành phần"), .text("Điểm thành phần")]]
        for set in sets {
            let r = set.results
            let decimals = r.settings.display.decimals ?? 2
            for g in r.groups {
                let members = r.units.filter { $0.row.group == g.group }
                var rows: [[Workbook.Cell]] = [[.text("TT"), .text("Đơn vị")] + r.columnNames.map(Workbook.Cell.text) + [.text("Tổng điểm"), .text("Chỉ số"), .text("Xếp hạng"), .text("Xếp loại")]]
                for (i, u) in members.enumerated() {
                    var row: [Workbook.Cell] = [.integer(i + 1), .text(u.row.unit)]
                    row += u.row.columns.map { $0.map { .number($0.value, decimals: $0.decimals) } ?? .text("-") }
                    row.append(u.row.points.map { .number($0.value, decimals: $0.decimals) } ?? .text("-"))
                    row.append(u.index.map { .number($0, decimals: decimals) } ?? .text("-"))
                    row.append(u.rank > 0 ? .integer(u.rank) : .text("-"))
                    row.append(u.band.map(Workbook.Cell.text) ?? .empty)
                    rows.append(row)
                }
                var average: [Workbook.Cell] = [.empty, .text("Giá trị trung bình")]
                average += zip(g.columnAverages, g.columnDecimals).map { v, d in v.map { .number($0, decimals: d) } ?? .empty }
                average.append(.empty)
                average.append(g.average.map { .number($0, decimals: g.decimals) } ?? .empty)
                rows.append(average)
                sheets.append(.init(name: g.group, rows: rows, widths: [6, 48] + r.columnNames.map { _ in 14 } + [12, 12, 10, 12], boldRows: [rows.count - 1]))
                for u in members {
                    let base: [Workbook.Cell] = [.text(set.manifest.level(ofGroup: g.group)), .text(g.group), .text(set.code(of: u.row.unit) ?? ""), .text(u.row.unit),
                                                 u.rank > 0 ? .integer(u.rank) : .text("-"), u.row.points.map { .number($0.value, decimals: $0.decimals) } ?? .text("-"),
                                                 u.maxPoints.map { .number($0, decimals: $0.significantDecimals) } ?? .empty,
                                                 u.index.map { .number($0, decimals: decimals) } ?? .text("-"), .text(u.display), u.band.map(Workbook.Cell.text) ?? .empty]
                    if r.columnNames.isEmpty { detail.append(base + [.empty, .empty]) }
                    for (c, column) in r.columnNames.enumerated() {
                        detail.append(base + [.text(column), u.row.columns[c].map { .number($0.value, decimals: $0.decimals) } ?? .text("-")])
                    }
                }
            }
        }
        sheets.append(.init(name: "Chi tiết", rows: detail, widths: [12, 20, 14, 48, 8, 12, 12, 12, 14, 12, 24, 14]))
        var text: [[Workbook.Cell]] = [[.text("Nhận xét, đánh giá (tạo từ số liệu)")]]
        for section in analysis.sections {
            text.append([.text(section.title)])
            text += section.paragraphs.map { [.text($0)] }
        }
        sheets.append(.init(name: "Nhận xét", rows: text, widths: [160]))
        return Workbook(sheets: sheets).data()
    }

    // MARK: CSV

    /// One row per unit with every pillar column, comma-separated, decimal
    /// point, UTF-8 with a byte-order mark so that Excel reads the diacritics.
    static func csv(_ sets: [ResultArchive.Loaded]) -> String {
        let columns = sets.flatMap(\.results.columnNames).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var lines = [(["level", "group", "code", "unit", "rank", "points", "max_points", "index", "display", "band"] + columns).map(ResultsWriter.csvField).joined(separator: ",")]
        for set in sets {
            for u in set.results.units {
                var cells = [set.manifest.level(ofGroup: u.row.group), u.row.group, set.code(of: u.row.unit) ?? "", u.row.unit,
                             u.rankText, u.row.points.map { $0.value.description } ?? "", u.maxPoints?.description ?? "",
                             u.index?.description ?? "", u.display, u.band ?? ""]
                for column in columns {
                    let i = set.results.columnNames.firstIndex(of: column)
                    cells.append(i.flatMap { u.row.columns[$0]?.value.description } ?? "")
                }
                lines.append(cells.map(ResultsWriter.csvField).joined(separator: ","))
            }
        }
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }

    // MARK: JSON

    static func json(_ period: Period, _ sets: [ResultArchive.Loaded], analysis: ResultsAnalysis) -> JSONValue {
        .object([
            ("period", .object([("id", .string(period.id!.uuidString)), ("year", .int(period.year)), ("title", .string(period.title)),
                                ("results_only", .bool(period.resultsOnly))])),
            ("tables", .array(sets.map { set in
                guard case .object(var pairs) = ResultsWriter(set.results).json() else { return .null }
                pairs.insert(("level", .string(set.level)), at: 0)
                pairs.insert(("source", .string(set.source)), at: 1)
                pairs.insert(("sha256", .string(set.inputsSHA256)), at: 2)
                pairs.insert(("unit_codes", .object(set.unitCodes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })), at: 3)
                return .object(pairs)
            })),
            ("analysis", .array(analysis.sections.map { .object([("title", .string($0.title)), ("paragraphs", .array($0.paragraphs.map(JSONValue.string)))]) })),
        ])
    }

    // MARK: Word

    static func templateDirectory() -> String {
        if FileManager.default.fileExists(atPath: "reports") { return "reports" }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("reports").path
    }

    static func decisionTemplate() throws -> DecisionTemplate {
        let path = templateDirectory() + "/decision-nd30.yaml"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Abort(.internalServerError, reason: "Thiếu mẫu văn bản \(path).")
        }
        do { return try DecisionTemplate.load(yaml: text, file: path) } catch { throw Abort(.internalServerError, reason: "\(error)") }
    }

    /// The draft decision and its appendix (tables per group, then the analysis).
    static func docx(_ period: Period, _ sets: [ResultArchive.Loaded], analysis: ResultsAnalysis, province: String,
                     places: MapPlaces = MapPlaces(), converter: any DocumentConverter) throws -> Data {
        let t = try decisionTemplate()
        let values = ["province": province, "year": String(period.year), "decision_year": String(period.year + 1),
                      "source": sets.first?.source ?? ""]
        func f(_ s: String) -> String { DecisionTemplate.fill(s, values) }
        typealias P = WordDocument.Paragraph
        var blocks: [WordDocument.Block] = []
        // Header: issuer and number on the left, national motto and place-date on the right.
        let left: [P] = t.issuer.enumerated().map { i, line in P(f(line), bold: i == t.issuer.count - 1, size: 13, alignment: .center, spaceAfter: 0) }
            + [P("———", size: 13, alignment: .center, spaceAfter: 6), P(f(t.number), size: 13, alignment: .center)]
        let right: [P] = [P(f(t.motto[0]), bold: true, size: 13, alignment: .center, spaceAfter: 0),
                          P(f(t.motto.count > 1 ? t.motto[1] : ""), bold: true, size: 14, alignment: .center, spaceAfter: 0),
                          P("———————", size: 13, alignment: .center, spaceAfter: 6), P(f(t.placeDate), italic: true, size: 14, alignment: .center)]
        blocks.append(.table(.init(rows: [[left, right]], widths: [60, 105], borders: false, headerRows: 0)))
        blocks.append(.paragraph(P(f(t.kind), bold: true, size: 14, alignment: .center, spaceAfter: 0)))
        blocks.append(.paragraph(P(f(t.summary), bold: true, size: 14, alignment: .center, spaceAfter: 12)))
        blocks.append(.paragraph(P(f(t.authority), bold: true, size: 14, alignment: .center, spaceAfter: 12)))
        for basis in t.bases { blocks.append(.paragraph(P(f(basis), italic: true, indent: 10))) }
        blocks.append(.paragraph(P(f(t.decides), bold: true, alignment: .center, spaceAfter: 12)))
        for article in t.articles {
            let text = f(article)
            if let dot = text.range(of: ". "), text.hasPrefix("Điều") {
                blocks.append(.paragraph(P([.init(String(text[..<dot.upperBound]), bold: true), .init(String(text[dot.upperBound...]))], indent: 10)))
            } else {
                blocks.append(.paragraph(P(text, indent: 10)))
            }
        }
        let recipients: [P] = [P("Nơi nhận:", bold: true, italic: true, size: 12, alignment: .left, spaceAfter: 0)]
            + t.recipients.map { P("- " + f($0), size: 11, alignment: .left, spaceAfter: 0) }
        let signature: [P] = t.signature.enumerated().map { i, line in P(f(line), bold: true, size: 14, alignment: .center, spaceAfter: 0) }
        blocks.append(.table(.init(rows: [[recipients, signature]], widths: [85, 80], borders: false, headerRows: 0)))

        // The appendix: every group's table as the decisions print it, with its notes, then the analysis.
        blocks.append(.paragraph(P(f(t.appendixTitle), bold: true, alignment: .center, spaceAfter: 0, pageBreakBefore: true)))
        blocks.append(.paragraph(P(f(t.appendixSubtitle), bold: true, alignment: .center, spaceAfter: 0)))
        blocks.append(.paragraph(P(f(t.appendixNote), italic: true, alignment: .center, spaceAfter: 12)))
        var tableNumber = 1
        for set in sets {
            let writer = ResultsWriter(set.results)
            for g in set.results.groups {
                blocks.append(.paragraph(P("Bảng \(tableNumber): \(g.group)", bold: true, alignment: .left)))
                tableNumber += 1
                let (header, rows, summary) = writer.grid(g.group)
                let numeric = header.count <= 5 ? 21.0 : 17.0
                let nameWidth = Swift.max(50.0, 165.0 - Double(header.count - 2) * numeric - 10)
                let widths = [10.0, nameWidth] + Array(repeating: numeric, count: header.count - 2)
                func cell(_ s: String, bold: Bool = false, numeric: Bool) -> [P] { [P(s, bold: bold, size: 12, alignment: numeric ? .right : .left, spaceAfter: 0)] }
                var tableRows: [[[P]]] = [header.map { [P($0, bold: true, size: 12, alignment: .center, spaceAfter: 0)] }]
                tableRows += rows.map { r in r.enumerated().map { i, s in cell(s, numeric: i != 1) } }
                tableRows += summary.map { r in (r + Array(repeating: "", count: Swift.max(0, header.count - r.count))).enumerated().map { i, s in cell(s, bold: true, numeric: i != 1) } }
                blocks.append(.table(.init(rows: tableRows, widths: widths)))
                for note in writer.notes(g) { blocks.append(.paragraph(P(note, size: 13, alignment: .left, spaceAfter: 2))) }
                if let chart = converter.png(fromSVG: groupChart(writer.units(in: g.group), title: "\(g.group): \(writer.indexHeader)")) {
                    blocks.append(.picture(png: chart, widthMm: 160, description: "Biểu đồ \(g.group)"))
                }
                // Where the group's units have places (communes from the directory): the map, as on the page.
                let map = groupMap(set, members: writer.units(in: g.group), places: places, group: g.group)
                if !map.isEmpty, let png = converter.png(fromSVG: map) {
                    blocks.append(.picture(png: png, widthMm: 150, description: "Bản đồ \(g.group)"))
                }
            }
        }
        blocks.append(.paragraph(P(f(t.analysisTitle), bold: true, alignment: .center, spaceAfter: 6)))
        for section in analysis.sections {
            blocks.append(.paragraph(P(section.title, bold: true, alignment: .left)))
            for paragraph in section.paragraphs { blocks.append(.paragraph(P("- " + paragraph, indent: 10))) }
        }
        let m = t.page.marginsMm
        return WordDocument(blocks: blocks, font: t.page.font, fontSize: t.page.fontSize,
                            margins: (m["top"] ?? 20, m["bottom"] ?? 20, m["left"] ?? 30, m["right"] ?? 15)).data()
    }
}

/// The places of a result set's units (from the administrative directory)
/// and the pale dots of the province's other current units: what a map
/// needs, for the page and the Word appendix alike.
struct MapPlaces: Sendable {
    var byCode: [String: (Double, Double)] = [:]
    var shape: [(lat: Double, lon: Double)] = []

    static func load(_ sets: [ResultArchive.Loaded], on db: any Database) async throws -> MapPlaces {
        try await load(codes: Array(Set(sets.flatMap { $0.unitCodes.values })), on: db)
    }

    /// The places of the units with `codes` (one page of a long ranking).
    static func load(codes: [String], on db: any Database) async throws -> MapPlaces {
        var places = MapPlaces()
        var parents = Set<UUID>()
        for unit in try await UnitModel.withCodes(codes, placed: true, on: db) {
            guard let lat = unit.latitude, let lon = unit.longitude else { continue }
            places.byCode[unit.code] = (lat, lon)
            if let parent = unit.$parent.id { parents.insert(parent) }
        }
        // The province's other current units with a place: its shape on the map.
        if !parents.isEmpty {
            for unit in try await UnitModel.query(on: db).filter(\.$parent.$id ~~ Array(parents)).filter(\.$latitude != nil).all()
            where unit.validUntil == nil && places.byCode[unit.code] == nil {
                if let lat = unit.latitude, let lon = unit.longitude { places.shape.append((lat, lon)) }
            }
        }
        return places
    }
}
