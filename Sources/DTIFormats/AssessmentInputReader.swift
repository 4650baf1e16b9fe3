import DTICore
import Foundation

/// Units and their answers for `dti score`, read from CSV with the same
/// error rules as results tables.
public struct AssessmentInput: Sendable {
    public var units: [AssessedUnit]
    public var responses: [String: UnitResponses]
    /// Where each answer came from: "file:line:column" by unit and criterion code.
    public var answerLocations: [String: [String: String]]
}

public enum AssessmentInputReader {
    /// Reads `units` (columns `unit`, `group`, optional `tags`) and
    /// `responses` (columns `unit`, `criterion`, `value`, optional `b`).
    /// Throws every problem of both files together; nothing is half-read.
    public static func read(
        units unitsDocument: CSVDocument, responses responsesDocument: CSVDocument, framework: CompiledFramework
    ) throws(ProblemList) -> AssessmentInput {
        var problems: [TableProblem] = []
        let units = readUnits(unitsDocument, &problems)
        var byName: [String: Int] = [:]
        for (i, unit) in units.enumerated() { byName[unit.id] = i }
        var responses: [String: UnitResponses] = [:]
        var locations: [String: [String: String]] = [:]
        let doc = responsesDocument
        let file = doc.file
        let columns = requireColumns(doc, ["unit", "criterion", "value"], &problems)
        if let columns {
            let bColumn = doc.column("b")
            let (uc, cc, vc) = (columns[0], columns[1], columns[2])
            let width = doc.header.fields.count
            for record in doc.records {
                func at(_ i: Int) -> String { "\(file):\(record.line):\(i < record.columns.count ? record.columns[i] : 1)" }
                guard record.fields.count == width else {
                    problems.append(TableProblem(location: at(0), message: "dòng có \(record.fields.count) cột nhưng tiêu đề có \(width)"))
                    continue
                }
                let unitName = VietnameseText.normalized(record.fields[uc].trimmingCharacters(in: .whitespaces))
                let code = record.fields[cc].trimmingCharacters(in: .whitespaces)
                guard byName[unitName] != nil else {
                    problems.append(TableProblem(location: at(uc), message: "cột \"unit\": đơn vị \"\(unitName)\" không có trong tệp danh sách đơn vị \(unitsDocument.file)"))
                    continue
                }
                guard let leaf = framework.leafByCode[code] else {
                    let hint = framework.node(code: code) != nil ? " (đây là nút tổng hợp; nhập điểm cho các tiêu chí con)" : ""
                    problems.append(TableProblem(location: at(cc), message: "cột \"criterion\": không có tiêu chí \"\(code)\" trong bộ chỉ số\(hint)"))
                    continue
                }
                let rule = framework.nodes[framework.leaves[leaf]].rule!
                let value = record.fields[vc].trimmingCharacters(in: .whitespaces)
                let b = bColumn.map { record.fields[$0].trimmingCharacters(in: .whitespaces) } ?? ""
                let input: CriterionInput
                switch parseInput(rule, value: value, b: b) {
                case .success(let parsed): input = parsed
                case .failure(let failure):
                    problems.append(TableProblem(location: at(failure.inB ? (bColumn ?? vc) : vc), message: "tiêu chí \(code): \(failure.message)"))
                    continue
                }
                if let previous = locations[unitName]?[code] {
                    problems.append(TableProblem(location: at(cc), message: "đơn vị \"\(unitName)\", tiêu chí \(code) đã có ở \(previous)"))
                    continue
                }
                responses[unitName, default: UnitResponses(leafCount: framework.leaves.count)].inputs[leaf] = input
                locations[unitName, default: [:]][code] = at(vc)
            }
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        return AssessmentInput(units: units, responses: responses, answerLocations: locations)
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
            let name = VietnameseText.normalized(record.fields[columns[0]].trimmingCharacters(in: .whitespaces))
            let group = VietnameseText.normalized(record.fields[columns[1]].trimmingCharacters(in: .whitespaces))
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

    static func number(_ text: String, _ what: String) -> Result<ScaledDecimal, InputFailure> {
        switch WrittenNumber.parse(text) {
        case .success(let n): return .success(n.value)
        case .failure(let e): return .failure(InputFailure(message: "\(what): \(e.message(for: text))"))
        }
    }

    /// Reads one answer as the criterion's rule needs it.
    static func parseInput(_ rule: Rule, value: String, b: String) -> Result<CriterionInput, InputFailure> {
        if value.isEmpty, case .ratio = rule {} else if value.isEmpty {
            return .failure(InputFailure(message: "cột \"value\" trống; cần \(rule.expectedInput)"))
        }
        switch rule {
        case .yesNo:
            let v = VietnameseText.normalized(value.lowercased())
            if yes.contains(v) { return .success(.yesNo(true)) }
            if no.contains(v) { return .success(.yesNo(false)) }
            return .failure(InputFailure(message: "\"\(value)\" không phải có/không (dùng 1/0, có/không)"))
        case .tiers, .cappedCount:
            return number(value, "số đếm").map(CriterionInput.number)
        case .manual:
            return number(value, "điểm chấm").map(CriterionInput.manual)
        case .ratio:
            if value.isEmpty { return .failure(InputFailure(message: "cột \"value\" (a) trống; cần hai số a và b")) }
            if b.isEmpty { return .failure(InputFailure(message: "tiêu chí tính theo tỷ lệ cần cột \"b\" (\(ratioText(rule)))", inB: true)) }
            return number(value, "a").flatMap { a in
                number(b, "b").mapError { InputFailure(message: $0.message, inB: true) }.map { CriterionInput.ratio(a: a, b: $0) }
            }
        case .choice:
            return .success(.choice(value))
        case .parts:
            let keys = value == "-" ? [] : value.split(whereSeparator: { $0 == ";" || $0 == "|" || $0 == "+" }).map { $0.trimmingCharacters(in: .whitespaces) }
            return .success(.parts(Set(keys)))
        }
    }

    static func ratioText(_ rule: Rule) -> String {
        if case .ratio(let r) = rule { return "b = \(r.denominator)" }
        return ""
    }
}
