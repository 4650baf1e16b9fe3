import DTICore
import Fluent
import Vapor

/// Preliminary results (công bố kết quả dự kiến) and complaints: the
/// administrator sends them, each unit reads its own and complains per
/// criterion with evidence, evaluators and the council answer.
struct ComplaintController: RouteCollection {
    let maxBytes: Int

    func boot(routes: any RoutesBuilder) throws {
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.post("periods", ":id", "publication", "preliminary", use: preliminaryForm)
        admin.post("api", "v1", "periods", ":id", "preliminary", use: preliminary)
        // Signed in; who may read a unit's results is the self-assessment's rule.
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.get("periods", ":id", "units", ":code", "results", use: unitPage)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "complaints", use: unitList)
        // The unit's focal point (the service checks it); the form streams its file.
        signedIn.on(.POST, "periods", ":id", "units", ":code", "complaints", body: .stream, use: fileForm)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "complaints", use: fileJSON)
        // The administrator, evaluators and the council read; evaluators and the council answer.
        let reviewers = routes.grouped(RoleGuard(.administrator, .evaluator, .councilMember))
        reviewers.get("periods", ":id", "complaints", use: listPage)
        reviewers.get("api", "v1", "periods", ":id", "complaints", use: list)
        let scorers = routes.grouped(RoleGuard(.evaluator, .councilMember))
        scorers.post("periods", ":id", "complaints", ":complaint", "answer", use: answerForm)
        scorers.post("api", "v1", "periods", ":id", "complaints", ":complaint", "answer", use: answerJSON)
    }

    // MARK: Preliminary results

    struct PreliminaryInput: Content { var complaintsUntil: String }

    @Sendable func preliminary(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        do {
            try await ComplaintService.preliminary(period, until: try req.content.decode(PreliminaryInput.self).complaintsUntil, in: req.context)
        } catch let refused as ResultsService.NotReady {
            return try await refused.response(for: req)
        }
        return try await PublicationReadiness.evaluate(period, today: req.today, on: req.db).encodeResponse(for: req)
    }

    @Sendable func preliminaryForm(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let until = (try? req.content.get(String.self, at: "complaints_until")) ?? ""
        do {
            try await ComplaintService.preliminary(period, until: until, in: req.context)
            req.session.data["publication-flash"] = "Đã gửi kết quả dự kiến cho các đơn vị; khiếu nại đến hết ngày \(DateText.display(until))."
        } catch is ResultsService.NotReady {
            req.session.data["publication-flash"] = "Chưa gửi kết quả dự kiến: còn điều kiện chưa đạt (xem danh sách dưới đây)."
        } catch let error as DomainError {
            req.session.data["publication-flash"] = "Chưa gửi kết quả dự kiến: \(error.message)"
        }
        return req.redirect(to: "/periods/\(period.id!)/publication")
    }

    // MARK: A unit's preliminary results and its complaints

    struct ComplaintRow: Content {
        var id: UUID
        var unitCode: String
        var unitName: String
        var criterion: String
        var criterionName: String
        var text: String
        var evidenceID: UUID?
        var evidenceName: String?
        var filedBy: String
        var filedAt: Date?
        var status: String
        var statusLabel: String
        var answer: String
        var answeredBy: String
        var answeredAt: Date?
        var pointsBefore: String?
        var pointsAfter: String?
    }

    static func rows(_ complaints: [Complaint], on db: any Database) async throws -> [ComplaintRow] {
        let units = Dictionary(try await UnitModel.query(on: db).filter(\.$id ~~ Array(Set(complaints.map(\.$unit.id)))).all().map { ($0.id!, $0) },
                               uniquingKeysWith: { a, _ in a })
        let files = Dictionary(try await EvidenceFile.query(on: db).filter(\.$id ~~ complaints.compactMap(\.evidenceID)).all().map { ($0.id!, $0.originalName) },
                               uniquingKeysWith: { a, _ in a })
        var names: [UUID: [String: String]] = [:]
        for c in complaints where names[c.$period.id] == nil {
            guard let period = try await PeriodService.load(c.$period.id, on: db) else { continue }
            var map: [String: String] = [:]
            for link in period.frameworks {
                let fw = try FrameworkCatalog.compiled(link.frameworkVersion)
                for leaf in fw.leaves { map[fw.nodes[leaf].code] = fw.nodes[leaf].name }
            }
            names[c.$period.id] = map
        }
        let people = try await AccountDirectory.displayNames(on: db)
        return complaints.map { c in
            ComplaintRow(id: c.id!, unitCode: units[c.$unit.id]?.code ?? "", unitName: units[c.$unit.id]?.name ?? "", criterion: c.criterion,
                         criterionName: names[c.$period.id]?[c.criterion] ?? "", text: c.text, evidenceID: c.evidenceID,
                         evidenceName: c.evidenceID.flatMap { files[$0] }, filedBy: people[c.filedBy] ?? c.filedBy, filedAt: c.createdAt, status: c.status,
                         statusLabel: c.state.label, answer: c.answer, answeredBy: people[c.answeredBy] ?? c.answeredBy, answeredAt: c.answeredAt,
                         pointsBefore: c.pointsBefore.map(PointsText.points), pointsAfter: c.state == .accepted ? c.pointsAfter.map(PointsText.points) : nil)
        }
    }

    @Sendable func unitList(req: Request) async throws -> [ComplaintRow] {
        let a = try await SelfAssessmentController().load(req)
        return try await Self.rows(try await Complaint.query(on: req.db).filter(\.$period.$id == a.period.id!).filter(\.$unit.$id == a.unit.id!)
            .sort(\.$createdAt).all(), on: req.db)
    }

    struct UnitResultsPage: Encodable {
        struct Line: Encodable { var code: String; var name: String; var max: String; var own: String; var evaluator: String; var council: String; var official: String }
        struct Choice: Encodable { var code: String; var label: String }
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var unitName: String
        var formHref: String
        var total: String
        var index: String
        var rank: String
        var band: String
        var groupName: String
        var lines: [Line]
        var complaints: [ComplaintRow]
        var until: String?
        var open: Bool
        var closedReason: String?
        var canFile: Bool
        var choices: [Choice]
        var message: String?
        var errors: [String]
        var typedCriterion: String
        var typedText: String
    }

    func renderUnit(_ req: Request, _ a: SelfAssessment, message: String? = nil, errors: [String] = [], criterion: String = "", text: String = "",
                    status: HTTPStatus = .ok) async throws -> Response {
        guard a.period.preliminaryAt != nil || a.period.locked else {
            throw Abort(.notFound, reason: "Kỳ đánh giá này chưa có kết quả dự kiến.")
        }
        let fw = a.framework
        let tags = Set(a.unit.tagList)
        let lines = fw.leaves.filter { fw.nodes[$0].applicability.applies(toUnitTagged: tags) }.map { leaf -> UnitResultsPage.Line in
            let node = fw.nodes[leaf]
            let answer = a.answers[node.code]
            func p(_ v: Int64?) -> String { v.map(PointsText.points) ?? "-" }
            return .init(code: node.code, name: node.name, max: FrameworkCatalog.text(node.max), own: p(answer?.selfPoints), evaluator: p(answer?.evaluatorPoints),
                         council: p(answer?.councilPoints), official: p(answer?.finalPoints))
        }
        var total = "-", index = "-", rank = "-", band = "-"
        if let level = try await ResultsService.compute(a.period, on: req.db).first(where: { $0.level == a.unit.level }),
           let unit = level.result.ranking.units.first(where: { $0.row.unit == a.unit.name }) {
            total = unit.row.points.map { PointsText.points($0.value) } ?? "-"
            index = unit.display
            rank = unit.rankText
            band = unit.band ?? "-"
        }
        let complaints = try await Self.rows(try await Complaint.query(on: req.db).filter(\.$period.$id == a.period.id!).filter(\.$unit.$id == a.unit.id!)
            .sort(\.$createdAt).all(), on: req.db)
        let refusal = ComplaintService.windowRefusal(a.period, today: req.today)
        let user = req.user!
        let page = UnitResultsPage(
            layout: Layout(req, title: "Kết quả dự kiến — \(a.unit.name)"), periodID: a.period.id!, periodTitle: a.period.title, unitName: a.unit.name,
            formHref: SelfAssessmentController.path(a), total: total, index: index, rank: rank, band: band, groupName: a.unit.groupName, lines: lines,
            complaints: complaints, until: a.period.complaintsUntil.map(DateText.display), open: refusal == nil, closedReason: refusal,
            canFile: refusal == nil && user.role == .focalPoint && user.$unit.id == a.unit.id,
            choices: lines.map { .init(code: $0.code, label: "\($0.code) — \($0.name)") }, message: message, errors: errors,
            typedCriterion: criterion, typedText: text)
        return try await req.view.render("unit-results", page).encodeResponse(status: status, for: req)
    }

    @Sendable func unitPage(req: Request) async throws -> Response {
        let a = try await SelfAssessmentController().load(req)
        let message = req.takeFlash("complaint-flash")
        return try await renderUnit(req, a, message: message)
    }

    struct FileInput: Content { var criterion: String; var text: String }

    @Sendable func fileJSON(req: Request) async throws -> Response {
        let a = try await SelfAssessmentController().load(req)
        guard let user = req.user, user.role == .focalPoint, user.$unit.id == a.unit.id else {
            throw DomainError.forbidden("Chỉ cán bộ đầu mối của đơn vị được gửi khiếu nại.")
        }
        let input = try req.content.decode(FileInput.self)
        let complaint = try await ComplaintService.file(a, criterion: input.criterion, text: input.text, evidence: nil, in: req.context)
        return try await Self.rows([complaint], on: req.db)[0].encodeResponse(status: .created, for: req)
    }

    /// The unit page's form: criterion and text first, then an optional file,
    /// streamed and checked by its content like any evidence.
    @Sendable func fileForm(req: Request) async throws -> Response {
        let a = try await SelfAssessmentController().load(req)
        var fields: [String: String] = [:]
        var intake: EvidenceService.Intake?
        var declared: EvidenceKind?
        var fileName = ""
        var stored: (storedName: String, size: Int, sha256: String)?
        do {
            guard let user = req.user, user.role == .focalPoint, user.$unit.id == a.unit.id else {
                throw DomainError.forbidden("Chỉ cán bộ đầu mối của đơn vị được gửi khiếu nại.")
            }
            if let refusal = ComplaintService.windowRefusal(a.period, today: req.today) { throw DomainError.conflict(refusal) }
            try await MultipartStream.read(req) { event in
                switch event {
                case .field(let name, let value): fields[name] = value
                case .fileStart(_, let name):
                    guard !name.isEmpty else { return }
                    guard intake == nil else { throw Abort(.unprocessableEntity, reason: "Mỗi khiếu nại chỉ kèm một tệp.") }
                    guard let kind = EvidenceKind(fileName: name) else { throw Abort(.unsupportedMediaType, reason: EvidenceKind.refusal(name)) }
                    let problems = EvidenceService.nameProblems(name)
                    if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
                    fileName = name
                    declared = kind
                    intake = try EvidenceService.Intake(req.application.fileStore, maxBytes: maxBytes)
                case .fileData(let chunk): try intake?.append(chunk)
                case .fileEnd:
                    if let intake, let declared { stored = try intake.commit(named: fileName, declared: declared) }
                }
            }
            let evidence = stored.map { ComplaintService.Evidence(fileName: fileName, kind: declared!, stored: $0) }
            let complaint = try await ComplaintService.file(a, criterion: fields["criterion"] ?? "", text: fields["text"] ?? "", evidence: evidence, in: req.context)
            req.session.data["complaint-flash"] = "Đã gửi khiếu nại tiêu chí \(complaint.criterion)."
            return req.redirect(to: SelfAssessmentController.path(a) + "/results")
        } catch {
            if let stored { try? req.application.fileStore.remove(stored.storedName) } else { intake?.discard() }
            // Without preliminary results there is no page to show the refusal on.
            guard a.period.preliminaryAt != nil || a.period.locked, (error as? DomainError).map({ $0.status != .forbidden }) ?? true else { throw error }
            let (status, reason): (HTTPStatus, String)
            switch error {
            case let e as DomainError where e != .unauthenticated: (status, reason) = (e.status, e.message)
            case let e as Abort: (status, reason) = (e.status, e.reason)
            default: throw error
            }
            return try await renderUnit(req, a, errors: reason.components(separatedBy: "\n"), criterion: fields["criterion"] ?? "",
                                        text: fields["text"] ?? "", status: status)
        }
    }

    // MARK: The reviewers' list and answers

    func scoped(_ req: Request, _ period: Period) async throws -> [Complaint] {
        var complaints = try await Complaint.query(on: req.db).filter(\.$period.$id == period.id!).sort(\.$createdAt).all()
        if let user = req.user, user.role == .evaluator {
            let scope = AccountDirectory.list(user.scopeUnits)
            if !scope.isEmpty {
                let ids = Set(try await UnitModel.query(on: req.db).filter(\.$code ~~ scope).all().compactMap(\.id))
                complaints = complaints.filter { ids.contains($0.$unit.id) }
            }
        }
        return complaints
    }

    @Sendable func list(req: Request) async throws -> [ComplaintRow] {
        let period = try await PeriodService.find(req)
        return try await Self.rows(try await scoped(req, period), on: req.db)
    }

    struct ListPage: Encodable {
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var complaints: [ComplaintRow]
        var canAnswer: Bool
        var until: String?
        var message: String?
    }

    @Sendable func listPage(req: Request) async throws -> View {
        let period = try await PeriodService.find(req)
        let message = req.takeFlash("complaint-flash")
        let user = req.user!
        return try await req.view.render("complaints", ListPage(
            layout: Layout(req, title: "Khiếu nại kết quả dự kiến — \(period.title)"), periodID: period.id!, periodTitle: period.title,
            complaints: try await Self.rows(try await scoped(req, period), on: req.db),
            canAnswer: (user.role == .evaluator || user.role == .councilMember) && !period.locked,
            until: period.complaintsUntil.map(DateText.display), message: message))
    }

    struct AnswerInput: Content { var accept: Bool; var points: String?; var reason: String }

    func complaint(_ req: Request, _ period: Period) async throws -> Complaint {
        guard let id = req.parameters.get("complaint", as: UUID.self),
              let complaint = try await scoped(req, period).first(where: { $0.id == id }) else {
            throw Abort(.notFound, reason: "Không có khiếu nại này.")
        }
        return complaint
    }

    @Sendable func answerJSON(req: Request) async throws -> ComplaintRow {
        let period = try await PeriodService.find(req)
        let c = try await complaint(req, period)
        let input = try req.content.decode(AnswerInput.self)
        try await ComplaintService.answer(c, accept: input.accept, points: input.points ?? "", reason: input.reason, in: req.context)
        return try await Self.rows([c], on: req.db)[0]
    }

    @Sendable func answerForm(req: Request) async throws -> Response {
        let period = try await PeriodService.find(req)
        let c = try await complaint(req, period)
        let accept = ((try? req.content.get(String.self, at: "decision")) ?? "") == "accept"
        do {
            try await ComplaintService.answer(c, accept: accept, points: (try? req.content.get(String.self, at: "points")) ?? "",
                                              reason: (try? req.content.get(String.self, at: "reason")) ?? "", in: req.context)
            req.session.data["complaint-flash"] = "Đã trả lời khiếu nại tiêu chí \(c.criterion): " + (accept ? "chấp nhận." : "không chấp nhận.")
        } catch let error as DomainError where error != .unauthenticated {
            req.session.data["complaint-flash"] = "Chưa trả lời được khiếu nại tiêu chí \(c.criterion): \(error.message)"
        }
        return req.redirect(to: "/periods/\(period.id!)/complaints#k-\(c.id!)")
    }
}
