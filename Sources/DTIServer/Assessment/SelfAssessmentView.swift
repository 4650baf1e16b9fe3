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
        returnReason = state == .returned ? a.submission?.returnReason : nil
        version = a.submission?.version ?? 0
        totalPoints = PointsText.points(score.totalPoints)
        applicableMax = FrameworkCatalog.text(score.totalApplicableMax)
        let display = fw.framework.display
        let decimals = display.decimals ?? 2
        var reported = score
        reported.reported = true
        let index = ScoringEngine.index(of: reported, in: fw, decimals: decimals)
        self.index = index?.formatted(decimals: decimals, separator: display.separator, trimZeros: display.trimZeros) ?? "-"
        indexLabel = fw.framework.method.label
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
            return Row(code: node.code, name: node.name, kind: node.kind.rawValue, depth: fw.depth[i], isLeaf: node.isLeaf,
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
                       threadMessages: (thread?.messages ?? []).map { Message(author: $0.author, text: $0.text, at: $0.at.map(DateText.dateTime) ?? "") },
                       warnings: context.warnings[node.code] ?? [],
                       canEvaluate: reviewable && ReviewService.refusal(a, stage: .evaluation, user: user, criterion: node.code) == nil,
                       canAppraise: reviewable && ReviewService.refusal(a, stage: .council, user: user, criterion: node.code) == nil,
                       canOpenCorrection: reviewable && !threadOpen && ReviewService.refusal(a, stage: .evaluation, user: user, criterion: node.code) == nil,
                       canReply: threadOpen && (ownFocalPoint || user.role == .evaluator),
                       canClose: threadOpen && user.role == .evaluator)
        }
        let refusal = a.editRefusal(for: user)
        // Why the form is closed matters to the unit (phase, status), not to reviewers.
        editRefusal = refusal?.status == .conflict ? refusal?.reason : nil
        canEdit = refusal == nil
        canSubmit = canEdit
        evidence = context.evidence.map {
            Evidence(id: $0.id!, name: $0.originalName, kind: $0.kind.uppercased(), size: DateText.size($0.size), documentNumber: $0.documentNumber,
                     issuer: $0.issuer, documentDate: $0.documentDate, criteria: AccountDirectory.list($0.criteria).joined(separator: ", "),
                     uploadedBy: $0.uploadedBy, sha256: $0.sha256)
        }
        uploadCriteria = rows.filter(\.editable).map { Option(key: $0.code, label: "\($0.code) — \($0.name)", selected: false) }
        canUpload = !uploadCriteria.isEmpty
        warningCount = rows.reduce(0) { $0 + $1.warnings.count }
        canDecide = user.role == .unitLeader && user.$unit.id == a.unit.id && state == .awaitingApproval && !a.period.locked
    }
}
