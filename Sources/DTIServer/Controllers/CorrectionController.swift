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
    @Sendable func open(req: Request) async throws -> Response {
        let a = try await load(req)
        let user = req.user!
        guard user.role == .evaluator else { throw Abort(.forbidden, reason: "Chỉ chuyên viên thẩm định được gửi yêu cầu bổ sung, chỉnh sửa.") }
        let input = try req.content.decode(OpenInput.self)
        if let refusal = ReviewService.refusal(a, stage: .evaluation, user: user, criterion: input.criterion) { throw refusal.abort }
        guard a.framework.leafByCode[input.criterion] != nil else { throw Abort(.notFound, reason: "Không có tiêu chí \"\(input.criterion)\".") }
        if a.openCorrections.contains(input.criterion) { throw Abort(.conflict, reason: "Tiêu chí \(input.criterion) đã có yêu cầu đang mở.") }
        let text = try Self.text(input.message)
        let request = CorrectionRequest(submissionID: a.submission!.id!, criterion: input.criterion, createdBy: user.username)
        try await req.db.transaction { tx in
            try await request.create(on: tx)
            try await CorrectionMessage(requestID: request.id!, author: user.username, text: text).create(on: tx)
            try await ChangeEntry(submissionID: a.submission!.id!, criterion: input.criterion, actor: user.username, field: "correction",
                                  old: "", new: "open", reason: text).create(on: tx)
        }
        try await Notifier.notify(try await Notifier.accounts(of: a.unit, role: .focalPoint, on: req.db), kind: "correction_request",
                                  subject: "Yêu cầu bổ sung, chỉnh sửa tiêu chí \(input.criterion): \(a.unit.name)",
                                  body: "\(user.displayName) đề nghị bổ sung, chỉnh sửa tiêu chí \(input.criterion) (\(a.period.title)):\n\(text)", on: req.db)
        return try await threads(try await load(req), on: req.db).encodeResponse(status: .created, for: req)
    }

    func request(_ a: SelfAssessment, _ criterion: String, on db: any Database) async throws -> CorrectionRequest {
        guard let submission = a.submission, let r = try await CorrectionRequest.query(on: db).filter(\.$submission.$id == submission.id!)
            .filter(\.$criterion == criterion).filter(\.$status != CorrectionRequest.Status.closed.rawValue).first() else {
            throw Abort(.notFound, reason: "Tiêu chí \(criterion) không có yêu cầu bổ sung, chỉnh sửa đang mở.")
        }
        return r
    }

    /// The unit's focal point or the evaluator writes in the thread.
    @Sendable func reply(req: Request) async throws -> [Thread] {
        let a = try await load(req)
        let user = req.user!
        let ownFocalPoint = user.role == .focalPoint && user.$unit.id == a.unit.id
        guard ownFocalPoint || user.role == .evaluator else {
            throw Abort(.forbidden, reason: "Chỉ cán bộ đầu mối của đơn vị và chuyên viên thẩm định được trao đổi về yêu cầu này.")
        }
        let criterion = req.parameters.get("criterion") ?? ""
        let r = try await request(a, criterion, on: req.db)
        let text = try Self.text(try req.content.decode(MessageInput.self).message)
        try await CorrectionMessage(requestID: r.id!, author: user.username, text: text).create(on: req.db)
        if ownFocalPoint {
            r.status = CorrectionRequest.Status.answered.rawValue
            try await r.save(on: req.db)
        }
        return try await threads(try await load(req), on: req.db)
    }

    /// The evaluator closes the request; the criterion is locked again.
    @Sendable func close(req: Request) async throws -> [Thread] {
        let a = try await load(req)
        let user = req.user!
        guard user.role == .evaluator else { throw Abort(.forbidden, reason: "Chỉ chuyên viên thẩm định được đóng yêu cầu.") }
        let criterion = req.parameters.get("criterion") ?? ""
        let r = try await request(a, criterion, on: req.db)
        r.status = CorrectionRequest.Status.closed.rawValue
        try await r.save(on: req.db)
        try await ChangeEntry(submissionID: a.submission!.id!, criterion: criterion, actor: user.username, field: "correction",
                              old: "open", new: "closed").create(on: req.db)
        return try await threads(try await load(req), on: req.db)
    }
}
