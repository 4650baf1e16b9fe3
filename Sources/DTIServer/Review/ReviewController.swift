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
        // The page's one scoring form: evaluators score, the council confirms or adjusts.
        signedIn.on(.POST, "periods", ":id", "units", ":code", "scores", body: .collect(maxSize: "1mb"), use: scoresForm)
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

    /// Several rows scored in one save: rows with points typed are scored
    /// (the council needs a reason for each); with `confirm_all` the council
    /// also confirms every row it did not touch at its official score. Then
    /// the page again at the first row (post/redirect/get), with what was
    /// saved and each refusal beside its row.
    @Sendable func scoresForm(req: Request) async throws -> Response {
        let a = try await load(req)
        guard let user = req.user else { throw DomainError.unauthenticated }
        let stage: ReviewService.Stage
        switch user.role {
        case .evaluator: stage = .evaluation
        case .councilMember: stage = .council
        default: throw DomainError.forbidden("Chỉ chuyên viên thẩm định và thành viên Hội đồng thẩm định được chấm điểm.")
        }
        let form = try RowForm(body: req.body.data, fields: ["points", "note", "version"])
        let typed = form.order.map { code in
            (code: code, points: (form.first("points", of: code) ?? "").trimmingCharacters(in: .whitespaces),
             note: AnswerSheet.normalised(form.first("note", of: code) ?? ""), version: Int(form.first("version", of: code) ?? "") ?? 0)
        }
        let confirmAll = stage == .council && form.others["confirm_all"] != nil
        var flash = SheetFlash()
        var unscored: [String] = []
        for row in typed {
            var points = row.points, note = row.note
            if points.isEmpty {
                // Untouched: the council's "confirm all" takes the official score; otherwise nothing to do.
                guard confirmAll, let answer = a.answers[row.code], answer.councilPoints == nil else { continue }
                guard let official = answer.finalPoints else { unscored.append(row.code); continue }
                points = PointsText.points(official)
                note = note.isEmpty ? "Hội đồng công nhận điểm thẩm định." : note
            }
            do {
                let permit = try ReviewService.permit(a, stage: stage, user: user, criterion: row.code)
                _ = try await ReviewService.review(a, permit: permit, input: ReviewInput(points: points, note: note, version: row.version), in: req.context)
                flash.saved.append(row.code)
            } catch let error as DomainError where error != .unauthenticated {
                flash.typed[row.code] = .init(value: row.points, b: "", explanation: row.note)
                flash.problems[row.code] = error.reason
            }
        }
        let what = stage == .evaluation ? "điểm thẩm định" : "điểm Hội đồng"
        if flash.saved.isEmpty && flash.problems.isEmpty {
            flash.message = "Chưa nhập điểm nào để lưu."
        } else if !flash.saved.isEmpty {
            flash.message = "Đã lưu \(what) \(flash.saved.count) tiêu chí: \(flash.saved.joined(separator: ", "))."
        }
        if !unscored.isEmpty { flash.errors.append("Chưa công nhận \(unscored.joined(separator: ", ")): chưa có điểm nào để công nhận, hãy nhập điểm.") }
        flash.finish(order: typed.map(\.code))
        return flash.redirect(req, to: a)
    }

    @Sendable func appraise(req: Request) async throws -> Reviewed { try await review(req, .council) }
}
