import DTICore
import Fluent
import Foundation
import Vapor

/// A unit's index month by month (issue 33): the API and the page. Who may read it is who
/// may read the unit's form (`SelfAssessment.load`): the administrator, evaluators in scope,
/// the council and the unit's own accounts; nobody else before publication.
struct IndexTrendController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "trend", use: api)
        signedIn.get("periods", ":id", "units", ":code", "trend", use: page)
    }

    struct MonthJSON: Content {
        /// "2026-03".
        var month: String
        var index: Double?
        /// Against the month before.
        var change: Double?
        /// The month is under way: the figure is as of now and not kept.
        var live: Bool
    }

    struct TrendJSON: Content {
        var period: UUID
        var unit: String
        var framework: String
        /// The index's kind (điểm, tỉ lệ %, …) as the framework's method names it.
        var method: String
        var months: [MonthJSON]
    }

    func load(_ req: Request) async throws -> (SelfAssessment, [IndexTrendService.Point]) {
        let a = try await SelfAssessment.load(req.context, periodID: req.parameters.get("id", as: UUID.self), unitCode: req.parameters.get("code") ?? "")
        return (a, try await IndexTrendService.unit(a, on: req.db, now: req.context.now))
    }

    @Sendable func api(req: Request) async throws -> Response {
        let (a, points) = try await load(req)
        let body = TrendJSON(period: a.period.id!, unit: a.unit.code, framework: "\(a.frameworkVersion.key)@\(a.frameworkVersion.version)",
                             method: a.framework.framework.method.rawValue,
                             months: points.map { MonthJSON(month: $0.month.description, index: $0.index?.doubleValue, change: $0.change?.doubleValue, live: $0.live) })
        let response = try await body.encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    struct TrendPage: Encodable {
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var unitCode: String
        var unitName: String
        var indexLabel: String
        var scaleMax: String
        var chart: Chart?
        var rows: [Row]
        var boundCriteria: [String]

        struct Row: Encodable { var month: String; var index: String; var change: String; var changeClass: String; var live: Bool }
        struct Chart: Encodable {
            var points: String
            var dots: [Dot]
            var gridlines: [Gridline]
            var summary: String
        }
        struct Dot: Encodable { var x: String; var y: String; var label: String; var month: String; var live: Bool }
        struct Gridline: Encodable { var y: String; var label: String }
    }

    static func decimal(_ value: Double) -> ScaledDecimal { ScaledDecimal(micros: Int64((value * 100).rounded()) * 10_000) }

    /// An SVG line over the months (viewBox 640 × 240), the scale from 0 to the framework's maximum.
    static func chart(_ points: [IndexTrendService.Point], scaleMax: Double) -> TrendPage.Chart? {
        let known = points.filter { $0.index != nil }
        guard !known.isEmpty, scaleMax > 0 else { return nil }
        let left = 44.0, right = 628.0, top = 14.0, bottom = 206.0
        let step = points.count > 1 ? (right - left) / Double(points.count - 1) : 0
        func y(_ value: Double) -> Double { bottom - (bottom - top) * min(max(value / scaleMax, 0), 1) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var dots: [TrendPage.Dot] = []
        for (i, p) in points.enumerated() {
            guard let index = p.index else { continue }
            dots.append(.init(x: f(left + step * Double(i)), y: f(y(index.doubleValue)), label: index.vietnamese,
                              month: "T\(p.month.month)", live: p.live))
        }
        let grid = [0.0, 0.25, 0.5, 0.75, 1.0].map { share in
            TrendPage.Gridline(y: f(y(scaleMax * share)), label: Self.decimal(scaleMax * share).vietnamese)
        }
        let first = known.first!, last = known.last!
        let summary = "Chỉ số từ \(first.index!.vietnamese) (tháng \(first.month.label)) đến \(last.index!.vietnamese) (tháng \(last.month.label)\(last.live ? ", đến nay" : ""))."
        return .init(points: dots.map { "\($0.x),\($0.y)" }.joined(separator: " "), dots: dots, gridlines: grid, summary: summary)
    }

    @Sendable func page(req: Request) async throws -> Response {
        let (a, points) = try await load(req)
        let fw = a.framework
        let scaleMax: Double = switch fw.framework.method {
        case .percent: 100
        case .fraction, .weighted: 1
        case .raw: fw.framework.maxPoints.doubleValue
        }
        let display = fw.framework.display
        func shown(_ value: ScaledDecimal) -> String {
            value.formatted(decimals: display.decimals ?? 2, separator: display.separator, trimZeros: display.trimZeros)
        }
        let rows = points.map { p in
            let change = p.change.map { ($0 > .zero ? "+" : "") + shown($0) } ?? ""
            return TrendPage.Row(month: p.month.label, index: p.index.map(shown) ?? "—", change: change,
                                 changeClass: (p.change ?? .zero) > .zero ? "ok" : (p.change ?? .zero) < .zero ? "need" : "", live: p.live)
        }
        let bound = fw.leaves.compactMap { position -> String? in
            let node = fw.nodes[position]
            return node.feed.map { "\(node.code) \(node.name) (\($0.feed), \($0.field))" }
        }
        let view = TrendPage(layout: Layout(req, title: "Chỉ số theo tháng — \(a.unit.name)"), periodID: a.period.id!, periodTitle: a.period.title,
                             unitCode: a.unit.code, unitName: a.unit.name, indexLabel: fw.framework.method.label,
                             scaleMax: Self.decimal(scaleMax).vietnamese, chart: Self.chart(points, scaleMax: scaleMax),
                             rows: rows.reversed(), boundCriteria: bound)
        let response = try await req.view.render("trend", view).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }
}
