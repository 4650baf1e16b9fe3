import Foundation

/// The rows of the self-assessment table (`self-assessment.leaf`'s `<tbody>`),
/// written as HTML in Swift rather than by Leaf: a form of a hundred rows was
/// two fifths of the server's CPU in Leaf's interpreter, which looks every
/// `r.field` up by splitting its path and builds a set per comparison (ADR
/// 0029). The rest of the page stays in the template. Text is escaped as Leaf
/// escapes `#(…)`.
struct AssessmentRowsHTML {
    private var out = ""
    private let action: String
    private let csrf: String

    /// `action` is the unit's form address (`/periods/ID/units/CODE`), `csrf` the session's token.
    static func render(_ rows: [SelfAssessmentView.Row], action: String, csrf: String) -> String {
        var html = AssessmentRowsHTML(action: action, csrf: csrf)
        html.out.reserveCapacity(rows.count * 1_500)
        for row in rows { html.row(row) }
        return html.out
    }

    private init(action: String, csrf: String) {
        self.action = action
        self.csrf = csrf
    }

    /// Appends literal markup.
    private mutating func raw(_ text: String) { out += text }

    /// Appends text escaped for an element or a quoted attribute, as Leaf's `#(…)` does
    /// (LeafKit's `String.htmlEscaped()` builds a new string scalar by scalar; this appends
    /// the unescaped runs whole, on the form's hot path).
    private mutating func text(_ value: String) {
        var plain = value.utf8.startIndex
        let utf8 = value.utf8
        var i = plain
        while i != utf8.endIndex {
            let entity: String?
            switch utf8[i] {
            case UInt8(ascii: "&"): entity = "&amp;"
            case UInt8(ascii: "\""): entity = "&quot;"
            case UInt8(ascii: "'"): entity = "&#39;"
            case UInt8(ascii: "<"): entity = "&lt;"
            case UInt8(ascii: ">"): entity = "&gt;"
            default: entity = nil
            }
            if let entity {
                out += value[plain..<i]
                out += entity
                plain = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        out += value[plain..<utf8.endIndex]
    }

    private mutating func text(_ value: Int) { out += String(value) }

    /// ` aria-invalid="true" aria-describedby="p-CODE"` on a field whose save was refused.
    private mutating func invalid(_ r: SelfAssessmentView.Row) {
        if r.problem != nil { raw(" aria-invalid=\"true\" aria-describedby=\"p-"); text(r.code); raw("\"") }
    }

    private mutating func autofocus(_ r: SelfAssessmentView.Row) {
        if r.autofocus { raw(" autofocus") }
    }

    /// Why a save was refused, beside its field; with what someone else saved meanwhile when asked.
    private mutating func problem(_ r: SelfAssessmentView.Row, withConflict: Bool = false) {
        guard let problem = r.problem else { return }
        raw("<p class=\"field-error\" id=\"p-"); text(r.code); raw("\"><strong>Chưa lưu:</strong> "); text(problem)
        if withConflict, let conflict = r.conflict { raw("<br>"); text(conflict) }
        raw("</p>")
    }

    private mutating func csrfField() {
        raw("<input type=\"hidden\" name=\"csrf\" value=\""); text(csrf); raw("\">")
    }

    private mutating func row(_ r: SelfAssessmentView.Row) {
        raw("\n  <tr id=\"c-"); text(r.code); raw("\" class=\""); text(r.kind)
        if r.unanswered { raw(" unanswered") }
        if r.problem != nil { raw(" has-problem") }
        if r.saved { raw(" saved") }
        raw("\">\n    <td class=\"code\">")
        if r.isLeaf || (r.kind != "group" && r.kind != "pillar") { text(r.code) }
        raw("</td>\n    <td class=\"depth-"); text(r.depth); raw(" name\">"); text(r.name)
        if let rule = r.rule { raw("<br><small>"); text(rule); raw("</small>") }
        if let evidence = r.evidence { raw("<br><small>Tài liệu kiểm chứng: "); text(evidence); raw("</small>") }
        if r.needsEvidence { raw("\n      <br><span class=\"tag need\">Cần tài liệu kiểm chứng hoặc giải trình</span>") }
        if r.unanswered && r.editable { raw("\n      <br><span class=\"tag need\">Chưa có số liệu</span>") }
        if r.saved { raw("\n      <br><span class=\"tag ok\">Đã lưu</span>") }
        raw("</td>\n    <td class=\"input\">")
        if r.isLeaf { input(r) }
        raw("\n    </td>")
        if r.isLeaf {
            raw("\n    <td class=\"num\" data-label=\"Tự chấm\"><span data-points=\""); text(r.code); raw("\">"); text(r.selfPoints); raw("</span></td>")
            raw("\n    <td class=\"num\" data-label=\"Thẩm định\">"); text(r.evaluatorPoints)
            if !r.evaluatorComment.isEmpty { raw("<br><small>"); text(r.evaluatorComment); raw("</small>") }
            if r.canEvaluate { score(r, prefix: "ep", label: "Điểm thẩm định", note: r.automatic ? "Lý do nếu khác điểm tự động" : "Nhận xét", noteID: "en") }
            raw("\n    </td>\n    <td class=\"num\" data-label=\"Hội đồng\">"); text(r.councilPoints)
            if !r.councilReason.isEmpty { raw("<br><small>"); text(r.councilReason); raw("</small>") }
            if r.canAppraise { score(r, prefix: "cp", label: "Điều chỉnh điểm", note: "Lý do", noteID: "cn") }
            raw("\n    </td>\n    <td class=\"num\" data-label=\"Chính thức\">"); text(r.finalPoints); raw("</td>")
        } else {
            raw("\n    <td class=\"num\" data-label=\"Tự chấm\"><span data-points=\""); text(r.code); raw("\">"); text(r.points)
            raw("</span></td><td class=\"empty\"></td><td class=\"empty\"></td><td class=\"empty\"></td>")
        }
        raw("\n    <td class=\"num\" data-label=\"Tối đa\">"); text(r.applicableMax); raw("</td>\n  </tr>")
    }

    /// The cell of a criterion: its field (or its answer as read), evidence, warnings, correction thread.
    private mutating func input(_ r: SelfAssessmentView.Row) {
        guard r.applicable else {
            raw("\n      <em>Không áp dụng cho đơn vị</em>")
            return
        }
        if r.correctionOpen { raw("\n      <p class=\"tag need\">Yêu cầu bổ sung, chỉnh sửa đang mở</p>") }
        if r.problem != nil, !r.canEvaluate, !r.canAppraise { raw("\n      "); problem(r, withConflict: true) }
        if r.editable {
            field(r)
        } else if r.automatic {
            raw("\n        "); text(r.unanswered ? "Chưa có số liệu từ nguồn" : r.displayValue)
            raw("<br><small class=\"automatic\">"); text(r.explanation.isEmpty ? "Lấy tự động từ nguồn dữ liệu; đơn vị không nhập" : r.explanation)
            if let link = r.sourceLink, let source = r.source {
                raw(" — <a href=\""); text(link); raw("\">xem lần nhận số "); text(source.ingestion); raw("</a>")
            }
            raw("</small>")
        } else {
            raw("\n        "); text(r.displayValue)
            if !r.explanation.isEmpty { raw("<br><small>Giải trình: "); text(r.explanation); raw("</small>") }
        }
        for file in r.evidenceFiles {
            raw("<br><small>📎 <a href=\"/api/v1/evidence/"); text(file.id.uuidString); raw("\">"); text(file.name); raw("</a></small>")
        }
        for warning in r.warnings { raw("<p class=\"warn\"><small>Cảnh báo: "); text(warning); raw("</small></p>") }
        if let status = r.threadStatus { thread(r, status: status) }
        if r.canOpenCorrection {
            raw("\n        <details><summary>Yêu cầu đơn vị bổ sung, chỉnh sửa</summary>\n        <form method=\"post\" action=\"")
            text(action); raw("/corrections\">\n          "); csrfField()
            raw("<input type=\"hidden\" name=\"criterion\" value=\""); text(r.code); raw("\">\n          <label for=\"o-"); text(r.code)
            raw("\">Nội dung yêu cầu</label><textarea id=\"o-"); text(r.code)
            raw("\" name=\"message\" rows=\"2\" maxlength=\"4000\" required></textarea>\n          <button type=\"submit\">Gửi yêu cầu</button>\n        </form></details>")
        }
    }

    /// The focal point's field for one criterion, by the kind of answer its rule takes.
    private mutating func field(_ r: SelfAssessmentView.Row) {
        raw("\n      <div class=\"answer\">\n        <input type=\"hidden\" form=\"answers\" name=\"version."); text(r.code); raw("\" value=\""); text(r.version)
        raw("\">\n        <input type=\"hidden\" form=\"answers\" name=\"read."); text(r.code); raw("\" value=\""); text(r.read); raw("\">")
        switch r.input {
        case "yes_no":
            raw("\n          <label for=\"v-"); text(r.code); raw("\">Kết quả</label>\n          <select id=\"v-"); text(r.code)
            raw("\" form=\"answers\" name=\"value."); text(r.code); raw("\""); invalid(r); autofocus(r)
            raw("><option value=\"\""); if r.value.isEmpty { raw(" selected") }
            raw(">— chọn —</option><option value=\"có\""); if r.value == "có" { raw(" selected") }
            raw(">Có</option><option value=\"không\""); if r.value == "không" { raw(" selected") }
            raw(">Không</option></select>")
        case "ratio":
            raw("\n          <div class=\"ratio\"><span><label for=\"v-"); text(r.code); raw("\">Tử số (a)</label><input id=\"v-"); text(r.code)
            raw("\" form=\"answers\" name=\"value."); text(r.code); raw("\" value=\""); text(r.value); raw("\" inputmode=\"decimal\""); invalid(r); autofocus(r)
            raw("></span>\n          <span><label for=\"b-"); text(r.code); raw("\">Mẫu số (b)</label><input id=\"b-"); text(r.code)
            raw("\" form=\"answers\" name=\"b."); text(r.code); raw("\" value=\""); text(r.b); raw("\" inputmode=\"decimal\"></span></div>")
        case "choice":
            raw("\n          <label for=\"v-"); text(r.code); raw("\">Lựa chọn</label>\n          <select id=\"v-"); text(r.code)
            raw("\" form=\"answers\" name=\"value."); text(r.code); raw("\""); invalid(r); autofocus(r); raw("><option value=\"\">— chọn —</option>")
            for o in r.options {
                raw("<option value=\""); text(o.key); raw("\""); if o.selected { raw(" selected") }; raw(">"); text(o.label); raw("</option>")
            }
            raw("</select>")
        case "parts":
            raw("\n          <input type=\"hidden\" form=\"answers\" name=\"hasparts."); text(r.code); raw("\" value=\"1\">\n          <fieldset")
            if r.problem != nil { raw(" aria-describedby=\"p-"); text(r.code); raw("\"") }
            raw("><legend>Điều kiện đạt</legend>")
            for o in r.options {
                raw("<label class=\"check\"><input type=\"checkbox\" form=\"answers\" name=\"parts."); text(r.code); raw("\" value=\""); text(o.key); raw("\"")
                if o.selected { raw(" checked") }
                raw("> "); text(o.label); raw("</label>")
            }
            raw("</fieldset>")
        default:
            raw("\n          <label for=\"v-"); text(r.code); raw("\">"); raw(r.input == "manual" ? "Điểm tự chấm" : "Số liệu")
            raw("</label>\n          <input id=\"v-"); text(r.code); raw("\" form=\"answers\" name=\"value."); text(r.code); raw("\" value=\""); text(r.value)
            raw("\" inputmode=\"decimal\""); invalid(r); autofocus(r); raw(">")
        }
        raw("\n        <label for=\"e-"); text(r.code); raw("\">Giải trình"); if r.needsEvidence { raw(" (cần khi chưa có tài liệu)") }
        raw("</label>\n        <textarea id=\"e-"); text(r.code); raw("\" form=\"answers\" name=\"explanation."); text(r.code)
        raw("\" rows=\"2\" maxlength=\"4000\">"); text(r.explanation); raw("</textarea>\n        <p class=\"live-problem\" id=\"lp-"); text(r.code)
        raw("\" aria-live=\"polite\"></p>\n      </div>")
    }

    /// A correction thread: its messages, and the forms to reply or close it.
    private mutating func thread(_ r: SelfAssessmentView.Row, status: String) {
        raw("\n        <details class=\"thread\""); if r.canReply { raw(" open") }
        raw("><summary>Bổ sung, chỉnh sửa — "); text(status); raw("</summary>")
        for m in r.threadMessages {
            raw("<p><small><strong>"); text(m.author); raw("</strong> ("); text(m.at); raw("):</small> "); text(m.text); raw("</p>")
        }
        if r.canReply {
            raw("\n        <form method=\"post\" action=\""); text(action); raw("/corrections/"); text(r.code); raw("/messages\">\n          "); csrfField()
            raw("\n          <label for=\"m-"); text(r.code); raw("\">Trả lời</label><textarea id=\"m-"); text(r.code)
            raw("\" name=\"message\" rows=\"2\" maxlength=\"4000\" required></textarea>\n          <button type=\"submit\">Gửi trả lời</button>\n        </form>")
        }
        if r.canClose {
            raw("\n        <form method=\"post\" action=\""); text(action); raw("/corrections/"); text(r.code); raw("/close\">\n          "); csrfField()
            raw("<button type=\"submit\" class=\"secondary\">Đóng yêu cầu (khóa lại tiêu chí)</button>\n        </form>")
        }
        raw("\n        </details>")
    }

    /// An evaluator's or the council's score field in its column.
    private mutating func score(_ r: SelfAssessmentView.Row, prefix: String, label: String, note: String, noteID: String) {
        raw("\n      <div class=\"score\">\n        "); problem(r)
        raw("\n        <input type=\"hidden\" form=\"scores\" name=\"version."); text(r.code); raw("\" value=\""); text(r.version)
        raw("\">\n        <label for=\""); raw(prefix); raw("-"); text(r.code); raw("\">"); raw(label); raw("</label><input id=\""); raw(prefix); raw("-"); text(r.code)
        raw("\" form=\"scores\" name=\"points."); text(r.code); raw("\" inputmode=\"decimal\"")
        if r.problem != nil { raw(" value=\""); text(r.value); raw("\""); invalid(r) }
        autofocus(r)
        raw(">\n        <label for=\""); raw(noteID); raw("-"); text(r.code); raw("\">"); raw(note); raw("</label><input id=\""); raw(noteID); raw("-"); text(r.code)
        raw("\" form=\"scores\" name=\"note."); text(r.code); raw("\" maxlength=\"4000\"")
        if r.problem != nil { raw(" value=\""); text(r.explanation); raw("\"") }
        raw(">\n      </div>")
    }
}
