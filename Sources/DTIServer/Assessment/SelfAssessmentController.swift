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
        // The whole form in one request (up to 1 MB: every row with its explanation).
        signedIn.on(.POST, "periods", ":id", "units", ":code", "answers", body: .collect(maxSize: "1mb"), use: saveSheet)
        // Points while typing: nothing is written; whoever may read the form may ask.
        signedIn.on(.POST, "periods", ":id", "units", ":code", "preview", body: .collect(maxSize: "1mb"), use: preview)
        signedIn.post("periods", ":id", "units", ":code", "submit", use: submitForm)
        signedIn.post("periods", ":id", "units", ":code", "decision", use: decisionForm)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "self-assessment", use: show)
        signedIn.put("api", "v1", "periods", ":id", "units", ":code", "answers", ":criterion", use: save)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "submit", use: submit)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "approve", use: approve)
        signedIn.post("api", "v1", "periods", ":id", "units", ":code", "return", use: sendBack)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "changes", use: changes)
        // The Excel template: readers may download it, the focal point imports it.
        signedIn.get("periods", ":id", "units", ":code", "workbook.xlsx", use: downloadWorkbook)
        signedIn.get("periods", ":id", "units", ":code", "changes", use: changesPage)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "workbook", use: downloadWorkbook)
        signedIn.on(.POST, "api", "v1", "periods", ":id", "units", ":code", "workbook",
                    body: .collect(maxSize: ByteCount(value: AssessmentWorkbook.maxBytes)), use: importWorkbook)
        signedIn.on(.POST, "periods", ":id", "units", ":code", "workbook", body: .stream, use: importWorkbookForm)
    }

    func load(_ req: Request) async throws -> SelfAssessment {
        try await SelfAssessment.load(req.context, periodID: req.parameters.get("id", as: UUID.self), unitCode: req.parameters.get("code") ?? "")
    }

    // MARK: API

    @Sendable func show(req: Request) async throws -> SelfAssessmentView {
        let a = try await load(req)
        return SelfAssessmentView(a, for: req.user!, context: try await AssessmentContext.load(a, for: req.user!, on: req.db))
    }

    /// A save's answer: the row as written and the form's totals after it
    /// (not the whole form: `GET` the self-assessment for that; ADR 0023).
    struct Saved: Content {
        var criterion: String
        var version: Int
        var points: String
        var totals: SelfAssessmentView.Totals
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
        // Who may write is decided once, before the body is read.
        let criterion = req.parameters.get("criterion") ?? ""
        let permit = try assessment.permit(req.user, criterion: criterion)
        switch try await SelfAssessmentService.save(assessment, permit: permit, input: try req.content.decode(AnswerInput.self), in: req.context) {
        case .saved(let answer):
            // The totals from what was loaded and the saved row: no second load.
            var fresh = assessment
            fresh.answers[criterion] = answer
            return try await Saved(criterion: criterion, version: answer.version,
                                   points: PointsText.points(answer.selfPoints), totals: .init(fresh)).encodeResponse(for: req)
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
        _ = try await SelfAssessmentService.submit(try await load(req), in: req.context)
        return SelfAssessmentView(try await load(req), for: req.user!)
    }

    struct Reason: Content { var reason: String? }

    @Sendable func approve(req: Request) async throws -> SelfAssessmentView {
        _ = try await SelfAssessmentService.decide(try await load(req), approve: true, reason: (try? req.content.decode(Reason.self))?.reason ?? "", in: req.context)
        return SelfAssessmentView(try await load(req), for: req.user!)
    }

    @Sendable func sendBack(req: Request) async throws -> SelfAssessmentView {
        let assessment = try await load(req)
        try SelfAssessmentService.requireLeader(assessment, req.user!)
        _ = try await SelfAssessmentService.decide(assessment, approve: false, reason: (try req.content.decode(Reason.self)).reason ?? "", in: req.context)
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

    /// The change log, oldest first; `?criterion=` for one criterion,
    /// `?since=submission` for what changed after the unit last sent it
    /// (the leader's approval that reached the evaluator).
    func changeLog(_ req: Request) async throws -> (assessment: SelfAssessment, changes: [Change], since: Date?) {
        let assessment = try await load(req)
        guard let submission = assessment.submission else { return (assessment, [], nil) }
        var all = try await ChangeEntry.query(on: req.db).filter(\.$submissionID == submission.id!).sort(\.$at).all()
        var since: Date?
        let sinceText = try? req.query.get(String.self, at: "since")
        if let sinceText, sinceText != "submission" {
            throw DomainError.invalid("Tham số since chỉ nhận giá trị \"submission\" (những gì thay đổi từ lần gửi gần nhất).")
        }
        if sinceText == "submission", let at = Self.lastSent(all, now: Submission.Status(rawValue: submission.status) ?? .draft) {
            since = at
            all = all.filter { ($0.at ?? .distantPast) > at }
        }
        if let criterion = try? req.query.get(String.self, at: "criterion"), !criterion.isEmpty {
            all = all.filter { $0.criterion == criterion }
        }
        return (assessment, all.map {
            Change(at: $0.at, criterion: $0.criterion, actor: $0.actor, field: $0.field, oldValue: $0.oldValue, newValue: $0.newValue, reason: $0.reason)
        }, since)
    }

    /// The moment "Thay đổi từ lần gửi gần nhất" counts from. Waiting for the leader: the
    /// previous time the form was sent to the leader (after a return the leader sees what the
    /// unit changed since, not the whole log). Sent for evaluation: that sending (the criteria
    /// reopened for corrections are edited while it stays sent). Being edited: the last time it
    /// was sent at all. Nil when there is no such moment.
    static func lastSent(_ log: [ChangeEntry], now status: Submission.Status) -> Date? {
        func sends(_ states: Submission.Status...) -> [ChangeEntry] {
            log.filter { c in c.field == "status" && states.contains { $0.rawValue == c.newValue } }
        }
        switch status {
        case .awaitingApproval: return sends(.awaitingApproval).dropLast().last?.at
        case .submitted: return sends(.submitted).last?.at
        case .draft, .returned: return sends(.awaitingApproval, .submitted).last?.at
        }
    }

    @Sendable func changes(req: Request) async throws -> [Change] { try await changeLog(req).changes }

    struct ChangesPage: Encodable {
        struct Row: Encodable { var at: String; var criterion: String; var actor: String; var field: String; var old: String; var new: String; var reason: String }
        var layout: Layout
        var periodID: UUID
        var periodTitle: String
        var unitCode: String
        var unitName: String
        var heading: String
        var rows: [Row]
    }

    static func fieldLabel(_ field: String) -> String {
        switch field {
        case "value": return "Số liệu"
        case "b": return "Mẫu số (b)"
        case "explanation": return "Giải trình"
        case "evidence": return "Tài liệu kiểm chứng"
        case "evaluator_points": return "Điểm thẩm định"
        case "council_points": return "Điểm Hội đồng"
        case "correction": return "Yêu cầu bổ sung, chỉnh sửa"
        case "status": return "Trạng thái"
        default: return field
        }
    }

    @Sendable func changesPage(req: Request) async throws -> View {
        let (a, changes, since) = try await changeLog(req)
        let criterion = (try? req.query.get(String.self, at: "criterion")) ?? ""
        let asked = (try? req.query.get(String.self, at: "since")) == "submission"
        var heading = since.map { "Thay đổi từ lần gửi trước (\(DateText.dateTime($0)))" }
            ?? (asked ? "Toàn bộ nhật ký thay đổi (chưa có lần gửi nào trước đó)" : "Toàn bộ nhật ký thay đổi")
        if !criterion.isEmpty { heading += " — tiêu chí \(criterion)" }
        let names = try await AccountDirectory.displayNames(on: req.db)
        // People's words: statuses by label, options by the framework's names, people by name.
        func shown(_ c: Change, _ text: String) -> String {
            switch c.field {
            case "status": return Submission.Status(rawValue: text)?.label ?? text
            case "correction": return CorrectionRequest.Status(rawValue: text)?.label ?? text
            case "value": return a.displayValue(c.criterion, value: text, b: "")
            default: return text
            }
        }
        let rows = changes.map { c in
            ChangesPage.Row(at: c.at.map(DateText.dateTime) ?? "", criterion: c.criterion, actor: names[c.actor] ?? c.actor, field: Self.fieldLabel(c.field),
                            old: shown(c, c.oldValue), new: shown(c, c.newValue), reason: c.reason)
        }
        return try await req.view.render("changes", ChangesPage(layout: Layout(req, title: "Nhật ký thay đổi — \(a.unit.name)"), periodID: a.period.id!,
                                                              periodTitle: a.period.title, unitCode: a.unit.code, unitName: a.unit.name, heading: heading, rows: rows))
    }

    // MARK: Excel

    @Sendable func downloadWorkbook(req: Request) async throws -> Response {
        let a = try await load(req)
        return .attachment(AssessmentWorkbook.template(a), type: AssessmentWorkbook.contentType, name: AssessmentWorkbook.fileName(a))
    }

    struct Imported: Content {
        var changed: [String]
        var view: SelfAssessmentView
    }

    struct ImportProblems: Content {
        var error: Bool
        var reason: String
        var problems: [String]
    }

    /// The API import: the body is the .xlsx file.
    @Sendable func importWorkbook(req: Request) async throws -> Response {
        let a = try await load(req)
        if let refusal = Self.importRefusal(a, req.user!) { throw refusal.error }
        guard let body = req.body.data, body.readableBytes > 0 else { throw Abort(.unprocessableEntity, reason: "Chưa gửi tệp Excel.") }
        let name = (try? req.query.get(String.self, at: "name")) ?? AssessmentWorkbook.fileName(a)
        do {
            let book = try await AssessmentWorkbook.read(Data(body.readableBytesView), on: req.application.spreadsheetWork)
            let changed = try await AssessmentWorkbook.importWorkbook(a, book: book, fileName: name, in: req.context)
            return try await Imported(changed: changed, view: SelfAssessmentView(try await load(req), for: req.user!)).encodeResponse(for: req)
        } catch let refused as AssessmentWorkbook.Refused {
            return try await ImportProblems(error: true, reason: refused.reason, problems: refused.problems)
                .encodeResponse(status: .unprocessableEntity, for: req)
        }
    }

    /// Why `user` may not import now: the refusal for the whole form, unless
    /// only some criteria are open again (each row is then checked on its own).
    static func importRefusal(_ a: SelfAssessment, _ user: UserAccount) -> Refusal? {
        guard let refusal = a.editRefusal(for: user) else { return nil }
        return refusal.status == .forbidden || a.openCorrections.isEmpty ? refusal : nil
    }

    /// The browser import: a multipart form with the file last.
    @Sendable func importWorkbookForm(req: Request) async throws -> Response {
        try await Self.formAction(req) { a in
            if let refusal = Self.importRefusal(a, req.user!) { throw refusal.error }
            var data = Data(), name = ""
            try await MultipartStream.read(req) { event in
                switch event {
                case .fileStart(_, let fileName): name = fileName
                case .fileData(let chunk):
                    if data.count + chunk.readableBytes > AssessmentWorkbook.maxBytes {
                        throw Abort(.payloadTooLarge, reason: "Tệp Excel vượt \(AssessmentWorkbook.maxBytes >> 20) MB.")
                    }
                    data.append(contentsOf: chunk.readableBytesView)
                case .field, .fileEnd: break
                }
            }
            if data.isEmpty { throw Abort(.unprocessableEntity, reason: "Chưa chọn tệp Excel để tải lên.") }
            let book = try await AssessmentWorkbook.read(data, on: req.application.spreadsheetWork)
            let changed = try await AssessmentWorkbook.importWorkbook(a, book: book, fileName: name, in: req.context)
            return changed.isEmpty ? "Tệp \(name) không có số liệu mới." : "Đã nhập \(changed.count) tiêu chí từ tệp \(name): \(changed.joined(separator: ", "))."
        }
    }

    // MARK: Pages

    struct Page: Encodable {
        var layout: Layout
        /// The view without its rows: they come as `rowsHTML` (AssessmentRowsHTML, ADR 0029).
        var a: SelfAssessmentView
        var rowsHTML: String
        var message: String?
        var errors: [String]

        init(layout: Layout, a: SelfAssessmentView, message: String?, errors: [String]) {
            let action = "/periods/\(a.periodID.uuidString)/units/\(a.unitCode)"
            self.rowsHTML = AssessmentRowsHTML.render(a.rows, action: action, csrf: layout.csrf)
            var shown = a
            shown.rows = []
            self.layout = layout
            self.a = shown
            self.message = message
            self.errors = errors
        }
    }

    static func render(_ req: Request, message: String? = nil, errors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        try await SelfAssessmentController().render(req, message: message, errors: errors, status: status)
    }

    func render(_ req: Request, message: String? = nil, errors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        let a = try await load(req)
        var view = SelfAssessmentView(a, for: req.user!, context: try await AssessmentContext.load(a, for: req.user!, on: req.db))
        if let flash = SheetFlash.take(req, for: a) { view.apply(flash) }
        return try await req.view.render("self-assessment", Page(layout: Layout(req, title: "Tự đánh giá — \(view.unitName)"), a: view, message: message, errors: errors))
            .encodeResponse(status: status, for: req)
    }

    @Sendable func page(req: Request) async throws -> Response { try await render(req) }

    /// Saves every changed row of the one form, then shows the page again
    /// (post/redirect/get): saved rows marked, refused rows as typed with
    /// their messages, focus on the first problem.
    @Sendable func saveSheet(req: Request) async throws -> Response {
        let a = try await load(req)
        guard let user = req.user else { throw DomainError.unauthenticated }
        // Who may write is decided before the body is read; when (phase, status) row by row.
        if let refusal = a.editRefusal(for: user), refusal.status == .forbidden { throw refusal.error }
        let sheet = try AnswerSheet(body: req.body.data)
        let changed = sheet.rows.filter(\.isChanged)
        var flash = SheetFlash()
        if changed.isEmpty {
            flash.message = "Không có thay đổi nào để lưu."
        } else {
            let outcomes = try await SelfAssessmentService.saveMany(a, user: user, rows: changed.map { ($0.criterion, $0.input) }, in: req.context)
            let names = try await AccountDirectory.displayNames(on: req.db)
            let typed = Dictionary(changed.map { ($0.criterion, $0) }, uniquingKeysWith: { a, _ in a })
            for (criterion, outcome) in outcomes {
                let row = typed[criterion]!
                switch outcome {
                case .saved: flash.saved.append(criterion)
                case .refused(let reason):
                    flash.typed[criterion] = .init(value: row.value, b: row.b, explanation: row.explanation)
                    flash.problems[criterion] = reason
                case .conflict(let current):
                    flash.typed[criterion] = .init(value: row.value, b: row.b, explanation: row.explanation)
                    let who = names[current.updatedBy] ?? current.updatedBy
                    let when = current.updatedAt.map { " lúc \(DateText.dateTime($0))" } ?? ""
                    let theirs = a.displayValue(criterion, value: current.value, b: current.b)
                    flash.problems[criterion] = "\(who) đã lưu tiêu chí này\(when) trong khi bạn đang nhập; số liệu của bạn chưa được lưu."
                    flash.conflicts[criterion] = "Giá trị đã lưu: \(theirs.isEmpty ? "(trống)" : theirs)\(current.explanation.isEmpty ? "" : " — giải trình: \(current.explanation)"). Bấm \"Lưu\" lần nữa để thay bằng giá trị của bạn."
                }
            }
            if !flash.saved.isEmpty { flash.message = "Đã lưu \(flash.saved.count) tiêu chí: \(flash.saved.joined(separator: ", "))." }
            flash.finish(order: changed.map(\.criterion))
        }
        return flash.redirect(req, to: a)
    }

    static func path(_ a: SelfAssessment) -> String { "/periods/\(a.period.id!)/units/\(a.unit.code.urlPathEncoded)" }

    struct Preview: Content {
        struct Row: Content { var points: String; var problem: String? }
        var rows: [String: Row]
        var totalPoints: String
        var applicableMax: String
        var index: String
        var answered: Int
        var applicable: Int
    }

    /// Points for what is typed, by the same rules and code as a save
    /// (`SelfAssessmentService.check`, then DTICore's scoring): the page's
    /// script shows them while the user types. Nothing is written.
    @Sendable func preview(req: Request) async throws -> Preview {
        var a = try await load(req)
        let sheet = try AnswerSheet(body: req.body.data)
        var rows: [String: Preview.Row] = [:]
        for row in sheet.rows {
            guard a.framework.leafByCode[row.criterion] != nil else { continue }
            // A row as a save would leave it: untouched rows keep what is stored.
            guard row.isChanged else {
                rows[row.criterion] = Preview.Row(points: PointsText.points(a.answers[row.criterion]?.selfPoints), problem: nil)
                continue
            }
            do {
                let checked = try SelfAssessmentService.check(a, criterion: row.criterion, input: row.input)
                a.answers[row.criterion] = Answer(unsaved: row.criterion, value: checked.value, b: checked.b,
                                                  explanation: checked.explanation, selfPoints: checked.points, by: req.user!.username)
                rows[row.criterion] = Preview.Row(points: PointsText.points(checked.points), problem: nil)
            } catch let error as DomainError {
                a.answers[row.criterion] = nil
                rows[row.criterion] = Preview.Row(points: "-", problem: error.reason)
            }
        }
        let view = SelfAssessmentView(a, for: req.user!)
        return Preview(rows: rows, totalPoints: view.totalPoints, applicableMax: view.applicableMax, index: view.index,
                       answered: view.checklist.answered, applicable: view.checklist.applicable)
    }

    /// A form on the self-assessment page: runs `action`, then shows the page
    /// again with its message, or with the refusal and the matching status.
    static func formAction(_ req: Request, _ action: (SelfAssessment) async throws -> String) async throws -> Response {
        do {
            let message = try await action(try await SelfAssessmentController().load(req))
            return try await render(req, message: message)
        } catch let refused as AssessmentWorkbook.Refused {
            return try await render(req, errors: [refused.reason.components(separatedBy: "\n")[0]] + refused.problems, status: refused.status)
        } catch let refusal as DomainError where refusal != .unauthenticated {
            return try await render(req, errors: refusal.reason.components(separatedBy: "\n"), status: refusal.status)
        } catch let abort as Abort where [.unprocessableEntity, .forbidden, .conflict, .notFound, .payloadTooLarge, .unsupportedMediaType, .badRequest].contains(abort.status) {
            // A page the account may not read stays an error page: render loads it again. (A CSRF refusal is not an Abort.)
            return try await render(req, errors: abort.reason.components(separatedBy: "\n"), status: abort.status)
        }
    }

    @Sendable func submitForm(req: Request) async throws -> Response {
        try await Self.formAction(req) { a in
            _ = try await SelfAssessmentService.submit(a, in: req.context)
            return "Đã gửi lãnh đạo đơn vị duyệt."
        }
    }

    struct DecisionForm: Content {
        var decision: String
        var reason: String?
    }

    @Sendable func decisionForm(req: Request) async throws -> Response {
        try await Self.formAction(req) { a in
            try SelfAssessmentService.requireLeader(a, req.user!)
            let form = try req.content.decode(DecisionForm.self)
            _ = try await SelfAssessmentService.decide(a, approve: form.decision == "approve", reason: form.reason ?? "", in: req.context)
            return form.decision == "approve" ? "Đã duyệt và gửi thẩm định." : "Đã trả lại cán bộ đầu mối."
        }
    }
}
