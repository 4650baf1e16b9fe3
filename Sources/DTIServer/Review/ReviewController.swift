import DTIFormats
import Fluent
import Vapor

/// Evaluation and council appraisal of each criterion (the live ranking and
/// publication are in `PublicationController`).
struct ReviewController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Signed in; the service allows evaluators (in scope) and council members.
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.put("api", "v1", "periods", ":id", "units", ":code", "evaluation", ":criterion", use: evaluate)
        signedIn.put("api", "v1", "periods", ":id", "units", ":code", "council", ":criterion", use: appraise)
        signedIn.post("periods", ":id", "units", ":code", "evaluation", ":criterion", use: evaluateForm)
        signedIn.post("periods", ":id", "units", ":code", "council", ":criterion", use: appraiseForm)
    }

    func load(_ req: Request) async throws -> SelfAssessment {
        try await SelfAssessment.load(req.context, periodID: req.parameters.get("id", as: UUID.self), unitCode: req.parameters.get("code") ?? "")
    }

    struct Reviewed: Content {
        var criterion: String
        var version: Int
        var selfPoints: String
        var evaluatorPoints: String
        var councilPoints: String
        var finalPoints: String
    }

    func reviewed(_ a: Answer) -> Reviewed {
        Reviewed(criterion: a.criterion, version: a.version, selfPoints: PointsText.points(a.selfPoints),
                 evaluatorPoints: PointsText.points(a.evaluatorPoints), councilPoints: PointsText.points(a.councilPoints),
                 finalPoints: PointsText.points(a.finalPoints))
    }

    func review(_ req: Request, _ stage: ReviewService.Stage) async throws -> Reviewed {
        let a = try await load(req)
        let criterion = req.parameters.get("criterion") ?? ""
        // Who may score is decided once, before the body is read.
        let permit = try ReviewService.permit(a, stage: stage, user: req.user, criterion: criterion)
        return reviewed(try await ReviewService.review(a, permit: permit, input: try req.content.decode(ReviewInput.self), in: req.context))
    }

    @Sendable func evaluate(req: Request) async throws -> Reviewed { try await review(req, .evaluation) }

    struct ReviewForm: Content { var points: String?; var note: String?; var version: Int? }

    func reviewForm(_ req: Request, _ stage: ReviewService.Stage) async throws -> Response {
        try await SelfAssessmentController.formAction(req) { a in
            let criterion = req.parameters.get("criterion") ?? ""
            let form = try req.content.decode(ReviewForm.self)
            let permit = try ReviewService.permit(a, stage: stage, user: req.user, criterion: criterion)
            let answer = try await ReviewService.review(a, permit: permit,
                                                        input: ReviewInput(points: form.points ?? "", note: form.note, version: form.version ?? 0), in: req.context)
            return "Tiêu chí \(criterion): \(stage == .evaluation ? "điểm thẩm định" : "điểm Hội đồng") \(PointsText.points(stage == .evaluation ? answer.evaluatorPoints : answer.councilPoints)); điểm chính thức \(PointsText.points(answer.finalPoints))."
        }
    }

    @Sendable func evaluateForm(req: Request) async throws -> Response { try await reviewForm(req, .evaluation) }
    @Sendable func appraiseForm(req: Request) async throws -> Response { try await reviewForm(req, .council) }
    @Sendable func appraise(req: Request) async throws -> Reviewed { try await review(req, .council) }
}
