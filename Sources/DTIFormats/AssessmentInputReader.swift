import DTICore
import Foundation

/// Units and their answers for `dti score`, read from CSV with the same
/// error rules as results tables.
public struct AssessmentInput: Sendable {
    public var units: [AssessedUnit]
    public var responses: [String: UnitResponses]
    /// The same answers aligned with `units` (`nil`: the unit did not report).
    public var answers: [UnitResponses?]
    /// The responses file, for locations.
    public var responsesFile: String
    /// Where each answer came from, by unit and leaf position.
    var answerPositions: [String: [SourcePoint]]

    /// "file:line:column" of a unit's answer to a criterion, if it has one.
    public func answerLocation(unit: String, criterion: String, in framework: CompiledFramework) -> String? {
        guard let leaf = framework.leafByCode[criterion], let point = answerPositions[unit]?[leaf], point.line > 0 else { return nil }
        return "\(responsesFile):\(point.line):\(point.column)"
    }
}

/// A line and column, kept as numbers until a message needs them.
struct SourcePoint: Sendable {
    var line: Int32
    var column: Int32
    static let none = SourcePoint(line: 0, column: 0)
}

extension String {
    /// Trims ASCII spaces and tabs; cheaper than Foundation's trimming for
    /// the common case of a field with nothing to trim.
    var trimmedField: String {
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09 { return self }
        return trimmingCharacters(in: .whitespaces)
    }
}

public enum AssessmentInputReader {
    /// Reads `units` (columns `unit`, `group`, optional `tags`) and the
    /// bytes of `responses` (columns `unit`, `criterion`, `value`, optional
    /// `b`). Throws every problem of both files together; nothing is half-read.
    public static func read(
        units unitsDocument: CSVDocument, responses bytes: [UInt8], responsesFile file: String, framework: CompiledFramework
    ) throws(ProblemList) -> AssessmentInput {
        var problems: [TableProblem] = []
        let units = readUnits(unitsDocument, &problems)
        var byName: [String: Int] = [:]
        for (i, unit) in units.enumerated() { byName[unit.id] = i }
        // Indexed by unit position. Rows of one unit usually follow each
        // other, so the last unit's bytes are remembered and most rows need
        // neither a new string nor a look-up.
        var answers = [UnitResponses?](repeating: nil, count: units.count)
        var points = [[SourcePoint]?](repeating: nil, count: units.count)
        var columns: (unit: Int, criterion: Int, value: Int, b: Int?, width: Int)?
        var sawHeader = false
        var lastUnitBytes: [UInt8] = []
        var lastUnit: Int?
        let leafCount = framework.leaves.count
        do {
            try CSVReader.scan(bytes, file: file) { record in
                guard sawHeader else {
                    sawHeader = true
                    let header = (0..<record.count).map { record.string($0).trimmingCharacters(in: .whitespaces).lowercased() }
                    let names = ["unit", "criterion", "value"]
                    let found = names.map { header.firstIndex(of: $0) }
                    let missing = zip(names, found).filter { $0.1 == nil }.map(\.0)
                    if missing.isEmpty {
                        columns = (found[0]!, found[1]!, found[2]!, header.firstIndex(of: "b"), header.count)
                    } else {
                        problems.append(TableProblem(
                            location: "\(file):\(record.line):1",
                            message: "thiếu cột bắt buộc \(missing.map { "\"\($0)\"" }.joined(separator: ", ")); cần \(names.joined(separator: ", ")) (đang có: \(header.joined(separator: ", ")))"))
                    }
                    return
                }
                guard let (uc, cc, vc, bColumn, width) = columns else { return }
                guard record.count == width else {
                    problems.append(TableProblem(location: record.location(file, 0), message: "dòng có \(record.count) cột nhưng tiêu đề có \(width)"))
                    return
                }
                let unitIndex: Int
                if let last = lastUnit, record.field(uc, equals: lastUnitBytes) {
                    unitIndex = last
                } else {
                    let name = VietnameseText.normalized(record.string(uc).trimmedField)
                    guard let found = byName[name] else {
                        problems.append(TableProblem(location: record.location(file, uc), message: "cột \"unit\": đơn vị \"\(name)\" không có trong tệp danh sách đơn vị \(unitsDocument.file)"))
                        return
                    }
                    unitIndex = found
                    lastUnit = found
                    lastUnitBytes = Array(record.fieldBytes(uc))
                }
                let code = record.string(cc).trimmedField
                guard let leaf = framework.leafByCode[code] else {
                    let hint = framework.node(code: code) != nil ? " (đây là nút tổng hợp; nhập điểm cho các tiêu chí con)" : ""
                    problems.append(TableProblem(location: record.location(file, cc), message: "cột \"criterion\": không có tiêu chí \"\(code)\" trong bộ chỉ số\(hint)"))
                    return
                }
                let value = record.string(vc).trimmedField
                let b = bColumn.map { record.string($0).trimmedField } ?? ""
                let input: CriterionInput
                switch parseInput(framework.leafRule(leaf), value: value, b: b) {
                case .success(let parsed): input = parsed
                case .failure(let failure):
                    problems.append(TableProblem(location: record.location(file, failure.inB ? (bColumn ?? vc) : vc), message: "tiêu chí \(code): \(failure.message)"))
                    return
                }
                if let previous = points[unitIndex]?[leaf], previous.line > 0 {
                    problems.append(TableProblem(location: record.location(file, cc), message: "đơn vị \"\(units[unitIndex].name)\", tiêu chí \(code) đã có ở \(file):\(previous.line):\(previous.column)"))
                    return
                }
                if answers[unitIndex] == nil {
                    answers[unitIndex] = UnitResponses(leafCount: leafCount)
                    points[unitIndex] = [SourcePoint](repeating: .none, count: leafCount)
                }
                answers[unitIndex]!.inputs[leaf] = input
                points[unitIndex]![leaf] = SourcePoint(line: Int32(record.line), column: Int32(record.column(vc)))
            }
        } catch {
            problems.append(error)
        }
        if !sawHeader && problems.isEmpty {
            problems.append(TableProblem(location: "\(file):1:1", message: "tệp trống: cần một dòng tiêu đề và các dòng dữ liệu"))
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        var responses: [String: UnitResponses] = [:]
        var positions: [String: [SourcePoint]] = [:]
        for (i, unit) in units.enumerated() {
            if let a = answers[i] { responses[unit.id] = a }
            if let p = points[i] { positions[unit.id] = p }
        }
        return AssessmentInput(units: units, responses: responses, answers: answers, responsesFile: file, answerPositions: positions)
    }

    static func requireColumns(_ doc: CSVDocument, _ names: [String], _ problems: inout [TableProblem]) -> [Int]? {
        let found = names.map { doc.column($0) }
        let missing = zip(names, found).filter { $0.1 == nil }.map(\.0)
        if !missing.isEmpty {
            problems.append(TableProblem(
                location: "\(doc.file):\(doc.header.line):1",
                message: "thiếu cột bắt buộc \(missing.map { "\"\($0)\"" }.joined(separator: ", ")); cần \(names.joined(separator: ", ")) (đang có: \(doc.header.fields.joined(separator: ", ")))"))
            return nil
        }
        return found.map { $0! }
    }

    static func readUnits(_ doc: CSVDocument, _ problems: inout [TableProblem]) -> [AssessedUnit] {
        guard let columns = requireColumns(doc, ["unit", "group"], &problems) else { return [] }
        let tagColumn = doc.column("tags")
        var units: [AssessedUnit] = []
        var lines: [String: Int] = [:]
        for record in doc.records {
            func at(_ i: Int) -> String { "\(doc.file):\(record.line):\(i < record.columns.count ? record.columns[i] : 1)" }
            guard record.fields.count == doc.header.fields.count else {
                problems.append(TableProblem(location: at(0), message: "dòng có \(record.fields.count) cột nhưng tiêu đề có \(doc.header.fields.count)"))
                continue
            }
            let name = VietnameseText.normalized(record.fields[columns[0]].trimmedField)
            let group = VietnameseText.normalized(record.fields[columns[1]].trimmedField)
            if name.isEmpty { problems.append(TableProblem(location: at(columns[0]), message: "cột \"unit\": thiếu tên đơn vị")); continue }
            if group.isEmpty { problems.append(TableProblem(location: at(columns[1]), message: "cột \"group\": thiếu tên nhóm")); continue }
            if let first = lines[name] {
                problems.append(TableProblem(location: at(columns[0]), message: "đơn vị \"\(name)\" trùng với dòng \(first)"))
                continue
            }
            lines[name] = record.line
            let tags = tagColumn.map { record.fields[$0] }.map {
                Set($0.split(whereSeparator: { $0 == ";" || $0 == "|" || $0 == " " }).map(String.init))
            } ?? []
            units.append(AssessedUnit(id: name, name: name, group: group, tags: tags))
        }
        return units
    }

    struct InputFailure: Error {
        var message: String
        var inB = false
    }

    static let yes: Set = ["1", "x", "có", "co", "yes", "y", "true", "đạt", "dat"]
    static let no: Set = ["0", "không", "khong", "no", "n", "false", "không đạt", "khong dat"]

    static func number(_ text: String, _ what: String, typed: Bool = false) -> Result<ScaledDecimal, InputFailure> {
        switch typed ? WrittenNumber.parseVietnamese(text) : WrittenNumber.parse(text) {
        case .success(let n): return .success(n.value)
        case .failure(let e): return .failure(InputFailure(message: "\(what): \(e.message(for: text))"))
        }
    }

    /// Reads one answer as the criterion's rule needs it.
    /// `typed`: a person typed it (web form, API, Excel text cell), so numbers
    /// follow the Vietnamese convention (`WrittenNumber.parseVietnamese`).
    static func parseInput(_ rule: Rule, value: String, b: String, typed: Bool = false) -> Result<CriterionInput, InputFailure> {
        if value.isEmpty, case .ratio = rule {} else if value.isEmpty {
            return .failure(InputFailure(message: "cột \"value\" trống; cần \(rule.expectedInput)"))
        }
        switch rule {
        case .yesNo:
            if yes.contains(value) { return .success(.yesNo(true)) }
            if no.contains(value) { return .success(.yesNo(false)) }
            let v = VietnameseText.normalized(value.lowercased())
            if yes.contains(v) { return .success(.yesNo(true)) }
            if no.contains(v) { return .success(.yesNo(false)) }
            return .failure(InputFailure(message: "\"\(value.excerpt())\" không phải có/không (dùng 1/0, có/không)"))
        case .tiers, .cappedCount:
            return number(value, "số đếm", typed: typed).map(CriterionInput.number)
        case .manual:
            return number(value, "điểm chấm", typed: typed).map(CriterionInput.manual)
        case .ratio:
            if value.isEmpty { return .failure(InputFailure(message: "cột \"value\" (a) trống; cần hai số a và b")) }
            if b.isEmpty { return .failure(InputFailure(message: "tiêu chí tính theo tỷ lệ cần cột \"b\" (\(ratioText(rule)))", inB: true)) }
            return number(value, "a", typed: typed).flatMap { a in
                number(b, "b", typed: typed).mapError { InputFailure(message: $0.message, inB: true) }.map { CriterionInput.ratio(a: a, b: $0) }
            }
        case .choice:
            return .success(.choice(value))
        case .parts:
            let keys = value == "-" ? [] : value.split(whereSeparator: { $0 == ";" || $0 == "|" || $0 == "+" }).map { String($0).trimmedField }
            return .success(.parts(Set(keys)))
        }
    }

    static func ratioText(_ rule: Rule) -> String {
        if case .ratio(let r) = rule { return "b = \(r.denominator)" }
        return ""
    }
}

/// Reads one answer typed by a person (a web form, an API call, a spreadsheet
/// cell) the way `dti score` reads a CSV cell: same rules, same messages.
public enum AnswerParser {
    /// The input for `rule` from a stored answer, or a Vietnamese message.
    public static func parse(_ rule: Rule, value: String, b: String) -> Result<CriterionInput, AnswerProblem> {
        switch AssessmentInputReader.parseInput(rule, value: value.trimmedField, b: b.trimmedField) {
        case .success(let input): return .success(input)
        case .failure(let failure): return .failure(AnswerProblem(message: failure.message, field: failure.inB ? "b" : "value"))
        }
    }

    /// What a person typed, read with Vietnamese numbers ("1.200" is one
    /// thousand two hundred, "12,5" twelve and a half, "1.5" refused), with
    /// the value and b to store: numbers rewritten without grouping and with
    /// a decimal comma ("1.200,50" → "1200,50"), which every reader of
    /// stored answers (the server, `dti score` on published inputs) reads
    /// the same way.
    public static func parseTyped(_ rule: Rule, value: String, b: String) -> Result<TypedAnswer, AnswerProblem> {
        let value = value.trimmedField, b = b.trimmedField
        switch AssessmentInputReader.parseInput(rule, value: value, b: b, typed: true) {
        case .failure(let failure):
            return .failure(AnswerProblem(message: failure.message, field: failure.inB ? "b" : "value"))
        case .success(let input):
            func stored(_ text: String) -> String {
                guard case .success(let n) = WrittenNumber.parseVietnamese(text) else { return text }
                return n.value.formatted(decimals: n.decimals, separator: ",")
            }
            switch rule {
            case .tiers, .cappedCount, .manual: return .success(TypedAnswer(input: input, value: stored(value), b: b))
            case .ratio: return .success(TypedAnswer(input: input, value: stored(value), b: stored(b)))
            default: return .success(TypedAnswer(input: input, value: value, b: b))
            }
        }
    }
}

extension AnswerParser {
    /// Whether a stored answer makes its criterion not apply to the unit
    /// ("b = 0" on a ratio the framework calls not applicable), as `dti score`
    /// reads it. The live ranking and the scorecard both ask this.
    public static func answersNotApplicable(_ rule: Rule, max: ScaledDecimal, value: String, b: String) -> Bool {
        guard case .success(let input) = parse(rule, value: value, b: b) else { return false }
        return rule.evaluate(input, max: max) == .notApplicable
    }
}

/// A typed answer read and ready to store.
public struct TypedAnswer: Sendable {
    public var input: CriterionInput
    /// The value and b as stored.
    public var value: String
    public var b: String
}

public struct AnswerProblem: Error, Sendable {
    public var message: String
    /// `value` or `b`.
    public var field: String
}
