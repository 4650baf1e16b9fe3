import DTICore
import Fluent
import SQLKit
import Vapor

/// What an evaluator or a council member submits for one criterion.
struct ReviewInput: Content {
    /// Points, decimal comma or point, within 0…max of the criterion.
    var points: String
    /// The evaluator's comment, or the council's reason (required for the council).
    var note: String?
    /// The answer version read (0 when the unit gave no answer).
    var version: Int
}

/// Evaluation and council appraisal: scores beside the unit's own, each with
/// its author and note, each change in the log.
enum ReviewService {
    enum Stage { case evaluation, council }

    /// Proof that an account may score a criterion at a stage now, decided
    /// once per request by `permit`; `review` takes it instead of checking again.
    struct Permit: Sendable {
        let user: UserAccount
        let stage: Stage
        let criterion: String
        fileprivate init(user: UserAccount, stage: Stage, criterion: String) { self.user = user; self.stage = stage; self.criterion = criterion }
    }

    static func permit(_ a: SelfAssessment, stage: Stage, user: UserAccount?, criterion: String) throws -> Permit {
        guard let user else { throw DomainError.unauthenticated }
        if let refusal = refusal(a, stage: stage, user: user, criterion: criterion) { throw refusal.error }
        return Permit(user: user, stage: stage, criterion: criterion)
    }

    static func review(_ a: SelfAssessment, permit: Permit, input: ReviewInput, in ctx: ServiceContext) async throws -> Answer {
        let user = permit.user, stage = permit.stage, criterion = permit.criterion
        let fw = a.framework
        guard let leaf = fw.leafByCode[criterion] else { throw DomainError.notFound("Không có tiêu chí \"\(criterion.excerpt())\".") }
        let node = fw.nodes[fw.leaves[leaf]]
        guard node.applicability.applies(toUnitTagged: Set(a.unit.tagList)) else {
            throw DomainError.invalid("Tiêu chí \(criterion) không áp dụng cho đơn vị này.")
        }
        let points: ScaledDecimal
        switch WrittenNumber.parseVietnamese(input.points) {
        case .success(let n): points = n.value
        case .failure(let e): throw DomainError.invalid("Tiêu chí \(criterion): điểm \(e.message(for: input.points))")
        }
        if points > node.max { throw DomainError.invalid("Tiêu chí \(criterion): điểm \(FrameworkCatalog.text(points)) vượt điểm tối đa \(FrameworkCatalog.text(node.max)).") }
        let note = (input.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if stage == .council && note.isEmpty { throw DomainError.invalid("Hội đồng cần ghi lý do khi công nhận hoặc điều chỉnh điểm.") }
        if note.count > 4000 { throw DomainError.invalid("Ý kiến quá dài (tối đa 4000 ký tự).") }
        guard let submission = a.submission else { throw DomainError.conflict("Đơn vị chưa gửi bản tự đánh giá.") }
        let override = try automatedOverride(a, node: node, points: points, note: note)
        // One statement through the answers' one write path: the score, who and when, and its
        // change-log entry (the database's trigger) together; a row the unit never answered is created.
        let change: AnswerStore.Change = stage == .evaluation ? .evaluator(points: points.micros, comment: note) : .council(points: points.micros, reason: note)
        guard let written = try await ctx.db.retryingWhenBusy({ () -> AnswerStore.Written? in
            guard let override else {
                return try await AnswerStore.write(change, criterion: criterion, submission: submission.id!, version: input.version, by: user.username, on: ctx.db)
            }
            // An automated criterion scored otherwise than its feed's points: the change log says why,
            // and the audit log keeps who, from what to what and why, in the same transaction.
            return try await ctx.db.transaction { tx in
                guard let written = try await AnswerStore.write(change, criterion: criterion, submission: submission.id!, version: input.version,
                                                                by: user.username, reason: override.reason, on: tx) else { return nil }
                try await AuditLog.record(ctx, actor: user, action: "feed.override", target: "\(a.period.year)/\(a.unit.code)/\(criterion)",
                                          detail: override.detail(stage), on: tx)
                return written
            }
        }) else {
            if let current = try await AnswerStore.current(criterion: criterion, submission: submission.id!, on: ctx.db) {
                throw DomainError.conflict("Tiêu chí \(criterion) vừa được \(current.updatedBy) thay đổi; hãy tải lại trước khi chấm.")
            }
            throw DomainError.conflict("Tiêu chí \(criterion) chưa có số liệu; phiên bản phải là 0.")
        }
        return written.answer
    }

    /// An evaluator's or the council's score of a criterion filled from a feed that differs from
    /// the points the feed's value earns (issue 33).
    struct Override {
        var feed: String
        var automatic: ScaledDecimal?
        var points: ScaledDecimal
        var note: String

        var reason: String { "Điều chỉnh điểm lấy tự động từ nguồn dữ liệu \(feed): \(note)" }

        func detail(_ stage: Stage) -> String {
            let who = stage == .evaluation ? "Thẩm định" : "Hội đồng"
            return "\(who): điểm tự động \(automatic.map(FrameworkCatalog.text) ?? "chưa có") thành \(FrameworkCatalog.text(points)); lý do: \(note)"
        }
    }

    /// The override a score of `node` makes, or nil when the criterion is typed by the unit or the
    /// score keeps the feed's points; refused without a reason: a figure measured at its source is
    /// changed by a reviewer only with a reason that stays on record.
    static func automatedOverride(_ a: SelfAssessment, node: FrameworkNode, points: ScaledDecimal, note: String) throws -> Override? {
        guard let binding = node.feed else { return nil }
        let automatic = a.answers[node.code]?.selfPoints.map { ScaledDecimal(micros: $0) }
        guard automatic != points else { return nil }
        guard !note.isEmpty else {
            throw DomainError.invalid("Tiêu chí \(node.code) lấy tự động từ nguồn dữ liệu \(binding.feed): ghi lý do khi chấm khác điểm tự động (\(automatic.map(FrameworkCatalog.text) ?? "chưa có số liệu")).")
        }
        return Override(feed: binding.feed, automatic: automatic, points: points, note: note)
    }

    /// Why `user` may not score `criterion` at this stage, or nil: 403 for
    /// who they are, 409 for when it is.
    static func refusal(_ a: SelfAssessment, stage: Stage, user: UserAccount, criterion: String) -> Refusal? {
        func forbidden(_ reason: String) -> Refusal { Refusal(status: .forbidden, reason: reason) }
        func conflict(_ reason: String) -> Refusal { Refusal(status: .conflict, reason: reason) }
        switch stage {
        case .evaluation:
            guard user.role == .evaluator else { return forbidden("Chỉ chuyên viên thẩm định được chấm điểm thẩm định.") }
            if let refusal = fieldRefusal(a, user: user, criterion: criterion) { return refusal }
            if a.period.locked { return conflict("Kỳ đánh giá đã khóa.") }
            if !(a.inPhase(.evaluation) || a.inPhase(.corrections)) { return conflict("Ngoài thời gian thẩm định của kỳ này.") }
        case .council:
            guard user.role == .councilMember else { return forbidden("Chỉ thành viên Hội đồng thẩm định được công nhận hoặc điều chỉnh điểm.") }
            if a.period.locked { return conflict("Kỳ đánh giá đã khóa.") }
            if !a.inPhase(.councilAppraisal) { return conflict("Ngoài thời gian Hội đồng thẩm định của kỳ này.") }
        }
        guard a.submission?.state == .submitted else { return conflict("Đơn vị chưa gửi bản tự đánh giá đã được lãnh đạo duyệt.") }
        return nil
    }

    /// Why an evaluator given some fields may not act on `criterion` (score it, answer a
    /// complaint on it), or nil: the one field-scope rule.
    static func fieldRefusal(_ a: SelfAssessment, user: UserAccount, criterion: String) -> Refusal? {
        guard user.role == .evaluator else { return nil }
        let fields = AccountDirectory.list(user.scopeFields)
        if !fields.isEmpty, let index = mainIndex(of: criterion, in: a.framework), !fields.contains(index) {
            return Refusal(status: .forbidden, reason: "Tiêu chí \(criterion) không thuộc lĩnh vực được giao cho tài khoản \(user.username).")
        }
        return nil
    }

    /// The code of the main index a criterion belongs to.
    static func mainIndex(of criterion: String, in fw: CompiledFramework) -> String? {
        guard var i = fw.node(code: criterion) else { return nil }
        while i >= 0 {
            if fw.nodes[i].kind == .mainIndex { return fw.nodes[i].code }
            i = fw.parent[i]
        }
        return nil
    }
}
