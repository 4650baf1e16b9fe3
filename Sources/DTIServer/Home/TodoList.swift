import DTICore
import Fluent
import Vapor

/// "Việc cần làm": what the signed-in account should do next, per role.
/// The focal point and the leader see their unit's form in each running
/// period; evaluators, the council and the administrator see the units in
/// their scope by status, the correction requests, and the live ranking.
struct TodoList: Encodable {
    struct Link: Encodable { var label: String; var href: String }

    struct UnitForm: Encodable {
        var periodTitle: String
        var href: String
        var statusLabel: String
        var answered: Int
        var applicable: Int
        var deadline: String?
        var deadlineText: String?
        var total: String
        var applicableMax: String
        var needsEvidence: Int
        var corrections: [Link]
        /// The leader: the form waits for their decision.
        var awaitsMe: Bool
        var returnReason: String?
    }

    struct UnitRow: Encodable {
        var name: String
        var href: String
        var status: String
        var statusLabel: String
        var detail: String
    }

    struct StatusCount: Encodable { var key: String; var label: String; var count: Int; var href: String; var current: Bool }

    struct PeriodWork: Encodable {
        var title: String
        var href: String
        var rankingHref: String
        var phase: String?
        var counts: [StatusCount]
        var units: [UnitRow]
        var correctionsOpen: [Link]
        var correctionsAnswered: [Link]
        var filter: String?
    }

    var forms: [UnitForm] = []
    var periods: [PeriodWork] = []
    var isUnit = false
    var isCouncil = false

    /// Periods still running: not locked, with phases, the last not over.
    static func running(on db: any Database, today: String) async throws -> [Period] {
        try await Period.query(on: db).filter(\.$locked == false).filter(\.$resultsOnly == false).with(\.$phases).with(\.$frameworks) { $0.with(\.$frameworkVersion) }
            .sort(\.$year, .descending).all()
            .filter { p in !p.phases.isEmpty && p.phases.contains { $0.endsOn >= today } }
    }

    static func load(for user: UserAccount, ctx: ServiceContext, filter: String?) async throws -> TodoList {
        var list = TodoList()
        let periods = try await running(on: ctx.db, today: ctx.today)
        switch user.role {
        case .focalPoint, .unitLeader:
            list.isUnit = true
            guard let unitID = user.$unit.id, let unit = try await UnitModel.find(unitID, on: ctx.db) else { return list }
            for period in periods where period.frameworks.contains(where: { $0.level == unit.level }) {
                // A period for other units (the 2026 one for the sở and communes after the reform) is not this unit's work.
                guard try await Participation.includes(period, unit: unit, on: ctx.db) else { continue }
                let a = try await SelfAssessment.load(ctx, periodID: period.id, unitCode: unit.code)
                let view = SelfAssessmentView(a, for: user, context: try await AssessmentContext.load(a, for: user, on: ctx.db))
                let href = SelfAssessmentController.path(a)
                list.forms.append(UnitForm(
                    periodTitle: period.title, href: href, statusLabel: view.statusLabel, answered: view.checklist.answered,
                    applicable: view.checklist.applicable, deadline: view.checklist.deadline, deadlineText: view.checklist.deadlineText,
                    total: view.totalPoints, applicableMax: view.applicableMax, needsEvidence: view.checklist.needsEvidence.count,
                    corrections: view.checklist.openCorrections.map { Link(label: $0.label, href: href + "#c-\($0.key)") },
                    awaitsMe: user.role == .unitLeader && a.submission?.state == .awaitingApproval, returnReason: view.returnReason))
            }
        case .evaluator, .councilMember, .administrator:
            list.isCouncil = user.role == .councilMember
            for period in periods {
                list.periods.append(try await work(period, for: user, ctx: ctx, filter: filter))
            }
        case .viewer:
            break
        }
        return list
    }

    /// Each unit of a running period in the account's scope, by status.
    static func work(_ period: Period, for user: UserAccount, ctx: ServiceContext, filter: String?) async throws -> PeriodWork {
        let board = try await SeasonBoard.load(period, for: user, today: ctx.today, on: ctx.db)
        // The open and answered correction requests, by criterion, from the board's rows.
        var open: [Link] = [], answered: [Link] = []
        for (unit, t) in board.rows.flatMap({ row in row.corrections.map { (row.unit, $0) } }).sorted(by: { $0.1.criterion < $1.1.criterion }) {
            let link = Link(label: "\(unit.name) — tiêu chí \(t.criterion)", href: "/periods/\(period.id!)/units/\(unit.code.urlPathEncoded)#c-\(t.criterion)")
            if t.status == CorrectionRequest.Status.answered.rawValue { answered.append(link) } else { open.append(link) }
        }
        let rows = board.rows.sorted { VietnameseText.precedes($0.unit.name, $1.unit.name) }.map { r in
            let label = r.status == .submitted && user.role == .councilMember ? "Chờ Hội đồng thẩm định" : r.status.label
            let detail = r.status == .evaluating || r.status == .appraised ? "\(r.councilScored) tiêu chí có điểm Hội đồng" : (r.overdue ?? "")
            return UnitRow(name: r.unit.name, href: "/periods/\(period.id!)/units/\(r.unit.code.urlPathEncoded)", status: r.status.rawValue,
                           statusLabel: label, detail: detail)
        }
        let counts = SeasonBoard.Status.allCases.compactMap { status -> StatusCount? in
            let matching = rows.filter { $0.status == status.rawValue }
            guard let first = matching.first else { return nil }
            return StatusCount(key: status.rawValue, label: first.statusLabel, count: matching.count, href: "/?status=" + status.rawValue, current: filter == status.rawValue)
        }
        return PeriodWork(title: period.title, href: "/periods/\(period.id!)", rankingHref: "/periods/\(period.id!)/ranking",
                          phase: PeriodController.summary(period, phases: period.phases, today: ctx.today).currentPhase,
                          counts: counts, units: filter.map { f in rows.filter { $0.status == f } } ?? rows,
                          correctionsOpen: open, correctionsAnswered: answered, filter: filter)
    }
}
