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
        routes.grouped(RoleGuard(.administrator)).post("api", "v1", "periods", ":id", "publish", use: publish)
        // Public once published.
        routes.get("api", "v1", "periods", ":id", "published", use: published)
    }

    func period(_ req: Request) async throws -> Period {
        guard let id = req.parameters.get("id", as: UUID.self), let period = try await PeriodService.load(id, on: req.db) else {
            throw Abort(.notFound, reason: "Không có kỳ đánh giá này.")
        }
        return period
    }

    func json(_ text: String, status: HTTPStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: status, headers: headers, body: .init(string: text))
    }

    @Sendable func liveRanking(req: Request) async throws -> Response {
        let period = try await period(req)
        return json(JSONValue.object([("period", .string(period.title)), ("live", .bool(true)),
                                      ("levels", ResultsService.rankingJSON(try await ResultsService.compute(period, on: req.db)))]).serialized())
    }

    struct RankingPage: Encodable {
        struct Row: Encodable { var rank: String; var name: String; var href: String; var points: String; var index: String; var band: String; var change: String; var changeClass: String }
        struct Group: Encodable { var name: String; var rows: [Row]; var chart: String; var reported: Int; var count: Int }
        struct Level: Encodable { var label: String; var framework: String; var indexLabel: String; var groups: [Group] }
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var levels: [Level]
        var lastView: String?
    }

    /// The live ranking as a page: per level and group, each unit's index,
    /// rank and band from the current official scores, what changed since
    /// this account last looked (kept in its session), and a chart.
    @Sendable func liveRankingPage(req: Request) async throws -> View {
        let period = try await period(req)
        let levels = try await ResultsService.compute(period, on: req.db)
        let key = "ranking-view:\(period.id!.uuidString)"
        struct Seen: Codable { var at: Date; var units: [String: [String]] }
        let seen = req.session.data[key].flatMap { try? JSONDecoder().decode(Seen.self, from: Data($0.utf8)) }
        var now: [String: [String]] = [:]
        let pageLevels = levels.map { level -> RankingPage.Level in
            let fw = level.result.framework
            let byName = Dictionary(level.units.map { ($0.name, $0.code) }, uniquingKeysWith: { a, _ in a })
            let ranking = level.result.ranking
            let groups = ranking.groups.map { g -> RankingPage.Group in
                let members = ranking.units.filter { $0.row.group == g.group }
                let rows = members.map { u -> RankingPage.Row in
                    let code = byName[u.row.unit] ?? u.row.unit
                    now[code] = [u.rankText, u.display]
                    var change = "", changeClass = ""
                    if let before = seen?.units[code] {
                        if before[1] != u.display { change = "\(before[1]) → \(u.display)" }
                        if let old = Int(before[0]), u.rank > 0, old != u.rank {
                            change += (change.isEmpty ? "" : "; ") + (u.rank < old ? "lên \(old - u.rank) hạng" : "xuống \(u.rank - old) hạng")
                            changeClass = u.rank < old ? "change-up" : "change-down"
                        }
                    }
                    return RankingPage.Row(rank: u.rankText, name: u.row.unit, href: "/periods/\(period.id!)/units/\(code.urlPathEncoded)",
                                           points: u.row.points.map { PointsText.points($0.value) } ?? "-", index: u.display,
                                           band: u.band ?? "-", change: change.isEmpty ? (seen == nil ? "" : "không đổi") : change, changeClass: changeClass)
                }
                return RankingPage.Group(name: g.group, rows: rows, chart: ResultExports.groupChart(ranking, group: g, indexName: fw.framework.method.label),
                                         reported: g.reported, count: g.count)
            }
            return RankingPage.Level(label: Levels.label(level.level), framework: fw.framework.title, indexLabel: fw.framework.method.label, groups: groups)
        }
        if let data = try? JSONEncoder().encode(Seen(at: req.context.now, units: now)) { req.session.data[key] = String(decoding: data, as: UTF8.self) }
        return try await req.view.render("ranking", RankingPage(layout: Layout(req, title: "Xếp hạng tạm thời — \(period.title)"), periodID: period.id!,
                                                               periodTitle: period.title, levels: pageLevels, lastView: seen.map { DateText.dateTime($0.at) }))
    }

    struct Published: Content {
        var sha256: String
        var publishedAt: Date?
        var publishedBy: String
    }

    @Sendable func publish(req: Request) async throws -> Response {
        let snapshot = try await ResultsService.publish(try await period(req), in: req.context)
        return try await Published(sha256: snapshot.sha256, publishedAt: snapshot.publishedAt, publishedBy: snapshot.publishedBy).encodeResponse(status: .created, for: req)
    }

    /// The frozen snapshot, exactly as stored; its hash is in `X-Content-SHA256`.
    @Sendable func published(req: Request) async throws -> Response {
        let period = try await period(req)
        guard let snapshot = try await PublishedSnapshot.query(on: req.db).filter(\.$period.$id == period.id!).first() else {
            throw Abort(.notFound, reason: "Kết quả kỳ đánh giá này chưa được công bố.")
        }
        let response = json(snapshot.content)
        response.headers.replaceOrAdd(name: "X-Content-SHA256", value: snapshot.sha256)
        return response
    }
}
