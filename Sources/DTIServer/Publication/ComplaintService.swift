import DTICore
import Fluent
import SQLKit
import Vapor

/// Preliminary results and the complaint window: the administrator sends the
/// results to the units with a last day for complaints; a unit's focal point
/// complains about a criterion, with evidence; an evaluator or a council
/// member answers — accepted with a changed score, or rejected with a reason.
/// Every step is in the audit log, and the unit sees its complaints and the
/// answers.
enum ComplaintService {
    /// Sends the preliminary results: the period must be ready to publish
    /// (the same four conditions), the window ends on or after today and no
    /// later than the publication phase.
    static func preliminary(_ period: Period, until: String, in ctx: ServiceContext) async throws {
        if period.resultsOnly { throw DomainError.conflict("Kỳ này chỉ gồm kết quả đã công bố trước đây.") }
        if period.locked { throw DomainError.conflict("Kỳ đánh giá đã khóa; kết quả đã công bố.") }
        if period.preliminaryAt != nil { throw DomainError.conflict("Kết quả dự kiến đã được gửi các đơn vị.") }
        guard DateText.parseISO(until) != nil else { throw DomainError.invalid("Hạn khiếu nại \"\(until.excerpt())\" không hợp lệ; dùng năm-tháng-ngày.") }
        if until < ctx.today { throw DomainError.invalid("Hạn khiếu nại phải từ hôm nay (\(DateText.display(ctx.today))) trở đi.") }
        if let end = period.phases.first(where: { $0.phase == Phase.publication.rawValue })?.endsOn, until > end {
            throw DomainError.invalid("Hạn khiếu nại phải trước khi giai đoạn công bố kết thúc (\(DateText.display(end))).")
        }
        let readiness = try await PublicationReadiness.evaluate(period, today: ctx.today, on: ctx.db)
        guard readiness.ready else { throw ResultsService.NotReady(readiness: readiness) }
        let units = try await Participation.units(period, on: ctx.db).map(\.unit)
        let accounts = try await UserAccount.query(on: ctx.db).filter(\.$unit.$id ~~ units.compactMap(\.id)).filter(\.$active == true).all()
        period.preliminaryAt = ctx.now
        period.complaintsUntil = until
        try await ctx.db.retryingTransaction { tx in
            try await period.save(on: tx)
            try await AuditLog.record(ctx, actor: ctx.actor, action: "preliminary_published", target: "\(period.year)",
                                      detail: "\(period.title); khiếu nại đến hết \(DateText.display(until))", on: tx)
            for account in accounts {
                let code = units.first { $0.id == account.$unit.id }?.code ?? ""
                try await Notifier.notify([account], kind: "preliminary_results", subject: "Kết quả dự kiến: \(period.title)",
                                          body: "Kết quả dự kiến của đơn vị đã có. Đơn vị có thể gửi khiếu nại từng tiêu chí đến hết ngày \(DateText.display(until)).",
                                          link: "/periods/\(period.id!)/units/\(code.urlPathEncoded)/results", on: tx)
            }
        }
    }

    /// Whether complaints are accepted now, or why not.
    static func windowRefusal(_ period: Period, today: String) -> String? {
        guard period.preliminaryAt != nil, let until = period.complaintsUntil else { return "Kết quả dự kiến chưa được gửi các đơn vị." }
        if period.locked { return "Kết quả đã công bố chính thức; không nhận khiếu nại." }
        if today > until { return "Đã hết hạn khiếu nại (hết ngày \(DateText.display(until)))." }
        return nil
    }

    struct Evidence: Sendable {
        var fileName: String
        var kind: EvidenceKind
        var stored: (storedName: String, size: Int, sha256: String)
    }

    /// A complaint about one criterion, by the unit's focal point, within the window.
    static func file(_ a: SelfAssessment, criterion: String, text: String, evidence: Evidence?, in ctx: ServiceContext) async throws -> Complaint {
        let user = try ctx.signedIn()
        guard user.role == .focalPoint, user.$unit.id == a.unit.id else {
            throw DomainError.forbidden("Chỉ cán bộ đầu mối của đơn vị được gửi khiếu nại.")
        }
        if let refusal = windowRefusal(a.period, today: ctx.today) { throw DomainError.conflict(refusal) }
        guard let leaf = a.framework.leafByCode[criterion] else { throw DomainError.invalid("Không có tiêu chí \"\(criterion.excerpt())\" trong bộ chỉ số.") }
        guard a.framework.nodes[a.framework.leaves[leaf]].applicability.applies(toUnitTagged: Set(a.unit.tagList)) else {
            throw DomainError.invalid("Tiêu chí \(criterion) không áp dụng cho đơn vị này.")
        }
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty || text.count > 4000 { throw DomainError.invalid("Cần ghi nội dung khiếu nại (tối đa 4000 ký tự).") }
        return try await ctx.db.retryingTransaction { tx in
            var evidenceID: UUID?
            if let evidence {
                let submission = try await SelfAssessmentService.submission(for: a, on: tx)
                let file = EvidenceFile()
                file.$submission.id = submission.id!
                file.storedName = evidence.stored.storedName
                file.originalName = VietnameseText.normalized(evidence.fileName)
                file.kind = evidence.kind.rawValue
                file.size = Int64(evidence.stored.size)
                file.sha256 = evidence.stored.sha256
                file.documentNumber = ""; file.issuer = ""; file.documentDate = ""
                file.criteria = criterion
                file.uploadedBy = user.username
                try await file.create(on: tx)
                evidenceID = file.id
            }
            let complaint = Complaint(periodID: a.period.id!, unitID: a.unit.id!, criterion: criterion, text: text, evidenceID: evidenceID, filedBy: user.username)
            try await complaint.create(on: tx)
            try await AuditLog.record(ctx, actor: user, action: "complaint_filed", target: a.unit.code, detail: "tiêu chí \(criterion): \(text)", on: tx)
            return complaint
        }
    }

    /// The answer: accepted with the score that counts from now on, or
    /// rejected with a reason. By an evaluator of the unit or a council member,
    /// before final publication.
    static func answer(_ complaint: Complaint, accept: Bool, points text: String, reason: String, in ctx: ServiceContext) async throws {
        let user = try ctx.signedIn()
        guard user.role == .evaluator || user.role == .councilMember else {
            throw DomainError.forbidden("Chỉ chuyên viên thẩm định và thành viên Hội đồng thẩm định được trả lời khiếu nại.")
        }
        let a = try await SelfAssessment.load(ctx, periodID: complaint.$period.id, unitCode: try await complaint.$unit.get(on: ctx.db).code)
        // The same field scope as scores: an evaluator given other fields may not change this criterion's score.
        if let refusal = ReviewService.fieldRefusal(a, user: user, criterion: complaint.criterion) { throw refusal.error }
        if a.period.locked { throw DomainError.conflict("Kết quả đã công bố chính thức; khiếu nại không thể trả lời thêm.") }
        if complaint.state != .open { throw DomainError.conflict("Khiếu nại này đã được trả lời.") }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.isEmpty || reason.count > 4000 { throw DomainError.invalid("Cần ghi lý do trả lời khiếu nại (tối đa 4000 ký tự).") }
        var newPoints: ScaledDecimal?
        if accept {
            let node = a.framework.nodes[a.framework.leaves[a.framework.leafByCode[complaint.criterion]!]]
            switch WrittenNumber.parseVietnamese(text) {
            case .success(let n): newPoints = n.value
            case .failure(let e): throw DomainError.invalid("Điểm mới \(e.message(for: text))")
            }
            if newPoints! > node.max { throw DomainError.invalid("Điểm \(FrameworkCatalog.text(newPoints!)) vượt điểm tối đa \(FrameworkCatalog.text(node.max)) của tiêu chí \(complaint.criterion).") }
        }
        let before = a.answers[complaint.criterion]?.finalPoints
        let points = newPoints
        try await ctx.db.retryingTransaction { tx in
            if let points {
                try await setOfficialScore(a, criterion: complaint.criterion, points: points, note: "Khiếu nại được chấp nhận: \(reason)", by: user, on: tx)
            }
            complaint.status = (accept ? Complaint.Status.accepted : .rejected).rawValue
            complaint.answer = reason
            complaint.answeredBy = user.username
            complaint.answeredAt = ctx.now
            complaint.pointsBefore = before
            complaint.pointsAfter = points?.micros ?? before
            try await complaint.save(on: tx)
            try await AuditLog.record(ctx, actor: user, action: accept ? "complaint_accepted" : "complaint_rejected", target: a.unit.code,
                                      detail: "tiêu chí \(complaint.criterion)" + (points.map { ": \(before.map(PointsText.points) ?? "-") → \(PointsText.points($0.micros))" } ?? "") + ". \(reason)", on: tx)
            let focal = try await UserAccount.query(on: tx).filter(\.$unit.$id == a.unit.id!).filter(\.$active == true).all()
            try await Notifier.notify(focal, kind: "complaint_answered", subject: "Trả lời khiếu nại tiêu chí \(complaint.criterion)",
                                      body: (accept ? "Chấp nhận" : "Không chấp nhận") + ": \(reason)",
                                      link: "/periods/\(a.period.id!)/units/\(a.unit.code.urlPathEncoded)/results", on: tx)
        }
    }

    /// The council's score of one criterion set outside the scoring phases
    /// (an accepted complaint, a correction after publication), with its
    /// change-log entry.
    static func setOfficialScore(_ a: SelfAssessment, criterion: String, points: ScaledDecimal, note: String, by user: UserAccount, on db: any Database) async throws {
        let submission = try await SelfAssessmentService.submission(for: a, on: db)
        // Against the row as it stands now; the one write path logs the change (M021).
        let version = try await AnswerStore.current(criterion: criterion, submission: submission.id!, on: db)?.version ?? 0
        guard try await AnswerStore.write(.council(points: points.micros, reason: note), criterion: criterion, submission: submission.id!,
                                           version: version, by: user.username, on: db) != nil else {
            throw DomainError.conflict("Tiêu chí \(criterion) vừa được người khác thay đổi; hãy tải lại rồi thử lại.")
        }
    }
}
