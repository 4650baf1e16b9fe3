import Crypto
import Foundation
import Vapor

/// The self-assessment page's one form, as the browser sends it: for each
/// editable criterion `value.CODE`, `b.CODE`, `explanation.CODE`,
/// `parts.CODE` (one per ticked condition, with `hasparts.CODE` so an empty
/// set still arrives), `version.CODE` (the answer version the page showed)
/// and `read.CODE` (the digest of what the page showed). A row is changed
/// when what arrives differs from what was shown, so a row the user did not
/// touch is never written, even if someone else saved it meanwhile.
struct AnswerSheet {
    struct Row {
        var criterion: String
        var value: String
        var b: String
        var explanation: String
        var version: Int
        var read: String
        /// A row of conditions (ticked boxes): none ticked in a changed row means none is met ("-").
        var isParts: Bool = false

        var digest: String { AnswerSheet.digest(value: value, b: b, explanation: explanation) }
        var isChanged: Bool { digest != read }
        var input: AnswerInput {
            AnswerInput(value: isParts && value.isEmpty ? "-" : value, b: b, explanation: explanation, version: version)
        }
    }

    /// Rows in the order the form lists them.
    var rows: [Row]

    /// The digest a row's shown values have: the page writes it, a save compares it.
    static func digest(value: String, b: String, explanation: String) -> String {
        let text = [value, b, normalised(explanation)].joined(separator: "\u{1F}")
        return SHA256.hash(data: Data(text.utf8)).prefix(12).lowercaseHex
    }

    /// Browsers send a textarea's line breaks as CR LF.
    static func normalised(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Reads an `application/x-www-form-urlencoded` body.
    static func pairs(_ body: ByteBuffer?) throws -> [(String, String)] {
        guard let body else { return [] }
        let text = String(decoding: body.readableBytesView, as: UTF8.self)
        return try text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) throws -> String {
                guard let decoded = s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw DomainError.invalid("Biểu mẫu gửi lên không đọc được (mã hóa sai).")
                }
                return decoded
            }
            return (try decode(parts[0]), parts.count > 1 ? try decode(parts[1]) : "")
        }
    }

    init(body: ByteBuffer?) throws {
        let form = try RowForm(body: body, fields: ["value", "b", "explanation", "parts", "hasparts", "version", "read"])
        if form.order.count > 2000 { throw DomainError.invalid("Biểu mẫu có quá nhiều tiêu chí.") }
        rows = form.order.map { code in
            let f = form.values[code] ?? [:]
            let value = f["hasparts"] != nil ? (f["parts"] ?? []).joined(separator: ";") : (f["value"]?.first ?? "")
            return Row(criterion: code, value: value.trimmingCharacters(in: .whitespaces), b: (f["b"]?.first ?? "").trimmingCharacters(in: .whitespaces),
                       explanation: Self.normalised(f["explanation"]?.first ?? ""), version: Int(f["version"]?.first ?? "") ?? 0,
                       read: f["read"]?.first ?? "", isParts: f["hasparts"] != nil)
        }
    }
}

/// A form whose row fields are named `FIELD.CODE` (the answer sheet, the
/// reviewers' scores): the rows in the order the form lists them, each
/// field's values, and every other field (csrf, buttons) on its own.
struct RowForm {
    var order: [String] = []
    var values: [String: [String: [String]]] = [:]
    var others: [String: String] = [:]

    init(body: ByteBuffer?, fields: Set<String>) throws {
        for (key, value) in try AnswerSheet.pairs(body) {
            guard let dot = key.firstIndex(of: "."), fields.contains(String(key[..<dot])) else {
                others[key] = value
                continue
            }
            let field = String(key[..<dot]), code = String(key[key.index(after: dot)...])
            if values[code] == nil { order.append(code) }
            values[code, default: [:]][field, default: []].append(value)
        }
    }

    func first(_ field: String, of code: String) -> String? { values[code]?[field]?.first }
}

/// What a refused or partly refused save leaves for the page it redirects
/// to (post/redirect/get): each problem row as typed, with its message, and
/// what was saved. Kept in the session until the page shows it once.
struct SheetFlash: Codable {
    struct Typed: Codable { var value: String; var b: String; var explanation: String }
    var typed: [String: Typed] = [:]
    var problems: [String: String] = [:]
    /// The row's stored value when someone else saved it meanwhile.
    var conflicts: [String: String] = [:]
    var saved: [String] = []
    var message: String?
    var errors: [String] = []
    /// The first row to look at (focus and scroll).
    var first: String?

    var isEmpty: Bool { typed.isEmpty && saved.isEmpty && message == nil && errors.isEmpty }

    static func key(_ a: SelfAssessment) -> String { "sheet:\(a.period.id!.uuidString):\(a.unit.code)" }

    static func take(_ req: Request, for a: SelfAssessment) -> SheetFlash? {
        guard req.hasSession, let text = req.session.data[key(a)] else { return nil }
        req.session.data[key(a)] = nil
        return try? JSONDecoder().decode(SheetFlash.self, from: Data(text.utf8))
    }

    /// Marks the first refused row (in the form's order) and says how many were refused.
    mutating func finish(order: [String]) {
        first = order.first { problems[$0] != nil }
        if !problems.isEmpty { errors.append("\(problems.count) tiêu chí chưa được lưu; xem thông báo bên cạnh từng tiêu chí.") }
    }

    /// Keeps the flash for the page and sends the browser there: back at the
    /// row just saved; at a refused one the page focuses its field instead
    /// (a fragment in the URL would make the browser skip `autofocus`).
    func redirect(_ req: Request, to a: SelfAssessment) -> Response {
        if let data = try? JSONEncoder().encode(self) { req.session.data[Self.key(a)] = String(decoding: data, as: UTF8.self) }
        let anchor = first == nil ? saved.first : nil
        return req.redirect(to: SelfAssessmentController.path(a) + (anchor.map { "#c-\($0)" } ?? ""))
    }
}
