import DTICore
import Fluent
import Vapor

/// The season board of a period (page, JSON, XLSX) and the administrator's
/// "not reporting" marks.
struct BoardController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // The administrator, evaluators (their units) and the council.
        let reviewers = routes.grouped(RoleGuard(.administrator, .evaluator, .councilMember))
        reviewers.get("periods", ":id", "board", use: page)
        reviewers.get("periods", ":id", "board.xlsx", use: xlsx)
        reviewers.get("api", "v1", "periods", ":id", "board", use: json)
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.post("admin", "periods", ":id", "not-reporting", use: markForm)
        admin.post("api", "v1", "periods", ":id", "not-reporting", use: mark)
    }

    struct Filter: Content {
        var level: String?
        var group: String?
        var status: String?
        var q: String?

        /// "?level=…&q=…" with the parts that are set, or empty.
        var query: String {
            var components = URLComponents()
            components.queryItems = [("level", level), ("group", group), ("status", status), ("q", q)]
                .compactMap { k, v in v.flatMap { $0.isEmpty ? nil : URLQueryItem(name: k, value: $0) } }
            return components.percentEncodedQuery.map { "?" + $0 } ?? ""
        }
    }

    func load(_ req: Request) async throws -> (Period, SeasonBoard, Filter, [SeasonBoard.Row]) {
        let period = try await PeriodService.find(req)
        let filter = try req.query.decode(Filter.self)
        let (board, rows) = try await load(period, req, filter: filter)
        return (period, board, filter, rows)
    }

    /// The board of `period` and the rows `filter` shows.
    func load(_ period: Period, _ req: Request, filter: Filter) async throws -> (board: SeasonBoard, rows: [SeasonBoard.Row]) {
        if period.resultsOnly { throw Abort(.notFound, reason: "Kỳ này chỉ gồm kết quả đã công bố; không có bảng theo dõi.") }
        let board = try await SeasonBoard.load(period, for: req.user, today: req.today, on: req.db)
        return (board, board.filtered(level: filter.level, group: filter.group, status: filter.status, query: filter.q))
    }

    struct BoardJSON: Content {
        struct Unit: Content {
            var code: String; var name: String; var level: String; var group: String
            var status: String; var statusLabel: String
            var answered: Int; var applicable: Int; var evidence: Int; var openCorrections: Int
            var lastActivity: Date?; var overdue: String?; var notReportingReason: String?
        }
        struct Progress: Content { var phase: String; var done: Int; var of: Int }
        var period: String
        var progress: [Progress]
        var units: [Unit]
    }

    @Sendable func json(req: Request) async throws -> BoardJSON {
        let (period, board, _, rows) = try await load(req)
        return BoardJSON(period: period.title, progress: board.progress.map { .init(phase: $0.phase, done: $0.done, of: $0.of) }, units: rows.map {
            .init(code: $0.unit.code, name: $0.unit.name, level: $0.unit.level, group: $0.unit.groupName, status: $0.status.rawValue,
                  statusLabel: $0.status.label, answered: $0.answered, applicable: $0.applicable, evidence: $0.evidence,
                  openCorrections: $0.openCorrections, lastActivity: $0.lastActivity, overdue: $0.overdue, notReportingReason: $0.notReporting)
        })
    }

    @Sendable func xlsx(req: Request) async throws -> Response {
        let (period, _, _, rows) = try await load(req)
        return .attachment(SeasonBoard.workbook(period, rows: rows), type: AssessmentWorkbook.contentType,
                           name: "bang-theo-doi-\(period.year).xlsx")
    }

    struct BoardPage: Encodable {
        struct Row: Encodable {
            var code: String; var name: String; var href: String; var level: String; var group: String
            var status: String; var statusLabel: String; var answered: Int; var applicable: Int; var evidence: Int
            var openCorrections: Int; var lastActivity: String; var overdue: String?; var notReporting: String?
        }
        struct Progress: Encodable { var phase: String; var done: Int; var of: Int; var percent: Int }
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var progress: [Progress]
        var rows: [Row]
        var total: Int
        var levels: [LevelOption]
        var groups: [LevelOption]
        var statuses: [LevelOption]
        var query: String
        var exportHref: String
        var message: String?
        /// The filter shown, sent back with the marks: "every unit the filter shows" is decided on the server.
        var filter: Filter
        /// The units whose monthly index rose and fell most over the last complete month (issue 33).
        var movers: Movers?

        struct Movers: Encodable {
            var heading: String
            var levels: [Level]
            struct Level: Encodable { var label: String; var rising: [Mover]; var falling: [Mover] }
            struct Mover: Encodable { var name: String; var href: String; var from: String; var to: String; var change: String }
        }
    }

    /// The movers of the units this account sees on the board, by level; nil before February of the period's year.
    static func movers(_ period: Period, board: SeasonBoard, on db: any Database, now: Date) async throws -> BoardPage.Movers? {
        guard let moved = try await IndexTrendService.movers(period, on: db, now: now) else { return nil }
        let visible = Set(board.rows.compactMap(\.unit.id))
        let base = "/periods/\(period.id!)"
        func shown(_ m: IndexTrendService.Mover) -> BoardPage.Movers.Mover {
            .init(name: m.unit.name, href: "\(base)/units/\(m.unit.code.urlPathEncoded)/trend", from: m.from.vietnamese, to: m.to.vietnamese,
                  change: (m.change > .zero ? "+" : "") + m.change.vietnamese)
        }
        let levels = moved.levels.compactMap { level -> BoardPage.Movers.Level? in
            let rising = level.rising.filter { visible.contains($0.unit.id!) }, falling = level.falling.filter { visible.contains($0.unit.id!) }
            return rising.isEmpty && falling.isEmpty ? nil : .init(label: Levels.label(level.level), rising: rising.map(shown), falling: falling.map(shown))
        }
        return .init(heading: "Tăng, giảm nhiều nhất tháng \(moved.month.label) (so với tháng \(moved.previous.label))", levels: levels)
    }

    @Sendable func page(req: Request) async throws -> View {
        let (period, board, filter, rows) = try await load(req)
        let base = "/periods/\(period.id!)"
        let levels = Array(Set(board.rows.map(\.unit.level))).sorted()
        let groups = Array(Set(board.rows.map(\.unit.groupName))).sorted()
        var statuses = SeasonBoard.Status.allCases.compactMap { s -> LevelOption? in
            let n = board.rows.filter { $0.status == s }.count
            return n == 0 ? nil : LevelOption(value: s.rawValue, label: "\(s.label) (\(n))", selected: filter.status == s.rawValue)
        }
        let late = board.rows.filter { $0.overdue != nil }.count
        if late > 0 { statuses.append(LevelOption(value: "overdue", label: "Quá hạn (\(late))", selected: filter.status == "overdue")) }
        let message = req.takeFlash("board-flash")
        let page = BoardPage(
            layout: Layout(req, title: "Bảng theo dõi — \(period.title)"), periodID: period.id!, periodTitle: period.title,
            progress: board.progress.map { .init(phase: $0.phase, done: $0.done, of: $0.of, percent: $0.of == 0 ? 0 : $0.done * 100 / $0.of) },
            rows: rows.map {
                .init(code: $0.unit.code, name: $0.unit.name, href: "\(base)/units/\($0.unit.code.urlPathEncoded)", level: Levels.label($0.unit.level),
                      group: $0.unit.groupName, status: $0.status.rawValue, statusLabel: $0.status.label, answered: $0.answered,
                      applicable: $0.applicable, evidence: $0.evidence, openCorrections: $0.openCorrections,
                      lastActivity: $0.lastActivity.map(DateText.dateTime) ?? "—", overdue: $0.overdue, notReporting: $0.notReporting)
            },
            total: board.rows.count,
            levels: [LevelOption(value: "", label: "Tất cả các cấp", selected: (filter.level ?? "").isEmpty)]
                + levels.map { LevelOption(value: $0, label: Levels.label($0), selected: filter.level == $0) },
            groups: [LevelOption(value: "", label: "Tất cả các nhóm", selected: (filter.group ?? "").isEmpty)]
                + groups.map { LevelOption(value: $0, label: $0, selected: filter.group == $0) },
            statuses: [LevelOption(value: "", label: "Mọi trạng thái", selected: (filter.status ?? "").isEmpty)] + statuses,
            query: filter.q ?? "", exportHref: "\(base)/board.xlsx" + filter.query, message: message,
            filter: filter, movers: try await Self.movers(period, board: board, on: req.db, now: req.now))
        return try await req.view.render("board", page)
    }

    struct MarkInput: Content { var units: [String]; var reason: String }
    struct Marked: Content { var count: Int; var reason: String }

    @Sendable func mark(req: Request) async throws -> Marked {
        let period = try await PeriodService.find(req)
        let input = try req.content.decode(MarkInput.self)
        if input.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && !(req.query[Bool.self, at: "clear"] ?? false) {
            throw Abort(.unprocessableEntity, reason: "Cần ghi lý do đơn vị không báo cáo.")
        }
        let n = try await PeriodService.markNotReporting(period, codes: input.units, reason: input.reason, in: req.context)
        return Marked(count: n, reason: input.reason)
    }

    /// The board's form: the ticked units — or, with `allFiltered`, every unit
    /// the board's filter (sent back with the form) shows — are marked as not
    /// reporting with the reason, or (`clear`) reporting again. Back to the
    /// board with the same filter.
    @Sendable func markForm(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let filter = (try? req.content.decode(Filter.self)) ?? Filter()
        let allFiltered = ((try? req.content.get(String.self, at: "allFiltered")) ?? "").isEmpty == false
        let codes = allFiltered ? try await load(period, req, filter: filter).rows.map(\.unit.code)
                                : (try? req.content.get([String].self, at: "units")) ?? []
        let clear = ((try? req.content.get(String.self, at: "clear")) ?? "").isEmpty == false
        let reason = clear ? "" : ((try? req.content.get(String.self, at: "reason")) ?? "")
        if !clear && reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            req.session.data["board-flash"] = "Chưa đánh dấu: cần ghi lý do đơn vị không báo cáo."
        } else {
            do {
                let n = try await PeriodService.markNotReporting(period, codes: codes, reason: reason, in: req.context)
                req.session.data["board-flash"] = clear ? "Đã bỏ đánh dấu không báo cáo cho \(n) đơn vị." : "Đã đánh dấu \(n) đơn vị không báo cáo."
            } catch let error as DomainError {
                req.session.data["board-flash"] = "Chưa đánh dấu: \(error.message)"
            }
        }
        return req.redirect(to: "/periods/\(period.id!)/board" + filter.query)
    }

}
