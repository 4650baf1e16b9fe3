import DTICore
import DTIFormats
import Fluent
import Vapor

/// The public portal: published results only — rankings, analysis,
/// scorecards, exports and open data — and the administrator's import of
/// past decisions.
struct ResultsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Everyone: only periods with published results are found.
        // Kept as bytes (PublishedBytes): the list a few seconds; what a published record makes for good.
        routes.get("results", use: index).kept(.listing)
        routes.get("results", ":id", use: period).kept(.published())
        routes.get("results", ":id", "groups", ":group", use: group).kept(.published(choosing: ["page"]))
        routes.get("results", ":id", "units", ":code", use: scorecard).kept(.published())
        routes.get("results", ":id", "export.xlsx", use: exportXLSX).kept(.published(download: true))
        routes.get("results", ":id", "export.csv", use: exportCSV).kept(.published(download: true))
        routes.get("results", ":id", "export.json", use: exportJSON).kept(.published(download: true))
        routes.get("results", ":id", "record.json", use: record).kept(.published(download: true))
        routes.get("api", "v1", "results", ":id", "record", use: record).kept(.published(download: true))
        routes.get("results", ":id", "decision.docx", use: decisionDOCX).kept(.published(download: true))
        routes.get("results", ":id", "decision.pdf", use: decisionPDF).kept(.published(download: true))
        routes.get("api", "v1", "results", use: list)
        routes.get("api", "v1", "results", ":id", use: exportJSON).kept(.published(download: true))
        // Administrator: a past decision as a results-only period.
        routes.grouped(RoleGuard(.administrator)).on(.POST, "api", "v1", "results", body: .collect(maxSize: "8mb"), use: importResults)
        routes.grouped(RoleGuard(.administrator)).get("admin", "results", "new", use: importPage)
        routes.grouped(RoleGuard(.administrator)).on(.POST, "admin", "results", body: .collect(maxSize: "8mb"), use: importForm)
    }

    struct ImportPage: Encodable {
        var layout: Layout
        var errors: [String]
    }

    func renderImport(_ req: Request, errors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        return try await req.view.render("results-import", ImportPage(layout: Layout(req, title: "Nhập kết quả đã công bố"), errors: errors)).encodeResponse(status: status, for: req)
    }

    @Sendable func importPage(req: Request) async throws -> Response { try await renderImport(req) }

    struct UploadForm: Content {
        var manifest: File?
        var tables: [File]?
    }

    /// The browser form: the manifest and its tables as files.
    @Sendable func importForm(req: Request) async throws -> Response {
        let form = try req.content.decode(UploadForm.self)
        guard let manifestFile = form.manifest, manifestFile.data.readableBytes > 0 else {
            return try await renderImport(req, errors: ["Chưa chọn tệp kê khai (.yaml)."], status: .unprocessableEntity)
        }
        var files: [String: String] = [:]
        for file in form.tables ?? [] where file.data.readableBytes > 0 {
            guard let text = file.data.getString(at: file.data.readerIndex, length: file.data.readableBytes) else { continue }
            files[file.filename] = text
        }
        do {
            let (period, _) = try await Self.runImport(req, yaml: String(decoding: manifestFile.data.readableBytesView, as: UTF8.self),
                                                       file: manifestFile.filename, files: files)
            return req.redirect(to: "/results/\(period.id!)")
        } catch let p as TableProblem {
            return try await renderImport(req, errors: [p.description], status: .unprocessableEntity)
        } catch let problems as Problems {
            return try await renderImport(req, errors: problems.messages, status: .unprocessableEntity)
        }
    }

    /// A published period and its tables, or 404 — unpublished periods do not exist here.
    func published(_ req: Request) async throws -> (Period, [ResultArchive.Loaded]) {
        guard let id = req.parameters.get("id", as: UUID.self), let period = try await PeriodService.load(id, on: req.db, cache: req.application.periodCache) else {
            throw Abort(.notFound, reason: "Không có kết quả công bố này.")
        }
        let version = try Self.version(req)
        if let version, try await ResultArchive.recordHead(period, version: version, on: req.db) == nil {
            throw Abort(.notFound, reason: "Không có phiên bản \(version) của kết quả công bố này.")
        }
        let sets = try await ResultArchive.load(period, version: version, on: req.db)
        guard !sets.isEmpty else { throw Abort(.notFound, reason: "Không có kết quả công bố này.") }
        return (period, sets)
    }

    /// The record version a request names (`?version=N`), or nil; anything else is refused.
    static func version(_ req: Request) throws -> Int? {
        try positiveParameter(req, "version", meaning: "phiên bản của bản ghi công bố")
    }

    /// The query parameter `name` as a positive integer, or nil when absent; written twice, or
    /// as anything else, it is refused with `meaning` in the reason.
    static func positiveParameter(_ req: Request, _ name: String, meaning: String) throws -> Int? {
        let prefix = name + "="
        guard let raw = req.url.query?.split(separator: "&").filter({ $0.hasPrefix(prefix) }), !raw.isEmpty else { return nil }
        guard raw.count == 1, let n = Int(raw[0].dropFirst(prefix.count)), n >= 1 else {
            throw Abort(.badRequest, reason: "Tham số \(name) phải là một số nguyên dương (\(meaning)).")
        }
        return n
    }

    static func province(_ sets: [ResultArchive.Loaded], on db: any Database) async throws -> String {
        if let p = sets.compactMap(\.manifest.province).first { return p }
        if let unit = try await UnitModel.query(on: db).filter(\.$level == "province").first() {
            return unit.name.replacingOccurrences(of: "UBND tỉnh ", with: "").replacingOccurrences(of: "Ủy ban nhân dân tỉnh ", with: "")
        }
        return ""
    }

    // MARK: Pages

    struct IndexPage: Encodable {
        struct Item: Encodable { var id: UUID; var year: Int; var title: String; var kind: String; var units: Int }
        struct Found: Encodable { var name: String; var code: String; var periodID: UUID; var year: Int }
        var layout: Layout
        var periods: [Item]
        var query: String
        var found: [Found]
    }

    @Sendable func index(req: Request) async throws -> View {
        let periods = try await ResultArchive.publishedPeriods(on: req.db)
        var items: [IndexPage.Item] = []
        var found: [IndexPage.Found] = []
        let query = ((try? req.query.get(String.self, at: "q")) ?? "").trimmingCharacters(in: .whitespaces)
        let key = VietnameseText.searchKey(query)
        for p in periods {
            let sets = try await ResultArchive.load(p, on: req.db)
            items.append(.init(id: p.id!, year: p.year, title: p.title, kind: p.resultsOnly ? "Kết quả đã công bố (nhập từ quyết định)" : "Công bố trên OpenDTI",
                               units: sets.reduce(0) { $0 + $1.results.units.count }))
            if !key.isEmpty {
                for set in sets {
                    for (name, code) in set.unitCodes where VietnameseText.searchKey(name).contains(key) || code.lowercased().contains(key) {
                        found.append(.init(name: name, code: code, periodID: p.id!, year: p.year))
                    }
                }
            }
        }
        found.sort { $0.name == $1.name ? $0.year > $1.year : VietnameseText.precedes($0.name, $1.name) }
        return try await req.view.render("results", IndexPage(layout: Layout(req, title: "Kết quả Chỉ số chuyển đổi số"), periods: items, query: query, found: found))
    }

    struct PeriodPage: Encodable {
        struct Group: Encodable {
            var title: String
            var header: [String]
            var rows: [[Cell]]
            var summary: [[String]]
            var notes: [String]
            var chart: String
            /// Where the group's units lie, coloured by band, when they have coordinates.
            var map: String
            /// How sure the ranks are ("Độ vững của xếp hạng"), when the record has pillar columns.
            var robustness: RobustnessView?
        }
        struct Cell: Encodable { var text: String; var link: String? }
        struct Section: Encodable { var title: String; var paragraphs: [String] }
        var layout: Layout
        var id: UUID
        var year: Int
        var title: String
        var sources: [String]
        var groups: [Group]
        var analysis: [Section]
        var pdfAvailable: Bool
        /// Set on the administrator's preview of a publication: what it will show.
        var preview: Bool = false
        /// The record's versions when it was corrected (đính chính), and which one this page shows.
        struct Version: Encodable { var number: Int; var date: String; var reason: String; var href: String; var current: Bool }
        var versions: [Version] = []
        var shownVersion: Int = 1
        var latestVersion: Int = 1
        /// "?version=N" on the downloads of an earlier version, else empty.
        var versionQuery: String = ""
        /// The downloads' names, also in each link's `download` attribute: a copy served as plain
        /// files (`SiteExport`), which has no Content-Disposition, still saves under them.
        var files: ResultExports.FileNames
        /// A record too long for one page (RankingPages): its groups as links, and a search.
        var paged = false
        struct GroupLink: Encodable { var number: Int; var title: String; var href: String; var units: Int; var reported: Int; var average: String; var pages: Int }
        var groupLinks: [GroupLink] = []
        var unitCount = 0
        var indexHeader = ""
        /// Whether the found units have a band (xếp loại) to show.
        var bands = false
        struct Found: Encodable { var name: String; var group: String; var groupHref: String; var index: String; var rank: String; var band: String; var href: String? }
        var query = ""
        var found: [Found] = []
        var foundMore = 0
    }

    @Sendable func period(req: Request) async throws -> View {
        let (period, sets) = try await published(req)
        let rows = try await ResultArchive.versions(period, on: req.db)
        let latest = rows.last?.version ?? 1
        let shown = try Self.version(req) ?? latest
        let versions = rows.count > 1 ? rows.map {
            PeriodPage.Version(number: $0.version, date: $0.createdAt.map(DateText.dateTime) ?? "", reason: $0.reason,
                               href: "/results/\(period.id!)" + ($0.version == latest ? "" : "?version=\($0.version)"), current: $0.version == shown)
        } : []
        return try await Self.render(req, period: period, sets: sets, preview: false, versions: versions, shown: shown, latest: latest)
    }

    /// The results page of `sets`: published, or (preview) about to be. A published record
    /// too long for one page lists its groups and finds units by name (RankingPages).
    static func render(_ req: Request, period: Period, sets: [ResultArchive.Loaded], preview: Bool,
                       versions: [PeriodPage.Version] = [], shown: Int = 1, latest: Int = 1) async throws -> View {
        var page = PeriodPage(
            layout: Layout(req, title: period.title), id: period.id!, year: period.year, title: period.title,
            sources: Array(Set(sets.map(\.source))).sorted(), groups: [], analysis: [], pdfAvailable: req.application.converter.canMakePDF,
            preview: preview, versions: versions, shownVersion: shown, latestVersion: latest,
            versionQuery: shown == latest ? "" : "?version=\(shown)", files: ResultExports.FileNames(period))
        if !preview && RankingPages.isPaged(sets) {
            let numbered = RankingPages.groups(sets)
            let version = shown == latest ? nil : shown
            page.paged = true
            page.groupLinks = RankingPages.links(numbered, periodID: period.id!, version: version)
            page.unitCount = sets.reduce(0) { $0 + $1.results.units.count }
            page.indexHeader = numbered.first?.writer.indexHeader ?? ""
            page.bands = sets.contains { !$0.results.settings.bands.isEmpty }
            page.query = String(((try? req.query.get(String.self, at: "q")) ?? "").trimmingCharacters(in: .whitespaces).prefix(100))
            (page.found, page.foundMore) = RankingPages.search(page.query, in: numbered, periodID: period.id!, version: version)
        } else {
            let places = try await MapPlaces.load(sets, on: req.db)
            for set in sets {
                let writer = ResultsWriter(set.results)
                for g in set.results.groups {
                    page.groups.append(.init(set, writer: writer, group: g, periodID: period.id!, places: places))
                }
            }
        }
        page.analysis = ResultArchive.analysis(sets, year: period.year).sections.map { .init(title: $0.title, paragraphs: $0.paragraphs) }
        return try await req.view.render("result", page)
    }

    struct GroupPage: Encodable {
        struct PageLink: Encodable { var number: Int; var href: String; var current: Bool }
        var layout: Layout
        var id: UUID
        var periodTitle: String
        var periodHref: String
        var number: Int
        var groupCount: Int
        var units: Int
        var firstRow: Int
        var lastRow: Int
        var pages: [PageLink]
        var previous: String?
        var next: String?
        var olderVersion: Int?
        var g: PeriodPage.Group
    }

    /// One group of a record too long for one page, one page of its rows at a time.
    @Sendable func group(req: Request) async throws -> View {
        let (period, sets) = try await published(req)
        let numbered = RankingPages.groups(sets)
        let raw = req.parameters.get("group") ?? ""
        guard let n = Int(raw), let entry = numbered.first(where: { $0.number == n }) else {
            throw Abort(.notFound, reason: "Không có nhóm \"\(raw)\" trong kết quả công bố này (các nhóm được đánh số từ 1 đến \(numbered.count)).")
        }
        let version = try Self.version(req)
        let members = entry.writer.units(in: entry.summary.group)
        let pageCount = RankingPages.pageCount(members.count)
        let page = try RankingPages.requestedPage(req)
        guard page <= pageCount else {
            throw Abort(.notFound, reason: "Nhóm \"\(entry.summary.group)\" chỉ có \(pageCount) trang.")
        }
        let rows = (page - 1) * RankingPages.rowsPerPage ..< min(members.count, page * RankingPages.rowsPerPage)
        let places = try await MapPlaces.load(codes: members[rows].compactMap { entry.set.code(of: $0.row.unit) }, on: req.db)
        let id = period.id!
        return try await req.view.render("result-group", GroupPage(
            layout: Layout(req, title: "\(entry.summary.group) — \(period.title)"), id: id, periodTitle: period.title,
            periodHref: "/results/\(id)" + (version.map { "?version=\($0)" } ?? ""), number: n, groupCount: numbered.count,
            units: members.count, firstRow: rows.lowerBound + 1, lastRow: rows.upperBound,
            pages: (1...pageCount).map { .init(number: $0, href: RankingPages.href(id, group: n, page: $0, version: version), current: $0 == page) },
            previous: n > 1 ? RankingPages.href(id, group: n - 1, version: version) : nil,
            next: n < numbered.count ? RankingPages.href(id, group: n + 1, version: version) : nil,
            olderVersion: version,
            g: .init(entry.set, writer: entry.writer, group: entry.summary, periodID: id, places: places, rows: rows)))
    }

    struct ScorecardPage: Encodable {
        struct Part: Encodable { var name: String; var value: String; var average: String; var max: String }
        struct Loss: Encodable { var code: String; var name: String; var lost: String; var max: String }
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var unitName: String
        var code: String
        var group: String
        /// The page of its group that shows the unit (RankingPages).
        var groupHref: String?
        var display: String
        var rank: String
        var band: String?
        var parts: [Part]
        var partsChart: String?
        var losses: [Loss]
        var criteria: [Scorecard.Criterion]
        var whatIf: String?
        var history: HistoryView
    }

    @Sendable func scorecard(req: Request) async throws -> View {
        let (period, sets) = try await published(req)
        let code = req.parameters.get("code") ?? ""
        guard let card = try await Scorecard.build(period: period, code: code, sets: sets, on: req.db) else {
            throw Abort(.notFound, reason: "Đơn vị \"\(code)\" không có trong kết quả công bố này.")
        }
        let sep = card.loaded.results.settings.display.separator
        func t(_ v: ScaledDecimal?, _ d: Int) -> String { v.map { $0.formatted(decimals: d, separator: sep) } ?? "-" }
        let parts = card.parts.map { ScorecardPage.Part(name: $0.name, value: t($0.value, $0.decimals), average: t($0.average, $0.decimals),
                                                          max: $0.max.map { t($0, $0.significantDecimals) } ?? "") }
        var partsChart: String?
        if !card.parts.isEmpty {
            // Each pillar or main index as a share of its maximum (or of the highest value), the group average marked.
            let highest = card.parts.compactMap(\.value).max() ?? .zero
            let bars = card.parts.map { p -> SVGChart.Bar in
                let scale = p.max ?? highest
                func percent(_ v: ScaledDecimal?) -> ScaledDecimal? {
                    guard let v else { return nil }
                    return scale.micros > 0 ? ScaledDecimal.ratio(v, scale, times: 100, decimals: 2) : .zero
                }
                return SVGChart.Bar(label: p.name, value: percent(p.value) ?? .zero, secondary: percent(p.average),
                                    text: t(p.value, p.decimals) + (p.max.map { " / " + t($0, $0.significantDecimals) } ?? ""))
            }
            partsChart = SVGChart.bars(bars, max: ScaledDecimal(100), title: "Điểm từng trụ cột, chỉ số chính (% điểm tối đa)", secondaryLabel: "trung bình của nhóm")
        }
        let whatIf = card.whatIf.map {
            "Nếu đạt thêm \(t($0.gained, 2)) điểm ở \($0.items.joined(separator: ", ")) (những chỗ mất điểm nhiều nhất), đơn vị đạt \($0.display) và đứng hạng \($0.rank)/\(card.groupSize) (hiện hạng \(card.rank))."
        }
        return try await req.view.render("scorecard", ScorecardPage(
            layout: Layout(req, title: "\(card.unitName) — \(period.title)"), periodID: period.id!, periodTitle: period.title,
            unitName: card.unitName, code: code, group: card.group,
            groupHref: RankingPages.href(of: card.unitName, level: card.loaded.level, in: RankingPages.groups(sets), periodID: period.id!),
            display: card.display,
            rank: card.reported ? "\(card.rank)/\(card.groupSize)" : "không báo cáo", band: card.band, parts: parts, partsChart: partsChart,
            losses: card.losses.prefix(10).map { .init(code: $0.code, name: $0.name, lost: t($0.lost, 2), max: t($0.max, $0.max.significantDecimals)) },
            criteria: card.criteria, whatIf: whatIf, history: HistoryView(card.history)))
    }

    // MARK: Files

    @Sendable func exportXLSX(req: Request) async throws -> Response {
        let (period, sets) = try await published(req)
        return .attachment(ResultExports.xlsx(period, sets, analysis: ResultArchive.analysis(sets, year: period.year)),
                    type: AssessmentWorkbook.contentType, name: ResultExports.FileNames(period).xlsx)
    }

    @Sendable func exportCSV(req: Request) async throws -> Response {
        let (period, sets) = try await published(req)
        return .attachment(Data(ResultExports.csv(sets).utf8), type: HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"]),
                    name: ResultExports.FileNames(period).csv)
    }

    @Sendable func exportJSON(req: Request) async throws -> Response {
        let (period, sets) = try await published(req)
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(string: ResultExports.json(period, sets, analysis: ResultArchive.analysis(sets, year: period.year)).serialized()))
    }

    /// The published record exactly as stored: the bytes `dti verify`
    /// checks, with their SHA-256 as a strong ETag and in `X-DTI-SHA256`.
    @Sendable func record(req: Request) async throws -> Response {
        let (period, _) = try await published(req)
        guard let row = try await ResultArchive.recordRow(period, version: try Self.version(req), on: req.db) else {
            throw Abort(.notFound, reason: "Kết quả này được công bố trước khi có bản ghi công bố; hãy dùng export.json.")
        }
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .eTag, value: "\"\(row.sha256)\"")
        headers.replaceOrAdd(name: "X-DTI-SHA256", value: row.sha256)
        headers.contentDisposition = .init(.attachment, filename: ResultExports.FileNames(period).record)
        return Response(status: .ok, headers: headers, body: .init(string: row.content))
    }

    static let docxType = HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.wordprocessingml.document")

    /// The draft decision of a published period, as Word.
    func decision(_ req: Request) async throws -> (Period, Data) {
        let (period, sets) = try await published(req)
        return (period, try await Self.decision(req, period: period, sets: sets))
    }

    /// The draft decision as Word, built on the documents' thread (`app.documentWork`), not on the
    /// threads every other request needs.
    static func decision(_ req: Request, period: Period, sets: [ResultArchive.Loaded]) async throws -> Data {
        let province = try await province(sets, on: req.db)
        let places = try await MapPlaces.load(sets, on: req.db)
        let converter = req.application.converter
        return try await req.application.documentWork.run {
            try ResultExports.docx(period, sets, analysis: ResultArchive.analysis(sets, year: period.year), province: province,
                                   places: places, converter: converter)
        }
    }

    @Sendable func decisionDOCX(req: Request) async throws -> Response {
        let (period, docx) = try await decision(req)
        return .attachment(docx, type: Self.docxType, name: ResultExports.FileNames(period).docx)
    }

    @Sendable func decisionPDF(req: Request) async throws -> Response {
        let (period, docx) = try await decision(req)
        return .attachment(try await req.application.converter.pdf(fromDOCX: docx), type: HTTPMediaType(type: "application", subType: "pdf"), name: ResultExports.FileNames(period).pdf)
    }

    // MARK: API

    struct Item: Content { var id: UUID; var year: Int; var title: String; var resultsOnly: Bool; var tables: [String] }

    @Sendable func list(req: Request) async throws -> [Item] {
        var items: [Item] = []
        for p in try await ResultArchive.publishedPeriods(on: req.db) {
            let sets = try await ResultSet.query(on: req.db).filter(\.$period.$id == p.id!).sort(\.$position).all()
            items.append(Item(id: p.id!, year: p.year, title: p.title, resultsOnly: p.resultsOnly, tables: sets.map(\.fileName)))
        }
        return items
    }

    /// A past decision, as the form and the API bring it: the manifest read,
    /// its tables imported whole, the import in the audit log. Throws the
    /// manifest's `TableProblem` or the tables' `Problems`.
    static func runImport(_ req: Request, yaml: String, file: String, files: [String: String]) async throws -> (Period, ResultsManifest) {
        let manifest = try ResultsManifest.load(yaml: yaml, file: file)
        let ctx = req.context
        let period = try await ResultArchive.importManifest(manifest, files: files, at: req.now, on: req.db) { tx in
            try await AuditLog.record(ctx, actor: ctx.actor, action: "results_imported", target: "\(manifest.year)", detail: manifest.title, on: tx)
        }
        await ResultArchive.warm(period, on: req.db)
        return (period, manifest)
    }

    struct ImportInput: Content {
        /// The manifest (YAML, schema opendti.results/1).
        var manifest: String
        /// The tables it names: file name → content (CSV or TSV).
        var files: [String: String]
    }

    @Sendable func importResults(req: Request) async throws -> Response {
        let input = try req.content.decode(ImportInput.self)
        do {
            let (period, manifest) = try await Self.runImport(req, yaml: input.manifest, file: "manifest", files: input.files)
            return try await Item(id: period.id!, year: period.year, title: period.title, resultsOnly: true, tables: manifest.tables.map(\.file))
                .encodeResponse(status: .created, for: req)
        } catch let problem as TableProblem {
            throw Abort(.unprocessableEntity, reason: problem.description)
        } catch let problems as Problems {
            throw problems.abort
        }
    }
}
