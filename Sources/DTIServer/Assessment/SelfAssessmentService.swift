import DTICore
import DTIFormats
import Fluent
import SQLKit
import Vapor

/// One unit's self-assessment in one period: who may see it, who may change
/// it, and its points, always computed by DTICore from the stored answers.
struct SelfAssessment {
    let period: Period
    let unit: UnitModel
    let frameworkVersion: FrameworkVersion
    let framework: CompiledFramework
    var submission: Submission?
    var answers: [String: Answer]
    /// The submission's answers revision read with it (M018's trigger raises it on every change
    /// of its answers): what `answers` were read or kept under.
    var answersRevision: Int? = nil
    /// Criteria the evaluator sent back and that are still open.
    var openCorrections: Set<String> = []
    /// Deadline exceptions for this unit: phase → last day.
    var exceptions: [String: String] = [:]
    /// Today (ISO) by the application's clock when the assessment was loaded:
    /// every phase and deadline rule asks this, never the machine's clock.
    var today: String = DateText.todayISO()

    /// Loads the assessment and checks that `user` may read it: the
    /// administrator, evaluators (within their unit scope), council members,
    /// and the unit's own accounts. Nobody else, before publication.
    static func load(_ ctx: ServiceContext, periodID: UUID?, unitCode: String) async throws -> SelfAssessment {
        // Its five or so reads on one connection, taken from the pool once (PERFORMANCE.md). Whether
        // the kept periods may serve is decided before: Fluent's PostgreSQL driver marks every
        // connection it lends as in a transaction.
        // The same holds for the kept answers.
        let periods = ctx.db.inTransaction ? nil : ctx.periods
        let keptAnswers = ctx.db.inTransaction ? nil : ctx.keptAnswers
        return try await ctx.db.withConnection { connection in
            try await load(on: ctx.on(connection), periods: periods, keptAnswers: keptAnswers, periodID: periodID, unitCode: unitCode)
        }
    }

    private static func load(on ctx: ServiceContext, periods: PeriodCache?, keptAnswers: KeptAnswers?, periodID: UUID?,
                             unitCode: String) async throws -> SelfAssessment {
        let user = try ctx.signedIn()
        // The period, the unit, its submission and its answers are read as SQL rows (RowModel): every form
        // view and every save asks. One statement reads the period's row (its columns prefixed `p_`, with
        // the revision under which its phases and frameworks are kept), the unit's, whether the unit takes
        // part in the period, its submission if any (prefixed `sub_`), and, each folded into one column,
        // the criteria with an open correction request and the unit's deadline exceptions. It and the
        // answers' read are kept prepared on PostgreSQL (ADR 0033), so they name their columns.
        guard let periodID, let unitRow = try await ctx.db.firstRow(AssessmentHead.self, """
            SELECT \(unsafeRaw: Self.headColumns), \(Participation.counts(period: periodID, unit: "units.id")), \(unsafeRaw: Self.submissionColumns),
            submissions.answers_revision AS sub_answers_revision,
            (SELECT string_agg(criterion, \(bind: String(Self.separator))) FROM correction_requests
             WHERE submission_id = submissions.id AND status <> \(bind: CorrectionRequest.Status.closed.rawValue)) AS open_corrections,
            (SELECT string_agg(phase || \(bind: String(Self.pairSeparator)) || "until", \(bind: String(Self.separator))) FROM phase_exceptions
             WHERE period_id = periods.id AND unit_id = units.id) AS unit_exceptions
            FROM periods LEFT JOIN units ON units.code = \(bind: unitCode)
            LEFT JOIN submissions ON submissions.period_id = periods.id AND submissions.unit_id = units.id
            WHERE periods.id = \(bind: periodID)
            """) else {
            throw DomainError.notFound("Không có kỳ đánh giá này.")
        }
        let period = try await PeriodService.period(from: unitRow, prefix: "p_", on: ctx.db, cache: periods)
        guard !(try unitRow.decodeNil(column: "id")) else {
            throw DomainError.notFound("Không có đơn vị mã \"\(unitCode)\".")
        }
        let unit = try UnitModel.decode(row: unitRow)
        let scope = AccountDirectory.list(user.scopeUnits)
        let allowed: Bool
        switch user.role {
        case .administrator, .councilMember: allowed = true
        case .evaluator: allowed = scope.isEmpty || scope.contains(unit.code)
        case .focalPoint, .unitLeader: allowed = user.$unit.id == unit.id
        case .viewer: allowed = false
        }
        guard allowed else {
            throw DomainError.forbidden("Tài khoản \(user.username) (\(user.role.label)) không có quyền xem bản tự đánh giá của đơn vị này.")
        }
        guard try Participation.includes(period, unit: unit, counts: unitRow) else {
            throw DomainError.notFound("Đơn vị \(unit.name) không tham gia kỳ đánh giá \"\(period.title)\".")
        }
        guard let link = period.frameworks.first(where: { $0.level == unit.level }) else {
            throw DomainError.conflict("Kỳ đánh giá \"\(period.title)\" chưa có bộ chỉ số cho cấp \(Levels.label(unit.level)).")
        }
        let framework = try FrameworkCatalog.compiled(link.frameworkVersion)
        let submission = try unitRow.decodeNil(column: "sub_id") ? nil : Submission.decode(row: unitRow, prefix: "sub_")
        var answers: [String: Answer] = [:]
        var answersRevision: Int?
        if let submission, let submissionID = submission.id {
            // The answers as this process kept them when the revision read with the submission is
            // the kept one (KeptAnswers); otherwise read, and kept under that revision.
            let revision = try unitRow.decode(column: "sub_answers_revision", as: Int.self)
            answersRevision = revision
            var rows: [String: any SQLRow]
            if let kept = keptAnswers?.rows(of: submissionID, revision: revision) {
                rows = kept
            } else {
                rows = [:]
                for row in try await ctx.db.rows(AssessmentAnswers.self, """
                    SELECT \(unsafeRaw: Self.answerColumns) FROM answers WHERE submission_id = \(bind: submissionID)
                    """) {
                    rows[try row.decode(column: "criterion", as: String.self)] = row
                }
                keptAnswers?.keep(rows, of: submissionID, revision: revision)
            }
            for (criterion, row) in rows { answers[criterion] = try Answer.decode(row: row) }
        }
        let open = Set(try unitRow.decode(column: "open_corrections", as: String?.self)?.split(separator: Self.separator).map(String.init) ?? [])
        var exceptions: [String: String] = [:]
        for pair in try unitRow.decode(column: "unit_exceptions", as: String?.self)?.split(separator: Self.separator) ?? [] {
            let parts = pair.split(separator: Self.pairSeparator, maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            exceptions[String(parts[0])] = max(exceptions[String(parts[0])] ?? "", String(parts[1]))
        }
        return SelfAssessment(period: period, unit: unit, frameworkVersion: link.frameworkVersion, framework: framework,
                              submission: submission, answers: answers, answersRevision: answersRevision, openCorrections: open,
                              exceptions: exceptions, today: ctx.today)
    }

    /// Between the items of a column folded by `string_agg` (ASCII's unit separator, which no
    /// criterion code, phase or date contains), and between a phase and its date (record separator).
    static let separator: Character = "\u{1F}"
    static let pairSeparator: Character = "\u{1E}"

    /// The kept statements of a load (on PostgreSQL, prepared once per connection: ADR 0033),
    /// and their select lists, written once: the same text on every load.
    enum AssessmentHead: KeptStatement { static let name = "assessment_head" }
    enum AssessmentAnswers: KeptStatement { static let name = "assessment_answers" }
    private static let headColumns = Period.columnList("periods", prefix: "p_") + ", " + UnitModel.columnList("units")
    private static let submissionColumns = Submission.columnList("submissions", prefix: "sub_")
    private static let answerColumns = Answer.columnList("answers")

    var assessedUnit: AssessedUnit { unit.assessed }

    /// The stored answers as DTICore inputs (invalid ones left out).
    var responses: UnitResponses {
        var responses = UnitResponses(leafCount: framework.leaves.count)
        for (code, answer) in answers {
            guard let leaf = framework.leafByCode[code],
                  case .success(let input) = AnswerParser.parse(framework.leafRule(leaf), value: answer.value, b: answer.b) else { continue }
            responses.inputs[leaf] = input
        }
        return responses
    }

    /// An answer to `criterion` as people read it (option labels, not keys).
    func displayValue(_ criterion: String, value: String, b: String) -> String {
        SelfAssessmentView.displayValue(framework.leafByCode[criterion].map { framework.leafRule($0) }, value: value, b: b)
    }

    var score: UnitScore {
        var issues: [ScoringIssue] = []
        return ScoringEngine.score(assessedUnit, responses, in: framework, issues: &issues)
    }

    /// Is today within the phase, or within an exception the administrator granted this unit?
    func inPhase(_ phase: Phase, today: String? = nil) -> Bool {
        let today = today ?? self.today
        if let until = exceptions[phase.rawValue], today <= until { return true }
        return period.phases.contains { $0.phase == phase.rawValue && $0.startsOn <= today && today <= $0.endsOn }
    }

    /// Why `user` may not change answers now, or nil: 403 for who they are,
    /// 409 for when it is (phase, lock, status).
    func editRefusal(for user: UserAccount, criterion: String? = nil) -> Refusal? {
        guard user.role == .focalPoint, user.$unit.id == unit.id else {
            return Refusal(status: .forbidden, reason: "Chỉ cán bộ đầu mối của đơn vị được nhập số liệu tự đánh giá.")
        }
        if period.locked { return Refusal(status: .conflict, reason: "Kỳ đánh giá đã khóa.") }
        // A criterion filled from a data feed is written by ingestion only (issue 33).
        if let criterion, let leaf = framework.leafByCode[criterion], let binding = framework.nodes[framework.leaves[leaf]].feed {
            return Refusal(status: .conflict, reason: "Tiêu chí \(criterion) lấy tự động từ nguồn dữ liệu \(binding.feed); đơn vị không sửa được. Nếu số liệu chưa đúng, hãy nêu trong trao đổi của tiêu chí.")
        }
        // A criterion sent back by the evaluator may be fixed after submission;
        // everything else stays locked.
        if let criterion, openCorrections.contains(criterion), submission?.state == .submitted {
            return inPhase(.evaluation) || inPhase(.corrections) ? nil
                : Refusal(status: .conflict, reason: "Ngoài thời gian bổ sung, chỉnh sửa của kỳ này.")
        }
        if !inPhase(.selfAssessment) { return Refusal(status: .conflict, reason: "Ngoài thời gian tự đánh giá của kỳ này; không thể thay đổi số liệu.") }
        if let state = submission?.state, state == .awaitingApproval || state == .submitted {
            return Refusal(status: .conflict, reason: "Bản tự đánh giá đang ở trạng thái \"\(state.label)\"; không thể thay đổi số liệu.")
        }
        return nil
    }
}

/// Proof that an account may change a criterion (or the whole form) now,
/// decided once per request by `SelfAssessment.permit`: the writes take it
/// instead of checking again.
struct EditPermit: Sendable {
    let user: UserAccount
    let criterion: String?
    fileprivate init(user: UserAccount, criterion: String?) { self.user = user; self.criterion = criterion }
}

extension SelfAssessment {
    /// The account's permission to change answers now, or the refusal (403 for who, 409 for when).
    func permit(_ user: UserAccount?, criterion: String? = nil) throws -> EditPermit {
        guard let user else { throw DomainError.unauthenticated }
        if let refusal = editRefusal(for: user, criterion: criterion) { throw refusal.error }
        return EditPermit(user: user, criterion: criterion)
    }
}

/// Why an action is refused: `.forbidden` for the account, `.conflict` for the moment.
struct Refusal: Sendable {
    var status: HTTPStatus
    var reason: String
    var error: DomainError { status == .forbidden ? .forbidden(reason) : .conflict(reason) }
}

/// A save of one answer, as sent by a form or the API.
struct AnswerInput: Content {
    var value: String
    var b: String?
    var explanation: String?
    /// The version the user read (0 for a criterion not answered yet).
    var version: Int
}

enum SelfAssessmentService {
    enum SaveOutcome {
        case saved(Answer)
        case conflict(current: Answer)
    }

    /// An answer that passed the framework's checks, ready to be written.
    struct CheckedAnswer {
        var criterion: String
        var value: String
        var b: String
        var explanation: String
        var points: Int64

        /// What writing it changes in the row.
        var change: AnswerStore.Change { .answer(value: value, b: b, explanation: explanation, points: points) }
    }

    /// Checks one answer as the web form, the API and the Excel import do:
    /// the criterion exists and applies, the value fits its rule and range.
    static func check(_ assessment: SelfAssessment, criterion: String, input: AnswerInput) throws -> CheckedAnswer {
        let framework = assessment.framework
        guard let leaf = framework.leafByCode[criterion] else {
            throw DomainError.notFound("Không có tiêu chí \"\(criterion.excerpt())\" trong bộ chỉ số của đơn vị.")
        }
        let node = framework.nodes[framework.leaves[leaf]]
        guard node.applicability.applies(toUnitTagged: Set(assessment.unit.tagList)) else {
            throw DomainError.invalid("Tiêu chí \(criterion) không áp dụng cho đơn vị này.")
        }
        let value = input.value.trimmingCharacters(in: .whitespaces), b = (input.b ?? "").trimmingCharacters(in: .whitespaces)
        let explanation = (input.explanation ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if value.count > 500 || b.count > 100 || explanation.count > 4000 {
            throw DomainError.invalid("Tiêu chí \(criterion): giá trị hoặc giải trình quá dài.")
        }
        switch AnswerParser.parseTyped(node.rule!, value: value, b: b) {
        case .failure(let problem):
            throw DomainError.invalid("Tiêu chí \(criterion): \(problem.message)")
        case .success(let typed):
            let parsed = typed.input
            let points: Int64
            switch node.rule!.evaluate(parsed, max: node.max).storedPoints {
            case .success(let p): points = p
            case .failure(let violation): throw DomainError.invalid("Tiêu chí \(criterion): \(violation.message)")
            }
            if let range = node.inputRange, let number = InputReference(criterion: criterion, field: .value).number(in: parsed), !range.contains(number) {
                throw DomainError.invalid("Tiêu chí \(criterion): giá trị ngoài khoảng cho phép \(FrameworkCatalog.text(range.lowerBound))…\(FrameworkCatalog.text(range.upperBound)).")
            }
            return CheckedAnswer(criterion: criterion, value: typed.value, b: typed.b, explanation: explanation, points: points)
        }
    }

    /// Saves one answer if it is valid and nobody saved it since `input.version`: one statement
    /// (`AnswerStore.write`), which logs its changed fields and raises the answers revision with it,
    /// so no transaction; a write that finds the row moved on answers 409 with the row as it stands.
    static func save(_ assessment: SelfAssessment, permit: EditPermit, input: AnswerInput, in ctx: ServiceContext) async throws -> SaveOutcome {
        let user = permit.user, criterion = permit.criterion ?? ""
        let checked = try check(assessment, criterion: criterion, input: input)
        let submission = try await submission(for: assessment, on: ctx.db)
        guard let written = try await ctx.db.retryingWhenBusy({
            try await AnswerStore.write(checked.change, criterion: criterion, submission: submission.id!, version: input.version,
                                        by: user.username, on: ctx.db)
        }) else {
            return try await conflict(criterion: criterion, version: input.version, submission: submission, on: ctx.db)
        }
        // One committed write of one row: the kept answers move on with it (KeptAnswers).
        if let revision = assessment.answersRevision, let id = submission.id, !ctx.db.inTransaction {
            ctx.keptAnswers?.advance(id, from: revision, criterion: criterion, row: written.row)
        }
        return .saved(written.answer)
    }

    /// Why a write at `version` found nothing to change: the row as it stands (409), or, for a
    /// version other than 0 on a criterion without a row, that the version must be 0.
    static func conflict(criterion: String, version: Int, submission: Submission, on db: any Database) async throws -> SaveOutcome {
        if let current = try await AnswerStore.current(criterion: criterion, submission: submission.id!, on: db) { return .conflict(current: current) }
        throw DomainError.conflict("Tiêu chí \(criterion) chưa có số liệu; phiên bản gửi lên phải là 0.")
    }

    /// What became of one row of a whole-form save.
    enum RowOutcome {
        case saved(Answer)
        case conflict(current: Answer)
        case refused(String)
    }

    /// Saves several answers from one form: each row is checked on its own
    /// (permission, rule, range); the valid ones are written in one
    /// transaction, each against the version its user read. Rows that fail a
    /// check or lost a race come back with the reason; the others are saved.
    static func saveMany(_ assessment: SelfAssessment, user: UserAccount, rows: [(criterion: String, input: AnswerInput)],
                         in ctx: ServiceContext) async throws -> [(criterion: String, outcome: RowOutcome)] {
        var outcomes: [String: RowOutcome] = [:]
        var checked: [(CheckedAnswer, Int)] = []
        for (criterion, input) in rows {
            if let refusal = assessment.editRefusal(for: user, criterion: criterion) {
                outcomes[criterion] = .refused(refusal.reason)
                continue
            }
            do { checked.append((try check(assessment, criterion: criterion, input: input), input.version)) }
            catch let error as DomainError { outcomes[criterion] = .refused(error.reason) }
        }
        if !checked.isEmpty {
            let submission = try await submission(for: assessment, on: ctx.db)
            let checked = checked
            let written = try await ctx.db.retryingTransaction(bodyWritesFirst: true) { tx in
                var written: [(String, SaveOutcome)] = []
                for (answer, version) in checked {
                    written.append((answer.criterion, try await write(answer, version: version, submission: submission, by: user, on: tx)))
                }
                return written
            }
            for (criterion, outcome) in written {
                switch outcome {
                case .saved(let answer): outcomes[criterion] = .saved(answer)
                case .conflict(let current): outcomes[criterion] = .conflict(current: current)
                }
            }
        }
        return rows.compactMap { row in outcomes[row.criterion].map { (row.criterion, $0) } }
    }

    /// Writes a checked answer through the one write path (`AnswerStore.write`), inside the
    /// caller's transaction when it has one (a sheet, an import): saved, or the row as it stands.
    static func write(_ answer: CheckedAnswer, version: Int, submission: Submission, by user: UserAccount, reason: String = "",
                      on db: any Database) async throws -> SaveOutcome {
        guard let written = try await AnswerStore.write(answer.change, criterion: answer.criterion, submission: submission.id!, version: version,
                                                        by: user.username, reason: reason, on: db) else {
            return try await conflict(criterion: answer.criterion, version: version, submission: submission, on: db)
        }
        return .saved(written.answer)
    }

    static func submission(for assessment: SelfAssessment, on db: any Database) async throws -> Submission {
        if let existing = assessment.submission { return existing }
        if let existing = try await Submission.query(on: db).filter(\.$period.$id == assessment.period.id!).filter(\.$unit.$id == assessment.unit.id!).first() {
            return existing
        }
        let created = Submission(periodID: assessment.period.id!, unitID: assessment.unit.id!)
        do { try await created.create(on: db) } catch {
            if let existing = try await Submission.query(on: db).filter(\.$period.$id == assessment.period.id!).filter(\.$unit.$id == assessment.unit.id!).first() {
                return existing
            }
            throw error
        }
        return created
    }

    /// The focal point sends the self-assessment to the unit leader, after
    /// the framework's checks: unanswered criteria and rule violations block.
    static func submit(_ assessment: SelfAssessment, in ctx: ServiceContext) async throws -> Submission {
        let user = try ctx.signedIn()
        if let refusal = assessment.editRefusal(for: user) { throw refusal.error }
        var problems: [String] = []
        let tags = Set(assessment.unit.tagList)
        for leaf in assessment.framework.leaves {
            let node = assessment.framework.nodes[leaf]
            guard node.applicability.applies(toUnitTagged: tags) else { continue }
            if assessment.answers[node.code] == nil { problems.append("Tiêu chí \(node.code) (\(node.name)) chưa có số liệu.") }
        }
        // Where the framework asks for evidence, a document or a written explanation is required.
        var evidenced = Set<String>()
        if let submission = assessment.submission {
            for file in try await EvidenceFile.query(on: ctx.db).filter(\.$submission.$id == submission.id!).all() {
                evidenced.formUnion(AccountDirectory.list(file.criteria))
            }
        }
        for leaf in assessment.framework.leaves {
            let node = assessment.framework.nodes[leaf]
            guard node.evidence != nil, node.applicability.applies(toUnitTagged: tags), let answer = assessment.answers[node.code] else { continue }
            if !evidenced.contains(node.code) && answer.explanation.isEmpty {
                problems.append("Tiêu chí \(node.code) cần tài liệu kiểm chứng (\(node.evidence!)) hoặc giải trình khi chưa có.")
            }
        }
        for finding in Validation.check(assessment.assessedUnit, assessment.responses, in: assessment.framework) where finding.severity == .error {
            problems.append("Tiêu chí \(finding.criterion): \(finding.message)")
        }
        if !problems.isEmpty { throw DomainError.invalid("Chưa gửi được:\n" + problems.joined(separator: "\n")) }
        let submission = try await submission(for: assessment, on: ctx.db)
        try await transition(submission, to: .awaitingApproval, by: user, reason: "", in: ctx)
        return submission
    }

    static func requireLeader(_ assessment: SelfAssessment, _ user: UserAccount) throws {
        guard user.role == .unitLeader, user.$unit.id == assessment.unit.id else {
            throw DomainError.forbidden("Chỉ lãnh đạo đơn vị được duyệt hoặc trả lại bản tự đánh giá.")
        }
    }

    /// The unit leader approves and sends (two-account rule), or returns with a reason.
    static func decide(_ assessment: SelfAssessment, approve: Bool, reason: String, in ctx: ServiceContext) async throws -> Submission {
        let user = try ctx.signedIn()
        try requireLeader(assessment, user)
        guard let submission = assessment.submission, submission.state == .awaitingApproval else {
            throw DomainError.conflict("Bản tự đánh giá không ở trạng thái chờ lãnh đạo duyệt.")
        }
        if assessment.period.locked { throw DomainError.conflict("Kỳ đánh giá đã khóa.") }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if !approve && reason.isEmpty { throw DomainError.invalid("Cần ghi lý do trả lại.") }
        if reason.count > 2000 { throw DomainError.invalid("Lý do quá dài (tối đa 2000 ký tự).") }
        try await transition(submission, to: approve ? .submitted : .returned, by: user, reason: reason, in: ctx)
        return submission
    }

    static func transition(_ submission: Submission, to state: Submission.Status, by user: UserAccount, reason: String, in ctx: ServiceContext) async throws {
        let before = submission.state
        let submittedAt: Date? = state == .submitted ? ctx.now : submission.submittedAt
        let version = submission.version, id = submission.id!, unitID = submission.$unit.id
        // The status, its change-log entry and its audit entry commit together or not at all.
        try await ctx.db.retryingTransaction { tx in
            let sql = try tx.sql
            let rows = try await sql.raw("""
                UPDATE submissions SET status = \(bind: state.rawValue), return_reason = \(bind: state == .returned ? reason : ""),
                submitted_at = \(bind: submittedAt), version = version + 1
                WHERE id = \(bind: id) AND version = \(bind: version) RETURNING version
                """).all()
            guard !rows.isEmpty else { throw DomainError.conflict("Bản tự đánh giá vừa được người khác thay đổi; hãy tải lại trang.") }
            try await ChangeEntry(submissionID: id, criterion: "", actor: user.username, field: "status",
                                  old: before.rawValue, new: state.rawValue, reason: reason).create(on: tx)
            try await AuditLog.record(ctx, actor: user, action: "submission_\(state.rawValue)", target: unitID.uuidString, detail: reason, on: tx)
        }
        submission.status = state.rawValue
        submission.version += 1
        submission.submittedAt = submittedAt
        guard let unit = try await UnitModel.find(submission.$unit.id, on: ctx.db) else { return }
        let period = try await Period.find(submission.$period.id, on: ctx.db)
        let place = "\(unit.name) — \(period?.title ?? "")"
        let link = "/periods/\(submission.$period.id)/units/\(unit.code.urlPathEncoded)"
        switch state {
        case .awaitingApproval:
            try await Notifier.notify(try await Notifier.accounts(of: unit, role: .unitLeader, on: ctx.db), kind: "awaiting_approval",
                                      subject: "Bản tự đánh giá chờ duyệt: \(unit.name)",
                                      body: "\(user.displayName) đã gửi bản tự đánh giá của \(place) để lãnh đạo đơn vị duyệt.", link: link, on: ctx.db)
        case .returned:
            try await Notifier.notify(try await Notifier.accounts(of: unit, role: .focalPoint, on: ctx.db), kind: "returned",
                                      subject: "Bản tự đánh giá bị trả lại: \(unit.name)",
                                      body: "\(user.displayName) đã trả lại bản tự đánh giá của \(place).\nLý do: \(reason)", link: link, on: ctx.db)
        case .submitted:
            try await Notifier.notify(try await Notifier.evaluators(for: unit, on: ctx.db), kind: "submitted",
                                      subject: "Đơn vị đã gửi bản tự đánh giá: \(unit.name)",
                                      body: "Bản tự đánh giá của \(place) đã được lãnh đạo đơn vị duyệt và gửi thẩm định.", link: link, on: ctx.db)
        case .draft: break
        }
    }
}
