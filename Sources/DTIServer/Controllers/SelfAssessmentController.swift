import Fluent
import Vapor

/// Self-assessment: the unit's form, saving answers, submitting to the unit
/// leader, and the leader's approval or return.
struct SelfAssessmentController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Signed in; `SelfAssessment.load` allows the administrator, evaluators
        // in scope, council members and the unit's own accounts; saving needs
        // the unit's focal point, approving its leader.
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.get("periods", ":id", "units", ":code", use: page)
        signedIn.post("periods", ":id", "units", ":code", "answers", ":criterion", use: saveForm)
        signedIn.post("periods", ":id", "units", ":code", "submit", use: submitForm)
        signedIn.post("periods", ":id", "units", ":code", "decision", use: decisionForm)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "self-assessment", use: show)
        signedIn.put("api", "v1", "periods", ":id", "units", ":code", "answers", ":criterion", use: save)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "submit", use: submit)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "approve", use: approve)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "return", use: sendBack)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "changes", use: changes)
    }

    func load(_ req: Request) async throws -> SelfAssessment {
        try await SelfAssessment.load(req, periodID: req.parameters.get("id", as: UUID.self), unitCode: req.parameters.get("code") ?? "")
    }

    // MARK: API

    @Sendable func show(req: Request) async throws -> SelfAssessmentView {
        SelfAssessmentView(try await load(req), for: req.user!)
    }

    struct Saved: Content {
        var criterion: String
        var version: Int
        var points: String
        var view: SelfAssessmentView
    }

    struct ConflictAnswer: Content {
        var error: Bool
        var reason: String
        var criterion: String
        var currentValue: String
        var currentB: String
        var currentVersion: Int
        var updatedBy: String
    }

    @Sendable func save(req: Request) async throws -> Response {
        let assessment = try await load(req)
        // Who may write is decided before the body is read.
        let criterion = req.parameters.get("criterion") ?? ""
        if let refusal = assessment.editRefusal(for: req.user!, criterion: criterion) { throw refusal.abort }
        switch try await SelfAssessmentService.save(assessment, criterion: criterion, input: try req.content.decode(AnswerInput.self), on: req) {
        case .saved(let answer):
            let fresh = try await load(req)
            return try await Saved(criterion: criterion, version: answer.version,
                                   points: PointsText.points(answer.selfPoints), view: SelfAssessmentView(fresh, for: req.user!)).encodeResponse(for: req)
        case .conflict(let current):
            let response = try await ConflictAnswer(
                error: true, reason: "Tiêu chí \(criterion) vừa được \(current.updatedBy) lưu (phiên bản \(current.version)); số liệu của bạn chưa được lưu. Hãy xem giá trị hiện tại rồi lưu lại.",
                criterion: criterion, currentValue: current.value, currentB: current.b, currentVersion: current.version, updatedBy: current.updatedBy
            ).encodeResponse(for: req)
            response.status = .conflict
            return response
        }
    }

    @Sendable func submit(req: Request) async throws -> SelfAssessmentView {
        _ = try await SelfAssessmentService.submit(try await load(req), on: req)
        return SelfAssessmentView(try await load(req), for: req.user!)
    }

    struct Reason: Content { var reason: String? }

    @Sendable func approve(req: Request) async throws -> SelfAssessmentView {
        _ = try await SelfAssessmentService.decide(try await load(req), approve: true, reason: (try? req.content.decode(Reason.self))?.reason ?? "", on: req)
        return SelfAssessmentView(try await load(req), for: req.user!)
    }

    @Sendable func sendBack(req: Request) async throws -> SelfAssessmentView {
        let assessment = try await load(req)
        try SelfAssessmentService.requireLeader(assessment, req.user!)
        _ = try await SelfAssessmentService.decide(assessment, approve: false, reason: (try req.content.decode(Reason.self)).reason ?? "", on: req)
        return SelfAssessmentView(try await load(req), for: req.user!)
    }

    struct Change: Content {
        var at: Date?
        var criterion: String
        var actor: String
        var field: String
        var oldValue: String
        var newValue: String
        var reason: String
    }

    @Sendable func changes(req: Request) async throws -> [Change] {
        let assessment = try await load(req)
        guard let submission = assessment.submission else { return [] }
        return try await ChangeEntry.query(on: req.db).filter(\.$submissionID == submission.id!).sort(\.$at).all().map {
            Change(at: $0.at, criterion: $0.criterion, actor: $0.actor, field: $0.field, oldValue: $0.oldValue, newValue: $0.newValue, reason: $0.reason)
        }
    }

    // MARK: Pages

    struct Page: Encodable {
        var layout: Layout
        var a: SelfAssessmentView
        var message: String?
        var errors: [String]
    }

    func render(_ req: Request, message: String? = nil, errors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        let view = SelfAssessmentView(try await load(req), for: req.user!)
        let response = try await req.view.render("self-assessment", Page(layout: Layout(req, title: "Tự đánh giá — \(view.unitName)"), a: view, message: message, errors: errors))
            .encodeResponse(for: req)
        response.status = status
        return response
    }

    @Sendable func page(req: Request) async throws -> Response { try await render(req) }

    struct AnswerForm: Content {
        var value: String?
        var b: String?
        var explanation: String?
        var version: Int?
        var parts: [String]?
    }

    @Sendable func saveForm(req: Request) async throws -> Response {
        let assessment = try await load(req)
        let criterion = req.parameters.get("criterion") ?? ""
        let form = try req.content.decode(AnswerForm.self)
        // Checkboxes of a "parts" criterion arrive as a list.
        let value = form.parts.map { $0.joined(separator: ";") } ?? form.value ?? ""
        let input = AnswerInput(value: value.isEmpty && form.parts != nil ? "-" : value, b: form.b, explanation: form.explanation, version: form.version ?? 0)
        do {
            switch try await SelfAssessmentService.save(assessment, criterion: criterion, input: input, on: req) {
            case .saved: return req.redirect(to: "/periods/\(assessment.period.id!)/units/\(assessment.unit.code.urlPathEncoded)#c-\(criterion)")
            case .conflict(let current):
                return try await render(req, errors: ["Tiêu chí \(criterion) vừa được \(current.updatedBy) lưu; số liệu của bạn chưa được lưu. Giá trị hiện tại đang hiển thị, hãy kiểm tra rồi lưu lại."], status: .conflict)
            }
        } catch let abort as Abort where [.unprocessableEntity, .forbidden, .notFound, .conflict].contains(abort.status) {
            return try await render(req, errors: [abort.reason], status: abort.status)
        }
    }

    @Sendable func submitForm(req: Request) async throws -> Response {
        do {
            _ = try await SelfAssessmentService.submit(try await load(req), on: req)
            return try await render(req, message: "Đã gửi lãnh đạo đơn vị duyệt.")
        } catch let abort as Abort where abort.status == .unprocessableEntity || abort.status == .forbidden || abort.status == .conflict {
            return try await render(req, errors: abort.reason.split(separator: "\n").map(String.init), status: abort.status)
        }
    }

    struct DecisionForm: Content {
        var decision: String
        var reason: String?
    }

    @Sendable func decisionForm(req: Request) async throws -> Response {
        do {
            let assessment = try await load(req)
            try SelfAssessmentService.requireLeader(assessment, req.user!)
            let form = try req.content.decode(DecisionForm.self)
            _ = try await SelfAssessmentService.decide(assessment, approve: form.decision == "approve", reason: form.reason ?? "", on: req)
            return try await render(req, message: form.decision == "approve" ? "Đã duyệt và gửi thẩm định." : "Đã trả lại cán bộ đầu mối.")
        } catch let abort as Abort where abort.status == .unprocessableEntity || abort.status == .forbidden || abort.status == .conflict {
            return try await render(req, errors: [abort.reason], status: abort.status)
        }
    }
}
