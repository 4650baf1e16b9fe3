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
        try await SelfAssessment.load(req, periodID: req.parameters.get("id", as: UUID.self), unitCode: req.parameters.get("code") ?? "")
    }

    struct Thread: Content {
        struct Message: Content { var author: String; var text: String; var at: Date? }
        var criterion: String
        var status: String
        var createdBy: String
        var messages: [Message]
    }

    func threads(_ a: SelfAssessment, on db: any Database) async throws -> [Thread] {
        guard let submission = a.submission else { return [] }
        return try await CorrectionRequest.query(on: db).filter(\.$submission.$id == submission.id!).with(\.$messages).sort(\.$createdAt).all().map { r in
            Thread(criterion: r.criterion, status: r.status, createdBy: r.createdBy,
                   messages: r.messages.sorted { ($0.at ?? .distantPast) < ($1.at ?? .distantPast) }.map { .init(author: $0.author, text: $0.text, at: $0.at) })
        }
    }

    @Sendable func list(req: Request) async throws -> [Thread] { try await threads(try await load(req), on: req.db) }

    struct OpenInput: Content { var criterion: String; var message: String }
    struct MessageInput: Content { var message: String }

    static func text(_ message: String) throws -> String {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { throw Abort(.unprocessableEntity, reason: "Nội dung yêu cầu không được để trống.") }
        if text.count > 4000 { throw Abort(.unprocessableEntity, reason: "Nội dung quá dài (tối đa 4000 ký tự).") }
        return text
    }

    /// The evaluator sends back one criterion.
    static func open(_ a: SelfAssessment, criterion: String, message: String, on req: Request) async throws {
        let user = req.user!
        guard user.role == .evaluator else { throw Abort(.forbidden, reason: "Chỉ chuyên viên thẩm định được gửi yêu cầu bổ sung, chỉnh sửa.") }
        if let refusal = ReviewService.refusal(a, stage: .evaluation, user: user, criterion: criterion) { throw refusal.abort }
        guard a.framework.leafByCode[criterion] != nil else { throw Abort(.notFound, reason: "Không có tiêu chí \"\(criterion.excerpt())\".") }
        if a.openCorrections.contains(criterion) { throw Abort(.conflict, reason: "Tiêu chí \(criterion) đã có yêu cầu đang mở.") }
        let text = try Self.text(message)
        let request = CorrectionRequest(submissionID: a.submission!.id!, criterion: criterion, createdBy: user.username)
        try await req.db.transaction { tx in
            try await request.create(on: tx)
            try await CorrectionMessage(requestID: request.id!, author: user.username, text: text).create(on: tx)
            try await ChangeEntry(submissionID: a.submission!.id!, criterion: criterion, actor: user.username, field: "correction",
                                  old: "", new: "open", reason: text).create(on: tx)
        }
        try await Notifier.notify(try await Notifier.accounts(of: a.unit, role: .focalPoint, on: req.db), kind: "correction_request",
                                  subject: "Yêu cầu bổ sung, chỉnh sửa tiêu chí \(criterion): \(a.unit.name)",
                                  body: "\(user.displayName) đề nghị bổ sung, chỉnh sửa tiêu chí \(criterion) (\(a.period.title)):\n\(text)", on: req.db)
    }

    @Sendable func open(req: Request) async throws -> Response {
        let a = try await load(req)
        guard req.user!.role == .evaluator else { throw Abort(.forbidden, reason: "Chỉ chuyên viên thẩm định được gửi yêu cầu bổ sung, chỉnh sửa.") }
        let input = try req.content.decode(OpenInput.self)
        try await Self.open(a, criterion: input.criterion, message: input.message, on: req)
        return try await threads(try await load(req), on: req.db).encodeResponse(status: .created, for: req)
    }

    func request(_ a: SelfAssessment, _ criterion: String, on db: any Database) async throws -> CorrectionRequest {
        guard let submission = a.submission, let r = try await CorrectionRequest.query(on: db).filter(\.$submission.$id == submission.id!)
            .filter(\.$criterion == criterion).filter(\.$status != CorrectionRequest.Status.closed.rawValue).first() else {
            throw Abort(.notFound, reason: "Tiêu chí \(criterion.excerpt()) không có yêu cầu bổ sung, chỉnh sửa đang mở.")
        }
        return r
    }

    /// Why `user` may not write in or close the thread of `criterion`: an
    /// evaluator only within the fields given to the account (units are
    /// checked when the assessment is loaded), and nobody once the period is
    /// locked or published.
    static func threadRefusal(_ a: SelfAssessment, user: UserAccount, criterion: String) -> Refusal? {
        if user.role == .evaluator {
            let fields = AccountDirectory.list(user.scopeFields)
            if !fields.isEmpty, let index = ReviewService.mainIndex(of: criterion, in: a.framework), !fields.contains(index) {
                return Refusal(status: .forbidden, reason: "Tiêu chí \(criterion) không thuộc lĩnh vực được giao cho tài khoản \(user.username).")
            }
        }
        if a.period.locked { return Refusal(status: .conflict, reason: "Kỳ đánh giá đã khóa; không thể trao đổi hay đóng yêu cầu.") }
        return nil
    }

    /// The unit's focal point or the evaluator writes in the thread.
    static func reply(_ a: SelfAssessment, criterion: String, message: String, on req: Request) async throws {
        let user = req.user!
        let ownFocalPoint = user.role == .focalPoint && user.$unit.id == a.unit.id
        guard ownFocalPoint || user.role == .evaluator else {
            throw Abort(.forbidden, reason: "Chỉ cán bộ đầu mối của đơn vị và chuyên viên thẩm định được trao đổi về yêu cầu này.")
        }
        if let refusal = threadRefusal(a, user: user, criterion: criterion) { throw refusal.abort }
        let r = try await CorrectionController().request(a, criterion, on: req.db)
        let text = try Self.text(message)
        try await CorrectionMessage(requestID: r.id!, author: user.username, text: text).create(on: req.db)
        if ownFocalPoint {
            r.status = CorrectionRequest.Status.answered.rawValue
            try await r.save(on: req.db)
        }
    }

    @Sendable func reply(req: Request) async throws -> [Thread] {
        let a = try await load(req)
        let user = req.user!
        guard (user.role == .focalPoint && user.$unit.id == a.unit.id) || user.role == .evaluator else {
            throw Abort(.forbidden, reason: "Chỉ cán bộ đầu mối của đơn vị và chuyên viên thẩm định được trao đổi về yêu cầu này.")
        }
        try await Self.reply(a, criterion: req.parameters.get("criterion") ?? "", message: try req.content.decode(MessageInput.self).message, on: req)
        return try await threads(try await load(req), on: req.db)
    }

    /// The evaluator closes the request; the criterion is locked again.
    static func close(_ a: SelfAssessment, criterion: String, on req: Request) async throws {
        let user = req.user!
        guard user.role == .evaluator else { throw Abort(.forbidden, reason: "Chỉ chuyên viên thẩm định được đóng yêu cầu.") }
        if let refusal = threadRefusal(a, user: user, criterion: criterion) { throw refusal.abort }
        let r = try await CorrectionController().request(a, criterion, on: req.db)
        r.status = CorrectionRequest.Status.closed.rawValue
        try await r.save(on: req.db)
        try await ChangeEntry(submissionID: a.submission!.id!, criterion: criterion, actor: user.username, field: "correction",
                              old: "open", new: "closed").create(on: req.db)
    }

    @Sendable func close(req: Request) async throws -> [Thread] {
        let a = try await load(req)
        try await Self.close(a, criterion: req.parameters.get("criterion") ?? "", on: req)
        return try await threads(try await load(req), on: req.db)
    }

    // MARK: Forms

    struct OpenForm: Content { var criterion: String?; var message: String? }

    @Sendable func openForm(req: Request) async throws -> Response {
        try await SelfAssessmentController.formAction(req) { a in
            let form = try req.content.decode(OpenForm.self)
            try await Self.open(a, criterion: form.criterion ?? "", message: form.message ?? "", on: req)
            return "Đã gửi yêu cầu bổ sung, chỉnh sửa tiêu chí \(form.criterion ?? "")."
        }
    }

    @Sendable func replyForm(req: Request) async throws -> Response {
        try await SelfAssessmentController.formAction(req) { a in
            let criterion = req.parameters.get("criterion") ?? ""
            try await Self.reply(a, criterion: criterion, message: try req.content.decode(OpenForm.self).message ?? "", on: req)
            return "Đã gửi ý kiến về tiêu chí \(criterion)."
        }
    }

    @Sendable func closeForm(req: Request) async throws -> Response {
        try await SelfAssessmentController.formAction(req) { a in
            let criterion = req.parameters.get("criterion") ?? ""
            try await Self.close(a, criterion: criterion, on: req)
            return "Đã đóng yêu cầu về tiêu chí \(criterion); tiêu chí được khóa lại."
        }
    }
}
