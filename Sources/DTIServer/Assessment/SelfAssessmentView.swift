import DTICore
import DTIFormats
import Vapor

/// A self-assessment as pages and the API show it: the framework tree with
/// each criterion's rule, the answer, and the points DTICore computes.
struct SelfAssessmentView: Content {
    struct Option: Content { var key: String; var label: String; var selected: Bool }
    struct Link: Content { var id: UUID; var name: String }

    struct Evidence: Content {
        var id: UUID
        var name: String
        var kind: String
        var size: String
        var documentNumber: String
        var issuer: String
        var documentDate: String
        var criteria: String
        var uploadedBy: String
        var sha256: String
    }

    struct Message: Content { var author: String; var text: String; var at: String }

    struct Row: Content {
        var code: String
        var name: String
        var kind: String
        var depth: Int
        var isLeaf: Bool
        var max: String
        var applicableMax: String
        var points: String
        var applicable: Bool
        var rule: String?
        /// yes_no, number, ratio, choice, parts, manual.
        var input: String?
        var options: [Option]
        var value: String
        var b: String
        var explanation: String
        var version: Int
        var evidence: String?
        /// The four scores side by side ("-" where none).
        var selfPoints: String
        var evaluatorPoints: String
        var evaluatorComment: String
        var councilPoints: String
        var councilReason: String
        var finalPoints: String
        /// The evaluator sent this criterion back and it is still open.
        var correctionOpen: Bool
        /// The signed-in account may change this answer now.
        var editable: Bool
        var evidenceFiles: [Link]
        /// The correction thread (open, answered or closed), if any.
        var threadStatus: String?
        var threadMessages: [Message]
        /// Warnings against last year's and the peers' values (reviewers only).
        var warnings: [String]
        var canEvaluate: Bool
        var canAppraise: Bool
        var canOpenCorrection: Bool
        var canReply: Bool
        var canClose: Bool
        /// The digest of the values shown (`AnswerSheet`): a save writes the row only if it changed.
        var read: String = ""
        /// The answer as people read it (option labels, not keys).
        var displayValue: String = ""
        /// An applicable criterion without an answer yet.
        var unanswered: Bool = false
        /// Filled from a data feed (issue 33): its explanation says from where, which month and when.
        var automatic: Bool = false
        /// The feed, field, month and ingestion an automated answer came from.
        var source: FeedProvenance?
        /// The page of that ingestion, for those who may read the feeds' pages.
        var sourceLink: String?
        /// The framework asks for evidence and there is neither a document nor an explanation.
        var needsEvidence: Bool = false
        /// A refused save: the message beside the field, and what someone else saved meanwhile.
        var problem: String?
        var conflict: String?
        var autofocus: Bool = false
        /// Just saved (after a whole-form save).
        var saved: Bool = false

        /// The row as an entry of a list that names it: "CODE — name".
        var option: Option { Option(key: code, label: "\(code) — \(name)", selected: false) }
    }

    struct Checklist: Content {
        var applicable: Int
        var answered: Int
        var needsEvidence: [Option]
        var unanswered: [Option]
        var openCorrections: [Option]
        var deadline: String?
        var daysLeft: Int?
        var deadlineText: String?
    }

    var periodID: UUID
    var periodTitle: String
    var unitCode: String
    var unitName: String
    var frameworkTitle: String
    var status: String
    var statusLabel: String
    var returnReason: String?
    var version: Int
    var totalPoints: String
    var applicableMax: String
    var index: String
    var indexLabel: String
    var rows: [Row]
    var canEdit: Bool
    var canSubmit: Bool
    var canDecide: Bool
    var editRefusal: String?
    var evidence: [Evidence]
    /// The focal point may attach documents and import the Excel file now.
    var canUpload: Bool
    /// Criteria the upload form offers.
    var uploadCriteria: [Option]
    var warningCount: Int
    var checklist: Checklist
    /// The score that counts (council, else evaluator, else the unit's own), for reviewers.
    var officialTotal: String
    var officialIndex: String
    /// The signed-in account scores rows on this page (evaluator or council).
    var canScore: Bool
    var isCouncil: Bool
    /// The page shows editable rows (the focal point's form).
    var hasEditableRows: Bool
    var flashMessage: String?
    var flashErrors: [String]
    /// The unit's preliminary results and complaints, once the administrator sent them.
    var resultsHref: String?
    var problemRows: [Option]

    init(_ a: SelfAssessment, for user: UserAccount, context: AssessmentContext = AssessmentContext()) {
        let fw = a.framework
        let score = a.score
        let tags = Set(a.unit.tagList)
        periodID = a.period.id!
        periodTitle = a.period.title
        unitCode = a.unit.code
        unitName = a.unit.name
        frameworkTitle = fw.framework.title
        let state = a.submission?.state ?? .draft
        status = state.rawValue
        statusLabel = state.label
        resultsHref = a.period.preliminaryAt != nil ? SelfAssessmentController.path(a) + "/results" : nil
        returnReason = state == .returned ? a.submission?.returnReason : nil
        version = a.submission?.version ?? 0
        let totals = Totals(a, score: score)
        totalPoints = totals.totalPoints
        applicableMax = totals.applicableMax
        index = totals.index
        indexLabel = fw.framework.method.label
        let names = context.names
        func name(_ username: String) -> String { names[username] ?? username }
        let evidenced = Set(context.evidence.flatMap { AccountDirectory.list($0.criteria) })
        rows = fw.nodes.enumerated().map { i, node in
            let answer = a.answers[node.code]
            var input: String?
            var options: [Option] = []
            switch node.rule {
            case .yesNo?: input = "yes_no"
            case .tiers?, .cappedCount?: input = "number"
            case .ratio?: input = "ratio"
            case .manual?: input = "manual"
            case .choice(let o)?:
                input = "choice"
                options = o.map { Option(key: $0.key, label: $0.label, selected: answer?.value == $0.key) }
            case .parts(let o)?:
                input = "parts"
                let chosen = Set(AccountDirectory.list(answer?.value))
                options = o.map { Option(key: $0.key, label: $0.label, selected: chosen.contains($0.key)) }
            case nil: input = nil
            }
            let applicable = node.applicability.applies(toUnitTagged: tags)
            let thread = context.threads[node.code]
            let threadOpen = thread != nil && thread!.status != CorrectionRequest.Status.closed.rawValue
            let ownFocalPoint = user.role == .focalPoint && user.$unit.id == a.unit.id
            let reviewable = node.isLeaf && applicable
            var row = Row(code: node.code, name: node.name, kind: node.kind.rawValue, depth: fw.depth[i], isLeaf: node.isLeaf,
                       max: FrameworkCatalog.text(node.max), applicableMax: FrameworkCatalog.text(score.applicableMax[i]),
                       points: PointsText.points(score.points[i]), applicable: applicable,
                       rule: node.rule.map { FrameworkCatalog.describe($0, max: node.max) }, input: input, options: options,
                       value: answer?.value ?? "", b: answer?.b ?? "", explanation: answer?.explanation ?? "",
                       version: answer?.version ?? 0, evidence: node.evidence,
                       selfPoints: PointsText.points(answer?.selfPoints), evaluatorPoints: PointsText.points(answer?.evaluatorPoints),
                       evaluatorComment: answer?.evaluatorComment ?? "", councilPoints: PointsText.points(answer?.councilPoints),
                       councilReason: answer?.councilReason ?? "", finalPoints: PointsText.points(answer?.finalPoints),
                       correctionOpen: a.openCorrections.contains(node.code),
                       editable: node.isLeaf && applicable && a.editRefusal(for: user, criterion: node.code) == nil,
                       evidenceFiles: context.evidence.filter { AccountDirectory.list($0.criteria).contains(node.code) }.map { Link(id: $0.id!, name: $0.originalName) },
                       threadStatus: thread.map { CorrectionRequest.Status(rawValue: $0.status)?.label ?? $0.status },
                       threadMessages: (thread?.messages ?? []).map { Message(author: name($0.author), text: $0.text, at: $0.at.map(DateText.dateTime) ?? "") },
                       warnings: context.warnings[node.code] ?? [],
                       canEvaluate: reviewable && ReviewService.refusal(a, stage: .evaluation, user: user, criterion: node.code) == nil,
                       canAppraise: reviewable && ReviewService.refusal(a, stage: .council, user: user, criterion: node.code) == nil,
                       canOpenCorrection: reviewable && !threadOpen && ReviewService.refusal(a, stage: .evaluation, user: user, criterion: node.code) == nil,
                       canReply: threadOpen && (ownFocalPoint || user.role == .evaluator),
                       canClose: threadOpen && user.role == .evaluator)
            row.displayValue = Self.displayValue(node.rule, value: row.value, b: row.b)
            // What the form shows: for a select, the option that is selected.
            var shown = row.value
            if input == "yes_no", let rule = node.rule {
                switch AnswerParser.parse(rule, value: row.value, b: "") {
                case .success(.yesNo(let yes)): shown = yes ? "có" : "không"
                default: shown = ""
                }
            }
            if input == "choice" { shown = options.first(where: \.selected)?.key ?? "" }
            if input == "parts" { shown = options.filter(\.selected).map(\.key).joined(separator: ";") }
            row.value = shown
            row.read = AnswerSheet.digest(value: shown, b: row.b, explanation: row.explanation)
            row.unanswered = node.isLeaf && applicable && answer == nil
            row.automatic = node.feed != nil
            if let source = context.sources[node.code] {
                row.source = source
                if user.role.isReviewer {
                    row.sourceLink = "/feeds?feed=\(source.feed.urlPathEncoded)&ingestion=\(source.ingestion)#ket-qua"
                }
            }
            row.needsEvidence = node.isLeaf && applicable && node.evidence != nil && !evidenced.contains(node.code) && (answer?.explanation ?? "").isEmpty
            return row
        }
        let refusal = a.editRefusal(for: user)
        // Why the form is closed matters to the unit (phase, status), not to reviewers.
        editRefusal = refusal?.status == .conflict ? refusal?.reason : nil
        canEdit = refusal == nil
        canSubmit = canEdit
        evidence = context.evidence.map {
            Evidence(id: $0.id!, name: $0.originalName, kind: $0.kind.uppercased(), size: DateText.size($0.size), documentNumber: $0.documentNumber,
                     issuer: $0.issuer, documentDate: $0.documentDate, criteria: AccountDirectory.list($0.criteria).joined(separator: ", "),
                     uploadedBy: name($0.uploadedBy), sha256: $0.sha256)
        }
        uploadCriteria = rows.filter(\.editable).map(\.option)
        canUpload = !uploadCriteria.isEmpty
        warningCount = rows.reduce(0) { $0 + $1.warnings.count }
        canDecide = user.role == .unitLeader && user.$unit.id == a.unit.id && state == .awaitingApproval && !a.period.locked
        let leaves = rows.filter { $0.isLeaf && $0.applicable }
        let phaseEnd = a.period.phases.first(where: { $0.phase == Phase.selfAssessment.rawValue })?.endsOn
        let deadline = a.exceptions[Phase.selfAssessment.rawValue] ?? phaseEnd
        let daysLeft = deadline.flatMap { DateText.days(from: a.today, to: $0) }
        checklist = Checklist(applicable: totals.applicable, answered: totals.answered,
                              needsEvidence: leaves.filter(\.needsEvidence).map(\.option), unanswered: leaves.filter(\.unanswered).map(\.option),
                              openCorrections: rows.filter(\.correctionOpen).map(\.option),
                              deadline: deadline.map(DateText.display), daysLeft: daysLeft,
                              deadlineText: daysLeft.map { $0 > 0 ? "còn \($0) ngày" : $0 == 0 ? "hạn chót là hôm nay" : "đã quá hạn \(-$0) ngày" })
        let official = OfficialScore.unit(a.assessedUnit, answers: a.answers, in: fw)
        officialTotal = PointsText.points(official.totalPoints)
        officialIndex = Self.indexText(official, in: fw)
        canScore = rows.contains { $0.canEvaluate || $0.canAppraise }
        isCouncil = rows.contains(where: \.canAppraise)
        hasEditableRows = rows.contains(where: \.editable)
        flashMessage = nil
        flashErrors = []
        problemRows = []
    }

    /// The form's totals, as its header shows them, without the rows.
    struct Totals: Content {
        var totalPoints: String
        var applicableMax: String
        var index: String
        /// Applicable criteria, and how many of them have an answer.
        var applicable: Int
        var answered: Int

        /// `score` is `a.score`, passed in by a caller that has already computed it.
        init(_ a: SelfAssessment, score: UnitScore? = nil) {
            let fw = a.framework, score = score ?? a.score, tags = Set(a.unit.tagList)
            totalPoints = PointsText.points(score.totalPoints)
            applicableMax = FrameworkCatalog.text(score.totalApplicableMax)
            index = SelfAssessmentView.indexText(score, in: fw)
            let leaves = fw.leaves.map { fw.nodes[$0] }.filter { $0.applicability.applies(toUnitTagged: tags) }
            applicable = leaves.count
            answered = leaves.filter { a.answers[$0.code] != nil }.count
        }
    }

    /// A unit's index from a score, as the form shows it (as if reported), in the framework's number format.
    static func indexText(_ score: UnitScore, in fw: CompiledFramework) -> String {
        let display = fw.framework.display
        let decimals = display.decimals ?? 2
        var reported = score
        reported.reported = true
        return ScoringEngine.index(of: reported, in: fw, decimals: decimals)?
            .formatted(decimals: decimals, separator: display.separator, trimZeros: display.trimZeros) ?? "-"
    }

    /// Applies what a refused save left (`SheetFlash`): the typed values, each message beside its row.
    mutating func apply(_ flash: SheetFlash) {
        flashMessage = flash.message
        flashErrors = flash.errors
        for i in rows.indices {
            let code = rows[i].code
            if flash.saved.contains(code) { rows[i].saved = true }
            guard let typed = flash.typed[code] else { continue }
            rows[i].value = typed.value
            rows[i].b = typed.b
            rows[i].explanation = typed.explanation
            let chosen = Set(typed.value.split(separator: ";").map(String.init))
            for o in rows[i].options.indices {
                rows[i].options[o].selected = rows[i].input == "parts" ? chosen.contains(rows[i].options[o].key) : rows[i].options[o].key == typed.value
            }
            rows[i].problem = flash.problems[code]
            rows[i].conflict = flash.conflicts[code]
            rows[i].autofocus = code == flash.first
            problemRows.append(Option(key: code, label: "\(code): \(flash.problems[code] ?? "")", selected: false))
        }
    }

    /// An answer as people read it: the option's label rather than its key.
    static func displayValue(_ rule: Rule?, value: String, b: String) -> String {
        switch rule {
        case .choice(let options)?: return options.first { $0.key == value }?.label ?? value
        case .parts(let options)?:
            let chosen = Set(value.split(separator: ";").map(String.init))
            let labels = options.filter { chosen.contains($0.key) }.map(\.label)
            return labels.isEmpty ? (value == "-" ? "Không đạt điều kiện nào" : value) : labels.joined(separator: "; ")
        case .yesNo?:
            if case .success(.yesNo(let yes))? = rule.map({ AnswerParser.parse($0, value: value, b: "") }) { return yes ? "Có" : "Không" }
            return value
        case .ratio?: return b.isEmpty ? value : "\(value) / \(b)"
        default: return value
        }
    }
}
