import Foundation
import Testing
@testable import DTIServer

/// The self-assessment table's rows, written in Swift (ADR 0029): what a
/// user typed is escaped everywhere it lands, and each kind of row shows the
/// fields its reader may use. The pages around them are tested through HTTP
/// and the browser journeys.
@Suite("Self-assessment rows as HTML")
struct AssessmentRowsHTMLTests {
    func leaf(_ code: String, input: String, value: String = "", explanation: String = "") -> SelfAssessmentView.Row {
        SelfAssessmentView.Row(
            code: code, name: "Tiêu chí \(code)", kind: "criterion", depth: 2, isLeaf: true, max: "10", applicableMax: "10", points: "0",
            applicable: true, rule: "Có: 10 điểm", input: input, options: [], value: value, b: "", explanation: explanation, version: 3,
            evidence: nil, selfPoints: "-", evaluatorPoints: "-", evaluatorComment: "", councilPoints: "-", councilReason: "",
            finalPoints: "-", correctionOpen: false, editable: true, evidenceFiles: [], threadStatus: nil, threadMessages: [], warnings: [],
            canEvaluate: false, canAppraise: false, canOpenCorrection: false, canReply: false, canClose: false)
    }

    let action = "/periods/0F0F0F0F-0000-0000-0000-000000000001/units/SNN"

    @Test("what a user typed is escaped in attributes and in text, as Leaf escapes it")
    func escaping() {
        var row = leaf("1.1", input: "number", value: "\"><script>alert(1)</script>", explanation: "</textarea><b>x</b> & 'y'")
        row.problem = "Giá trị <không hợp lệ>"
        row.conflict = "Người khác đã lưu \"5\""
        let html = AssessmentRowsHTML.render([row], action: action, csrf: "tok\"en")
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<b>x</b>"))
        #expect(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""))
        #expect(html.contains(">&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;</textarea>"))
        #expect(html.contains("<strong>Chưa lưu:</strong> Giá trị &lt;không hợp lệ&gt;<br>Người khác đã lưu &quot;5&quot;</p>"))
        #expect(html.contains("aria-invalid=\"true\" aria-describedby=\"p-1.1\""))
    }

    @Test("each kind of answer gets its own field, with what is stored selected")
    func fields() {
        var yesNo = leaf("1", input: "yes_no", value: "có")
        yesNo.autofocus = true
        let ratio = { var r = leaf("2", input: "ratio", value: "3"); r.b = "4"; return r }()
        var choice = leaf("3", input: "choice", value: "b")
        choice.options = [.init(key: "a", label: "Mức A", selected: false), .init(key: "b", label: "Mức B", selected: true)]
        var parts = leaf("4", input: "parts", value: "x")
        parts.options = [.init(key: "x", label: "Điều kiện X", selected: true), .init(key: "y", label: "Điều kiện Y", selected: false)]
        let manual = leaf("5", input: "manual", value: "7")
        let html = AssessmentRowsHTML.render([yesNo, ratio, choice, parts, manual], action: action, csrf: "t")
        #expect(html.contains("<select id=\"v-1\" form=\"answers\" name=\"value.1\" autofocus><option value=\"\">— chọn —</option><option value=\"có\" selected>Có</option>"))
        #expect(html.contains("name=\"b.2\" value=\"4\" inputmode=\"decimal\""))
        #expect(html.contains("<option value=\"b\" selected>Mức B</option>"))
        #expect(html.contains("name=\"parts.4\" value=\"x\" checked> Điều kiện X</label>"))
        #expect(html.contains("name=\"parts.4\" value=\"y\"> Điều kiện Y</label>"))
        #expect(html.contains("<label for=\"v-5\">Điểm tự chấm</label>"))
        #expect(html.contains("name=\"version.5\" value=\"3\""))
    }

    @Test("a reader who may not edit sees the answer as read; a reviewer gets the score fields and the thread's forms")
    func reviewer() {
        var read = leaf("1", input: "choice", value: "b", explanation: "Đã có văn bản")
        read.editable = false
        read.displayValue = "Mức B"
        read.evidenceFiles = [.init(id: UUID(uuidString: "0F0F0F0F-0000-0000-0000-000000000002")!, name: "qd.pdf")]
        read.warnings = ["Giảm 50 % so với năm trước"]
        read.threadStatus = "Đang mở"
        read.threadMessages = [.init(author: "Thẩm định", text: "Bổ sung <quyết định>", at: "01/12/2026 09:00")]
        read.canReply = true
        read.canClose = true
        read.canEvaluate = true
        let group = SelfAssessmentView.Row(
            code: "I", name: "Nhóm I", kind: "group", depth: 0, isLeaf: false, max: "100", applicableMax: "100", points: "55",
            applicable: true, rule: nil, input: nil, options: [], value: "", b: "", explanation: "", version: 0, evidence: nil,
            selfPoints: "", evaluatorPoints: "", evaluatorComment: "", councilPoints: "", councilReason: "", finalPoints: "",
            correctionOpen: false, editable: false, evidenceFiles: [], threadStatus: nil, threadMessages: [], warnings: [],
            canEvaluate: false, canAppraise: false, canOpenCorrection: false, canReply: false, canClose: false)
        let html = AssessmentRowsHTML.render([group, read], action: action, csrf: "tok")
        #expect(html.contains("<td class=\"code\"></td>"))  // a group shows no code
        #expect(html.contains("<span data-points=\"I\">55</span></td><td class=\"empty\"></td>"))
        #expect(html.contains("Mức B<br><small>Giải trình: Đã có văn bản</small>"))
        #expect(!html.contains("name=\"value.1\""))
        #expect(html.contains("<a href=\"/api/v1/evidence/0F0F0F0F-0000-0000-0000-000000000002\">qd.pdf</a>"))
        #expect(html.contains("<p class=\"warn\"><small>Cảnh báo: Giảm 50 % so với năm trước</small></p>"))
        #expect(html.contains("<details class=\"thread\" open><summary>Bổ sung, chỉnh sửa — Đang mở</summary>"))
        #expect(html.contains("Bổ sung &lt;quyết định&gt;"))
        #expect(html.contains("action=\"\(action)/corrections/1/messages\""))
        #expect(html.contains("action=\"\(action)/corrections/1/close\""))
        #expect(html.contains("<input type=\"hidden\" name=\"csrf\" value=\"tok\">"))
        #expect(html.contains("<label for=\"ep-1\">Điểm thẩm định</label><input id=\"ep-1\" form=\"scores\" name=\"points.1\" inputmode=\"decimal\">"))
    }
}
