import DTICore
import Fluent
import SQLKit
import Vapor

/// Correction requests: the evaluator sends back one criterion with a
/// message; the unit's focal point fixes it and answers in the thread; the
/// evaluator closes it. Who may write, and when, is decided here.
enum CorrectionService {
    struct Thread: Content {
        struct Message: Content { var author: String; var text: String; var at: Date? }
        var criterion: String
        var status: String
        var createdBy: String
        var messages: [Message]
    }

    /// The unit's correction threads, oldest first, each with its messages in order: one SQL
    /// statement (the form shows them on every view; a Fluent query with its messages eager-loaded
    /// was two, each model filled by reflection).
    static func threads(_ a: SelfAssessment, on db: any Database) async throws -> [Thread] {
        guard let submission = a.submission else { return [] }
        var threads: [Thread] = []
        var current: UUID?
        for row in try await db.sql.raw("""
            SELECT r.id, r.criterion, r.status, r.created_by, m.id AS message_id, m.author, m.text, m."at"
            FROM correction_requests r LEFT JOIN correction_messages m ON m.request_id = r.id
            WHERE r.submission_id = \(bind: submission.id!)
            ORDER BY r.created_at, r.id, m."at", m.id
            """).all() {
            let id = try row.decode(column: "id", as: UUID.self)
            if id != current {
                current = id
                threads.append(Thread(criterion: try row.decode(column: "criterion", as: String.self), status: try row.decode(column: "status", as: String.self),
                                      createdBy: try row.decode(column: "created_by", as: String.self), messages: []))
            }
            guard try !row.decodeNil(column: "message_id") else { continue }
            threads[threads.count - 1].messages.append(.init(author: try row.decode(column: "author", as: String.self),
                                                              text: try row.decode(column: "text", as: String.self),
                                                              at: try row.decode(column: "at", as: Date?.self)))
        }
        return threads
    }

    static func text(_ message: String) throws -> String {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { throw DomainError.invalid("Nội dung yêu cầu không được để trống.") }
        if text.count > 4000 { throw DomainError.invalid("Nội dung quá dài (tối đa 4000 ký tự).") }
        return text
    }


    /// The evaluator sends back one criterion.
    static func open(_ a: SelfAssessment, criterion: String, message: String, in ctx: ServiceContext) async throws {
        let user = try ctx.signedIn()
        guard user.role == .evaluator else { throw DomainError.forbidden("Chỉ chuyên viên thẩm định được gửi yêu cầu bổ sung, chỉnh sửa.") }
        if let refusal = ReviewService.refusal(a, stage: .evaluation, user: user, criterion: criterion) { throw refusal.error }
        guard a.framework.leafByCode[criterion] != nil else { throw DomainError.notFound("Không có tiêu chí \"\(criterion.excerpt())\".") }
        if a.openCorrections.contains(criterion) { throw DomainError.conflict("Tiêu chí \(criterion) đã có yêu cầu đang mở.") }
        let text = try text(message)
        let request = CorrectionRequest(submissionID: a.submission!.id!, criterion: criterion, createdBy: user.username)
        try await ctx.db.retryingTransaction { tx in
            try await request.create(on: tx)
            try await CorrectionMessage(requestID: request.id!, author: user.username, text: text).create(on: tx)
            try await ChangeEntry(submissionID: a.submission!.id!, criterion: criterion, actor: user.username, field: "correction",
                                  old: "", new: "open", reason: text).create(on: tx)
        }
        try await Notifier.notify(try await Notifier.accounts(of: a.unit, role: .focalPoint, on: ctx.db), kind: "correction_request",
                                  subject: "Yêu cầu bổ sung, chỉnh sửa tiêu chí \(criterion): \(a.unit.name)",
                                  body: "\(user.displayName) đề nghị bổ sung, chỉnh sửa tiêu chí \(criterion) (\(a.period.title)):\n\(text)",
                                  link: SelfAssessmentController.path(a) + "#c-\(criterion)", on: ctx.db)
    }


    static func request(_ a: SelfAssessment, _ criterion: String, on db: any Database) async throws -> CorrectionRequest {
        guard let submission = a.submission, let r = try await CorrectionRequest.query(on: db).filter(\.$submission.$id == submission.id!)
            .filter(\.$criterion == criterion).filter(\.$status != CorrectionRequest.Status.closed.rawValue).first() else {
            throw DomainError.notFound("Tiêu chí \(criterion.excerpt()) không có yêu cầu bổ sung, chỉnh sửa đang mở.")
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
    /// Proof that an account may write in (or close) a thread now, decided once per request.
    struct ThreadPermit: Sendable {
        let user: UserAccount
        let criterion: String
        fileprivate init(user: UserAccount, criterion: String) { self.user = user; self.criterion = criterion }
    }

    /// Who may write in a thread: the unit's focal point and evaluators in
    /// scope; closing it: evaluators in scope; nobody once the period is locked.
    static func permit(_ a: SelfAssessment, user: UserAccount?, criterion: String, closing: Bool) throws -> ThreadPermit {
        guard let user else { throw DomainError.unauthenticated }
        let ownFocalPoint = user.role == .focalPoint && user.$unit.id == a.unit.id
        if closing, user.role != .evaluator { throw DomainError.forbidden("Chỉ chuyên viên thẩm định được đóng yêu cầu.") }
        guard ownFocalPoint || user.role == .evaluator else {
            throw DomainError.forbidden("Chỉ cán bộ đầu mối của đơn vị và chuyên viên thẩm định được trao đổi về yêu cầu này.")
        }
        if let refusal = threadRefusal(a, user: user, criterion: criterion) { throw refusal.error }
        return ThreadPermit(user: user, criterion: criterion)
    }

    static func reply(_ a: SelfAssessment, permit: ThreadPermit, message: String, in ctx: ServiceContext) async throws {
        let user = permit.user, criterion = permit.criterion
        let ownFocalPoint = user.role == .focalPoint
        let r = try await request(a, criterion, on: ctx.db)
        let text = try text(message)
        try await CorrectionMessage(requestID: r.id!, author: user.username, text: text).create(on: ctx.db)
        if ownFocalPoint {
            r.status = CorrectionRequest.Status.answered.rawValue
            try await r.save(on: ctx.db)
            // The evaluator who asked hears of the answer, with a link to the row.
            if let asker = try await UserAccount.query(on: ctx.db).filter(\.$username == r.createdBy).first() {
                try await Notifier.notify([asker], kind: "correction_answered", subject: "\(a.unit.name) đã trả lời yêu cầu về tiêu chí \(criterion)",
                                          body: "\(user.displayName): \(text)", link: SelfAssessmentController.path(a) + "#c-\(criterion)", on: ctx.db)
            }
        }
    }


    /// The evaluator closes the request; the criterion is locked again.
    static func close(_ a: SelfAssessment, permit: ThreadPermit, in ctx: ServiceContext) async throws {
        let user = permit.user, criterion = permit.criterion
        let r = try await request(a, criterion, on: ctx.db)
        r.status = CorrectionRequest.Status.closed.rawValue
        try await r.save(on: ctx.db)
        try await ChangeEntry(submissionID: a.submission!.id!, criterion: criterion, actor: user.username, field: "correction",
                              old: "open", new: "closed").create(on: ctx.db)
    }
}
