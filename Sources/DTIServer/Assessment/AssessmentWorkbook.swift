import DTICore
import DTIFormats
import Fluent
import Vapor

/// The self-assessment as an Excel file: a template to fill offline, and its
/// import, checked like the web form and applied whole or not at all.
enum AssessmentWorkbook {
    static let sheetName = "Tự đánh giá"
    static let metaSheet = "_opendti"
    static let contentType = HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    static let maxBytes = 10 << 20

    enum Column: Int, CaseIterable {
        case code, name, rule, value, b, explanation, max, evidence, version

        var title: String {
            switch self {
            case .code: return "Mã"
            case .name: return "Nội dung"
            case .rule: return "Cách tính điểm"
            case .value: return "Số liệu / kết quả (a)"
            case .b: return "Mẫu số (b)"
            case .explanation: return "Giải trình"
            case .max: return "Điểm tối đa"
            case .evidence: return "Tài liệu kiểm chứng"
            case .version: return "Phiên bản (không sửa)"
            }
        }

        var letter: String { Workbook.columnName(rawValue) }
    }

    static func fileName(_ a: SelfAssessment) -> String { "tu-danh-gia-\(a.unit.code)-\(a.period.year).xlsx" }

    /// The template, filled with the answers saved so far.
    static func template(_ a: SelfAssessment) -> Data {
        let fw = a.framework
        let tags = Set(a.unit.tagList)
        var rows: [[Workbook.Cell]] = [Column.allCases.map { .text($0.title) }]
        var bold: Set<Int> = []
        for (i, node) in fw.nodes.enumerated() {
            let indent = String(repeating: "  ", count: fw.depth[i])
            guard node.isLeaf, let rule = node.rule else {
                bold.insert(rows.count)
                rows.append([.text(node.code), .text(indent + node.name), .empty, .empty, .empty, .empty,
                             .number(node.max, decimals: node.max.significantDecimals)])
                continue
            }
            let answer = a.answers[node.code]
            let applies = node.applicability.applies(toUnitTagged: tags)
            var ruleText = FrameworkCatalog.describe(rule, max: node.max)
            if !applies { ruleText = "Không áp dụng cho đơn vị. " + ruleText }
            rows.append([
                .text(node.code), .text(indent + node.name), .text(ruleText),
                answer.map { .text($0.value) } ?? .empty, answer.map { $0.b.isEmpty ? .empty : .text($0.b) } ?? .empty,
                answer.map { $0.explanation.isEmpty ? .empty : .text($0.explanation) } ?? .empty,
                .number(node.max, decimals: node.max.significantDecimals), node.evidence.map(Workbook.Cell.text) ?? .empty,
                .integer(answer?.version ?? 0),
            ])
        }
        let guide: [[Workbook.Cell]] = [
            [.text("Hướng dẫn")],
            [.text("1. Nhập số liệu vào cột D (và mẫu số vào cột E với tiêu chí tính theo tỷ lệ) của trang \"\(sheetName)\"; giải trình vào cột F.")],
            [.text("2. Tiêu chí có/không: ghi \"có\" hoặc \"không\". Tiêu chí lựa chọn: ghi mã hoặc tên phương án. Nhiều điều kiện: ghi các mã, cách nhau bởi dấu chấm phẩy.")],
            [.text("3. Số thập phân dùng dấu phẩy hoặc dấu chấm. Ô để trống: giữ nguyên số liệu đã có trên hệ thống.")],
            [.text("4. Không sửa cột Mã, cột Phiên bản và trang ẩn \(metaSheet). Tệp chỉ dùng cho \(a.unit.name), \(a.period.title).")],
            [.text("5. Tải tệp lên tại trang tự đánh giá: hệ thống kiểm tra toàn bộ, nhập tất cả hoặc không nhập gì và liệt kê mọi lỗi theo dòng, cột.")],
        ]
        let meta: [[Workbook.Cell]] = [
            [.text("khóa"), .text("giá trị")],
            [.text("period"), .text(a.period.id!.uuidString)],
            [.text("unit"), .text(a.unit.code)],
            [.text("framework_version"), .text(a.frameworkVersion.id!.uuidString)],
        ]
        return Workbook(sheets: [
            .init(name: sheetName, rows: rows, widths: [10, 60, 50, 18, 12, 40, 10, 30, 10], hiddenColumns: [Column.version.rawValue], boldRows: bold),
            .init(name: "Hướng dẫn", rows: guide, widths: [120]),
            .init(name: metaSheet, rows: meta, hidden: true),
        ]).data()
    }

    struct Refused: AbortError {
        var problems: [String]
        var status: HTTPResponseStatus { .unprocessableEntity }
        var reason: String { "Tệp Excel chưa được nhập; không có số liệu nào thay đổi:\n" + problems.joined(separator: "\n") }
    }

    /// An uploaded template read on the spreadsheet thread, within the limits
    /// its size allows (`SpreadsheetWork`); a file it cannot read is `Refused`.
    static func read(_ data: Data, on work: SpreadsheetWork) async throws -> WorkbookReader {
        do {
            return try await work.read(data) { data, limits in try WorkbookReader(data: data, limits: limits) }
        } catch let p as WorkbookReader.Problem {
            throw Refused(problems: [p.message])
        }
    }

    /// Imports a filled template: every row checked first; then all changes
    /// written in one transaction, or none. Returns the criteria changed.
    static func importWorkbook(_ a: SelfAssessment, book: WorkbookReader, fileName: String, in ctx: ServiceContext) async throws -> [String] {
        let user = try ctx.signedIn()
        guard let sheet = book.sheet(named: sheetName) else {
            throw Refused(problems: ["Tệp không có trang \"\(sheetName)\"; hãy tải tệp mẫu của hệ thống rồi điền vào đó."])
        }
        if let meta = book.sheet(named: metaSheet) {
            let period = meta.cell(row: 2, column: 1), unit = meta.cell(row: 3, column: 1)
            if unit != a.unit.code { throw Refused(problems: ["Tệp mẫu này của đơn vị \"\(unit.excerpt())\", không phải \(a.unit.name) (\(a.unit.code))."]) }
            if period != a.period.id!.uuidString { throw Refused(problems: ["Tệp mẫu này của một kỳ đánh giá khác, không phải \(a.period.title)."]) }
        }
        for column in [Column.code, .value, .b, .explanation] where sheet.cell(row: 1, column: column.rawValue) != column.title {
            throw Refused(problems: ["Dòng 1, cột \(column.letter): tiêu đề phải là \"\(column.title)\"; đừng thêm, xóa hay đổi chỗ các cột của tệp mẫu."])
        }
        let fw = a.framework
        let tags = Set(a.unit.tagList)
        var problems: [String] = []
        var changes: [(row: Int, answer: SelfAssessmentService.CheckedAnswer, version: Int)] = []
        var seen: [String: Int] = [:]
        for (number, cells) in sheet.rows where number > 1 {
            let code = (cells[Column.code.rawValue] ?? "").trimmingCharacters(in: .whitespaces)
            // A cell Excel stored as a number is in machine form ("1200.5"); a
            // text cell is what the user typed, in Vietnamese ("1.200,5").
            func typed(_ column: Column) -> String {
                let text = cells[column.rawValue] ?? ""
                return sheet.isNumeric(row: number, column: column.rawValue) ? text.replacingOccurrences(of: ".", with: ",") : text
            }
            let value = typed(.value), b = typed(.b), explanation = cells[Column.explanation.rawValue] ?? ""
            let given = !(value.isEmpty && b.isEmpty && explanation.isEmpty)
            let place = "Dòng \(number)"
            if code.isEmpty {
                if given { problems.append("\(place), cột \(Column.code.letter): thiếu mã tiêu chí.") }
                continue
            }
            if let first = seen[code] { problems.append("\(place), cột \(Column.code.letter): tiêu chí \(code.excerpt()) đã có ở dòng \(first).") ; continue }
            seen[code] = number
            guard let index = fw.node(code: code) else {
                problems.append("\(place), cột \(Column.code.letter): không có tiêu chí \"\(code.excerpt())\" trong bộ chỉ số.")
                continue
            }
            guard given else { continue }
            let node = fw.nodes[index]
            guard node.isLeaf, let rule = node.rule else {
                problems.append("\(place) (\(code)): đây là nhóm, điểm được cộng từ các tiêu chí; chỉ nhập số liệu ở dòng tiêu chí.")
                continue
            }
            guard node.applicability.applies(toUnitTagged: tags) else {
                problems.append("\(place) (\(code)): tiêu chí không áp dụng cho đơn vị; hãy để trống.")
                continue
            }
            let current = a.answers[code]
            let typed = optionKeys(rule, value)
            if let current, current.value == typed, current.b == b.trimmingCharacters(in: .whitespaces),
               current.explanation == explanation.trimmingCharacters(in: .whitespacesAndNewlines) { continue }
            if let refusal = a.editRefusal(for: user, criterion: code) {
                problems.append("\(place) (\(code)): \(refusal.reason)")
                continue
            }
            let versionText = cells[Column.version.rawValue] ?? "0"
            let version = Int(versionText) ?? -1
            if version != (current?.version ?? 0) {
                problems.append("\(place) (\(code)): số liệu trên hệ thống đã được \(current?.updatedBy ?? "người khác") sửa sau khi tải tệp mẫu (phiên bản \(versionText.excerpt()) → \(current?.version ?? 0)); hãy tải tệp mẫu mới.")
                continue
            }
            do {
                let checked = try SelfAssessmentService.check(a, criterion: code, input: AnswerInput(value: typed, b: b, explanation: explanation, version: version))
                changes.append((number, checked, version))
            } catch let abort as any AbortError {
                let columns = isRatio(rule) ? "\(Column.value.letter)–\(Column.b.letter)" : Column.value.letter
                problems.append("\(place), cột \(columns) — \(abort.reason)")
            }
        }
        if !problems.isEmpty { throw Refused(problems: Self.shortList(problems)) }
        if changes.isEmpty { return [] }
        let submission = try await SelfAssessmentService.submission(for: a, on: ctx.db)
        let reason = "Nhập từ tệp Excel \(fileName)"
        let writes = changes
        // Every row, its change-log entries and the import's audit entry: all or nothing.
        try await ctx.db.retryingTransaction { tx in
            for change in writes {
                if case .conflict(let current) = try await SelfAssessmentService.write(change.answer, version: change.version, submission: submission, by: user, reason: reason, on: tx) {
                    throw Refused(problems: ["Dòng \(change.row) (\(change.answer.criterion)): \(current.updatedBy) vừa lưu tiêu chí này; hãy tải tệp mẫu mới."])
                }
            }
            try await AuditLog.record(ctx, actor: user, action: "workbook_import", target: a.unit.code, detail: "\(fileName): \(writes.count) tiêu chí", on: tx)
        }
        return changes.map(\.answer.criterion)
    }

    /// At most `limit` problems, then how many more: a broken file of a
    /// million rows still gets an answer of a page.
    static func shortList(_ problems: [String], limit: Int = 100) -> [String] {
        guard problems.count > limit else { return problems }
        return Array(problems.prefix(limit)) + ["… và \(problems.count - limit) lỗi khác; hãy sửa các lỗi trên rồi tải lên lại."]
    }

    static func isRatio(_ rule: Rule) -> Bool { if case .ratio = rule { return true } else { return false } }

    /// A choice or parts answer may name options by their label; store keys.
    static func optionKeys(_ rule: Rule, _ value: String) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        func key(_ text: String, _ options: [RuleOption]) -> String {
            let wanted = VietnameseText.searchKey(text)
            return options.first { $0.key == text || VietnameseText.searchKey($0.label) == wanted }?.key ?? text
        }
        switch rule {
        case .choice(let options): return key(trimmed, options)
        case .parts(let options) where trimmed != "-":
            return trimmed.split(whereSeparator: { $0 == ";" || $0 == "|" || $0 == "+" })
                .map { key(String($0).trimmingCharacters(in: .whitespaces), options) }.joined(separator: ";")
        default: return trimmed
        }
    }
}
