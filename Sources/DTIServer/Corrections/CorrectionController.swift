import DTICore
import Fluent
import Vapor

/// Correction requests: the evaluator sends back one criterion with a
/// message; the unit fixes it and answers in the thread; the evaluator closes it.
struct CorrectionController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Signed in; readers as for the self-assessment, writers checked per action.
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "corrections", use: list)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "corrections", use: open)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "corrections", ":criterion", "messages", use: reply)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "corrections", ":criterion", "close", use: close)
        // The same three actions as browser forms on the self-assessment page.
        signedIn.post("periods", ":id", "units", ":code", "corrections", use: openForm)
        signedIn.post("periods", ":id", "units", ":code", "corrections", ":criterion", "messages", use: replyForm)
        signedIn.post("periods", ":id", "units", ":code", "corrections", ":criterion", "close", use: closeForm)
    }

    func load(_ req: Request) async throws -> SelfAssessment {
        try await SelfAssessment.load(req.context, periodID: req.parameters.get("id", as: UUID.self), unitCode: req.parameters.get("code") ?? "")
    }

    @Sendable func list(req: Request) async throws -> [CorrectionService.Thread] { try await CorrectionService.threads(try await load(req), on: req.db) }

    struct OpenInput: Content { var criterion: String; var message: String }
    struct MessageInput: Content { var message: String }

    @Sendable func open(req: Request) async throws -> Response {
        let a = try await load(req)
        guard req.user!.role == .evaluator else { throw Abort(.forbidden, reason: "Chỉ chuyên viên thẩm định được gửi yêu cầu bổ sung, chỉnh sửa.") }
        let input = try req.content.decode(OpenInput.self)
        try await CorrectionService.open(a, criterion: input.criterion, message: input.message, in: req.context)
        return try await CorrectionService.threads(try await load(req), on: req.db).encodeResponse(status: .created, for: req)
    }

    @Sendable func reply(req: Request) async throws -> [CorrectionService.Thread] {
        let a = try await load(req)
        // Who may write is decided once, before the body is read.
        let permit = try CorrectionService.permit(a, user: req.user, criterion: req.parameters.get("criterion") ?? "", closing: false)
        try await CorrectionService.reply(a, permit: permit, message: try req.content.decode(MessageInput.self).message, in: req.context)
        return try await CorrectionService.threads(try await load(req), on: req.db)
    }

    @Sendable func close(req: Request) async throws -> [CorrectionService.Thread] {
        let a = try await load(req)
        let permit = try CorrectionService.permit(a, user: req.user, criterion: req.parameters.get("criterion") ?? "", closing: true)
        try await CorrectionService.close(a, permit: permit, in: req.context)
        return try await CorrectionService.threads(try await load(req), on: req.db)
    }

    // MARK: Forms

    struct OpenForm: Content { var criterion: String?; var message: String? }

    @Sendable func openForm(req: Request) async throws -> Response {
        try await SelfAssessmentController.formAction(req) { a in
            let form = try req.content.decode(OpenForm.self)
            try await CorrectionService.open(a, criterion: form.criterion ?? "", message: form.message ?? "", in: req.context)
            return "Đã gửi yêu cầu bổ sung, chỉnh sửa tiêu chí \(form.criterion ?? "")."
        }
    }

    @Sendable func replyForm(req: Request) async throws -> Response {
        try await SelfAssessmentController.formAction(req) { a in
            let criterion = req.parameters.get("criterion") ?? ""
            let permit = try CorrectionService.permit(a, user: req.user, criterion: criterion, closing: false)
            try await CorrectionService.reply(a, permit: permit, message: try req.content.decode(OpenForm.self).message ?? "", in: req.context)
            return "Đã gửi ý kiến về tiêu chí \(criterion)."
        }
    }

    @Sendable func closeForm(req: Request) async throws -> Response {
        try await SelfAssessmentController.formAction(req) { a in
            let criterion = req.parameters.get("criterion") ?? ""
            let permit = try CorrectionService.permit(a, user: req.user, criterion: criterion, closing: true)
            try await CorrectionService.close(a, permit: permit, in: req.context)
            return "Đã đóng yêu cầu về tiêu chí \(criterion); tiêu chí được khóa lại."
        }
    }
}
