import DTICore
import DTIFormats
import Fluent
import Vapor

/// The live ranking while reviewers work, publication, and the frozen
/// snapshot of the published inputs.
struct PublicationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Evaluators, the council and the administrator.
        routes.grouped(RoleGuard(.administrator, .evaluator, .councilMember)).get("api", "v1", "periods", ":id", "ranking", use: liveRanking)
        routes.grouped(RoleGuard(.administrator, .evaluator, .councilMember)).get("periods", ":id", "ranking", use: liveRankingPage)
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.post("api", "v1", "periods", ":id", "publish", use: publish)
        admin.get("api", "v1", "periods", ":id", "publication", use: readiness)
        admin.get("periods", ":id", "publication", use: publicationPage)
        admin.get("periods", ":id", "publication", "preview", use: previewPage)
        admin.get("periods", ":id", "publication", "decision.docx", use: previewDecision)
        admin.post("periods", ":id", "publication", use: publishForm)
        admin.get("periods", ":id", "correction", use: correctionPage)
        admin.post("periods", ":id", "correction", use: correctionForm)
        admin.post("api", "v1", "periods", ":id", "corrections", use: correct)
        // Public once published.
        routes.get("api", "v1", "periods", ":id", "published", use: published)
    }

    func json(_ text: String, status: HTTPStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: status, headers: headers, body: .init(string: text))
    }

    /// Every level's live result, from the process's kept ranking brought up to date (ADR 0027).
    static func live(_ req: Request, _ period: Period) async throws -> [LiveRanking.Level] {
        try await (req.application.liveRanking ?? LiveRanking()).levels(period.id!, on: req.db, periods: req.application.periodCache)
    }

    @Sendable func liveRanking(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let levels = try await Self.live(req, period)
        return json(LiveRanking.json(title: period.title, levels: levels))
    }

    struct RankingPage: Encodable {
        struct Row: Encodable { var rank: String; var name: String; var href: String; var points: String; var index: String; var band: String; var change: String; var changeClass: String }
        struct Group: Encodable { var name: String; var rows: [Row]; var chart: String; var reported: Int; var count: Int }
        /// A group of a long level, listed on the overview with its link.
        struct GroupLink: Encodable { var number: Int; var name: String; var href: String; var count: Int; var reported: Int; var average: String }
        struct Level: Encodable { var label: String; var framework: String; var indexLabel: String; var units: Int; var groups: [Group]; var links: [GroupLink] }
        struct PageLink: Encodable { var number: Int; var href: String; var current: Bool }
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var heading: String
        var levels: [Level]
        var lastView: String?
        /// On a group's page: the way back, the group's pages and its neighbours.
        var overviewHref: String?
        var rowsNote: String?
        var pages: [PageLink]
        var previous: String?
        var next: String?
    }

    /// The live ranking as a page: per level and group, each unit's index,
    /// rank and band from the current official scores, what changed since
    /// this account last looked (kept in its session), and a chart. A level
    /// of more than `RankingPages.pagedAbove` units lists its groups, each
    /// with its own page (`?level=…&group=n[&page=k]`, 300 rows a page), as
    /// the published ranking does (ADR 0025).
    @Sendable func liveRankingPage(req: Request) async throws -> View {
        let period = try await PeriodService.find(req)
        let levels = try await Self.live(req, period)
        let groupNumber = try ResultsController.positiveParameter(req, "group", meaning: "số thứ tự nhóm trong cấp")
        let pageNumber = try ResultsController.positiveParameter(req, "page", meaning: "số thứ tự trang của nhóm") ?? 1
        let base = "/periods/\(period.id!)/ranking"
        func levelHeader(_ level: LiveRanking.Level, groups: [RankingPage.Group], links: [RankingPage.GroupLink]) -> RankingPage.Level {
            let fw = level.result.framework
            return RankingPage.Level(label: Levels.label(level.level), framework: fw.framework.title, indexLabel: fw.framework.method.label,
                                     units: level.result.ranking.units.count, groups: groups, links: links)
        }
        func groupHref(_ level: String, _ n: Int, page: Int = 1) -> String {
            "\(base)?level=\(level.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? level)&group=\(n)" + (page > 1 ? "&page=\(page)" : "")
        }

        guard let groupNumber else {
            // The overview: short levels whole, long levels as their groups.
            var seenRows = SeenRanking(req, key: "ranking-view:\(period.id!.uuidString)")
            let pageLevels = levels.map { level -> RankingPage.Level in
                let ranking = level.result.ranking
                guard ranking.units.count <= RankingPages.pagedAbove else {
                    let writer = ResultsWriter(ranking)
                    return levelHeader(level, groups: [], links: ranking.groups.enumerated().map { n, g in
                        RankingPage.GroupLink(number: n + 1, name: g.group, href: groupHref(level.level, n + 1), count: g.count, reported: g.reported,
                                              average: writer.averageText(g))
                    })
                }
                let byGroup = Dictionary(grouping: ranking.units, by: \.row.group)
                return levelHeader(level, groups: ranking.groups.map { g in
                    RankingPage.Group(name: g.group, rows: seenRows.rows(byGroup[g.group] ?? [], level: level, periodID: period.id!),
                                      chart: ResultExports.groupChart(byGroup[g.group] ?? [], title: "\(g.group): \(level.result.framework.framework.method.label)"),
                                      reported: g.reported, count: g.count)
                }, links: [])
            }
            seenRows.store(req)
            return try await req.view.render("ranking", RankingPage(layout: Layout(req, title: "Xếp hạng tạm thời — \(period.title)"), periodID: period.id!,
                                                                   periodTitle: period.title, heading: "Xếp hạng tạm thời", levels: pageLevels,
                                                                   lastView: seenRows.lastView, overviewHref: nil, rowsNote: nil, pages: [], previous: nil, next: nil))
        }

        // One group of one level, a page of its rows.
        let levelName = req.query[String.self, at: "level"] ?? ""
        guard let level = levels.first(where: { $0.level == levelName }) else {
            throw Abort(.notFound, reason: "Kỳ đánh giá này không có cấp \"\(levelName)\"; các cấp: \(levels.map(\.level).joined(separator: ", ")).")
        }
        let ranking = level.result.ranking
        guard groupNumber <= ranking.groups.count else {
            throw Abort(.notFound, reason: "Cấp này có \(ranking.groups.count) nhóm, đánh số từ 1 đến \(ranking.groups.count).")
        }
        let g = ranking.groups[groupNumber - 1]
        let members = ranking.units.filter { $0.row.group == g.group }
        let pageCount = RankingPages.pageCount(members.count)
        guard pageNumber <= pageCount else { throw Abort(.notFound, reason: "Nhóm \(g.group) chỉ có \(pageCount) trang.") }
        let first = (pageNumber - 1) * RankingPages.rowsPerPage
        let shown = Array(members[first..<min(members.count, first + RankingPages.rowsPerPage)])
        var seenRows = SeenRanking(req, key: "ranking-view:\(period.id!.uuidString):\(level.level):\(g.group):\(pageNumber)")
        let group = RankingPage.Group(name: g.group, rows: seenRows.rows(shown, level: level, periodID: period.id!),
                                      chart: ResultExports.groupChart(shown, title: "\(g.group): \(level.result.framework.framework.method.label)"),
                                      reported: g.reported, count: g.count)
        seenRows.store(req)
        let pages = pageCount > 1 ? (1...pageCount).map { RankingPage.PageLink(number: $0, href: groupHref(level.level, groupNumber, page: $0), current: $0 == pageNumber) } : []
        return try await req.view.render("ranking", RankingPage(
            layout: Layout(req, title: "\(g.group) — Xếp hạng tạm thời — \(period.title)"), periodID: period.id!, periodTitle: period.title,
            heading: "\(g.group) — xếp hạng tạm thời", levels: [levelHeader(level, groups: [group], links: [])], lastView: seenRows.lastView,
            overviewHref: base, rowsNote: pageCount > 1 ? "Trang \(pageNumber)/\(pageCount): hàng \(first + 1)–\(first + shown.count) của \(members.count) đơn vị." : nil,
            pages: pages, previous: groupNumber > 1 ? groupHref(level.level, groupNumber - 1) : nil,
            next: groupNumber < ranking.groups.count ? groupHref(level.level, groupNumber + 1) : nil))
    }

    /// What this account saw of a live ranking the last time it opened the
    /// same page (each unit's rank and index, in its session), and what it
    /// sees now. Each page of a long level's group keeps its own, so a
    /// session holds at most one page of units per key; a unit this page did
    /// not show last time has nothing in its "Thay đổi" cell.
    struct SeenRanking {
        struct Seen: Codable { var at: Date; var units: [String: [String]] }
        let key: String
        let before: Seen?
        let now: Date
        var shown: [String: [String]] = [:]

        init(_ req: Request, key: String) {
            self.key = key
            before = req.session.data[key].flatMap { try? JSONDecoder().decode(Seen.self, from: Data($0.utf8)) }
            now = req.context.now
        }

        var lastView: String? { before.map { DateText.dateTime($0.at) } }

        mutating func rows(_ members: [RankedUnit], level: LiveRanking.Level, periodID: UUID) -> [RankingPage.Row] {
            members.map { u -> RankingPage.Row in
                let code = level.codes[u.row.unit] ?? u.row.unit
                shown[code] = [u.rankText, u.display]
                var change = "", changeClass = ""
                let seen = before?.units[code]
                if let seen {
                    if seen[1] != u.display { change = "\(seen[1]) → \(u.display)" }
                    if let old = Int(seen[0]), u.rank > 0, old != u.rank {
                        change += (change.isEmpty ? "" : "; ") + (u.rank < old ? "lên \(old - u.rank) hạng" : "xuống \(u.rank - old) hạng")
                        changeClass = u.rank < old ? "change-up" : "change-down"
                    }
                }
                return RankingPage.Row(rank: u.rankText, name: u.row.unit, href: "/periods/\(periodID)/units/\(code.urlPathEncoded)",
                                       points: u.row.points.map { PointsText.points($0.value) } ?? "-", index: u.display,
                                       band: u.band ?? "-", change: change.isEmpty ? (seen == nil ? "" : "không đổi") : change, changeClass: changeClass)
            }
        }

        func store(_ req: Request) {
            if let data = try? JSONEncoder().encode(Seen(at: now, units: shown)) { req.session.data[key] = String(decoding: data, as: UTF8.self) }
        }
    }

    struct Published: Content {
        var sha256: String
        var publishedAt: Date?
        var publishedBy: String
    }

    /// Publishes, or refuses with 409 and every condition (`checks`) when one does not hold.
    @Sendable func publish(req: Request) async throws -> Response {
        do {
            let snapshot = try await ResultsService.publish(try await PeriodService.find(req), in: req.context)
            return try await Published(sha256: snapshot.sha256, publishedAt: snapshot.publishedAt, publishedBy: snapshot.publishedBy).encodeResponse(status: .created, for: req)
        } catch let refused as ResultsService.NotReady {
            return try await refused.response(for: req)
        }
    }

    @Sendable func readiness(req: Request) async throws -> PublicationReadiness {
        try await PublicationReadiness.evaluate(try await PeriodService.find(req), today: req.today, on: req.db)
    }

    struct PublicationPage: Encodable {
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var checks: [PublicationReadiness.Check]
        var ready: Bool
        var published: Bool
        var resultsOnly: Bool
        var message: String?
        /// The preliminary results: sent (with the window) or not, and the complaints.
        var preliminarySent: Bool
        var complaintsUntil: String?
        var complaintsOpen: Int
        var complaintsTotal: Int
        var notice: String?
        var suggestedUntil: String
    }

    /// The guarded publication: each condition and whether it holds, the
    /// preview of what will be published, and the button.
    @Sendable func publicationPage(req: Request) async throws -> Response {
        try await renderPublication(req, period: try await PeriodService.find(req))
    }

    func renderPublication(_ req: Request, period: Period, message: String? = nil, status: HTTPStatus = .ok,
                           readiness known: PublicationReadiness? = nil) async throws -> Response {
        let published = try await PublishedRecordRow.query(on: req.db).filter(\.$period.$id == period.id!).first() != nil
        let readiness: PublicationReadiness
        if let known { readiness = known } else { readiness = try await PublicationReadiness.evaluate(period, today: req.today, on: req.db) }
        let complaints = try await Complaint.query(on: req.db).filter(\.$period.$id == period.id!).all()
        let notice = req.takeFlash("publication-flash")
        let page = PublicationPage(layout: Layout(req, title: "Công bố kết quả — \(period.title)"), periodID: period.id!, periodTitle: period.title,
                                   checks: readiness.checks, ready: readiness.ready && !published && !period.resultsOnly, published: published,
                                   resultsOnly: period.resultsOnly, message: message, preliminarySent: period.preliminaryAt != nil,
                                   complaintsUntil: period.complaintsUntil.map(DateText.display), complaintsOpen: complaints.filter { $0.state == .open }.count,
                                   complaintsTotal: complaints.count, notice: notice, suggestedUntil: DateText.adding(days: 7, to: req.today))
        return try await req.view.render("publication", page).encodeResponse(status: status, for: req)
    }

    @Sendable func previewPage(req: Request) async throws -> View {
        let period = try await PeriodService.find(req)
        return try await ResultsController.render(req, period: period, sets: try await ResultsService.preview(period, on: req.db), preview: true)
    }

    @Sendable func previewDecision(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let docx = try await ResultsController.decision(req, period: period, sets: try await ResultsService.preview(period, on: req.db))
        return .attachment(docx, type: ResultsController.docxType, name: ResultExports.slug(period) + "-du-thao-quyet-dinh-xem-truoc.docx")
    }

    @Sendable func publishForm(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        do {
            _ = try await ResultsService.publish(period, in: req.context)
            return req.redirect(to: "/results/\(period.id!)")
        } catch let refused as ResultsService.NotReady {
            // The conditions were just evaluated: shown as they were, not evaluated again.
            return try await renderPublication(req, period: period, message: "Chưa công bố: còn điều kiện chưa đạt (xem danh sách dưới đây).",
                                               status: .conflict, readiness: refused.readiness)
        } catch let error as DomainError {
            return try await renderPublication(req, period: period, message: error.message, status: error.status)
        }
    }

    // MARK: Corrections after publication (đính chính)

    struct CorrectionInput: Content { var changes: [ResultsService.Change]; var reason: String }
    struct Corrected: Content { var version: Int; var sha256: String; var reason: String }

    @Sendable func correct(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let input = try req.content.decode(CorrectionInput.self)
        let row = try await ResultsService.correct(period, changes: input.changes, reason: input.reason, in: req.context)
        return try await Corrected(version: row.version, sha256: row.sha256, reason: row.reason).encodeResponse(status: .created, for: req)
    }

    struct CorrectionPage: Encodable {
        struct Choice: Encodable { var value: String; var label: String; var selected: Bool }
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var published: Bool
        var units: [Choice]
        var criterion: String
        var points: String
        var reason: String
        var errors: [String]
        var versions: Int
    }

    func renderCorrection(_ req: Request, _ period: Period, unit: String = "", criterion: String = "", points: String = "", reason: String = "",
                          errors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        let versions = try await ResultArchive.versions(period, on: req.db).count
        let units = try await Participation.units(period, on: req.db).map {
            CorrectionPage.Choice(value: $0.unit.code, label: $0.unit.name, selected: $0.unit.code == unit)
        }
        let page = CorrectionPage(layout: Layout(req, title: "Đính chính — \(period.title)"), periodID: period.id!, periodTitle: period.title,
                                  published: versions > 0 && !period.resultsOnly, units: units, criterion: criterion, points: points, reason: reason,
                                  errors: errors, versions: versions)
        return try await req.view.render("correction", page).encodeResponse(status: status, for: req)
    }

    @Sendable func correctionPage(req: Request) async throws -> Response { try await renderCorrection(req, try await PeriodService.find(req)) }

    @Sendable func correctionForm(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        func field(_ name: String) -> String { ((try? req.content.get(String.self, at: name)) ?? "").trimmingCharacters(in: .whitespaces) }
        let change = ResultsService.Change(unit: field("unit"), criterion: field("criterion"), points: field("points"))
        do {
            _ = try await ResultsService.correct(period, changes: [change], reason: field("reason"), in: req.context)
                return req.redirect(to: "/results/\(period.id!)")
        } catch let error as DomainError where error != .unauthenticated {
            return try await renderCorrection(req, period, unit: change.unit, criterion: change.criterion, points: change.points, reason: field("reason"),
                                              errors: error.message.components(separatedBy: "\n"), status: error.status)
        }
    }

    /// The frozen snapshot, exactly as stored; its hash is in `X-Content-SHA256`.
    @Sendable func published(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        guard let snapshot = try await PublishedSnapshot.query(on: req.db).filter(\.$period.$id == period.id!).first() else {
            throw Abort(.notFound, reason: "Kết quả kỳ đánh giá này chưa được công bố.")
        }
        let response = json(snapshot.content)
        response.headers.replaceOrAdd(name: "X-Content-SHA256", value: snapshot.sha256)
        return response
    }
}
