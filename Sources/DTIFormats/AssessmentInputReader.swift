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
    /// Each unit's official code, from the units file's optional `code` column (feeds identify units by it).
    public var codes: [String: String] = [:]
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
                switch AnswerParser.read(framework.leafRule(leaf), value: value, b: b) {
                case .success(let parsed): input = parsed
                case .failure(let failure):
                    problems.append(TableProblem(location: record.location(file, failure.field == "b" ? (bColumn ?? vc) : vc), message: "tiêu chí \(code): \(failure.message)"))
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
        var input = AssessmentInput(units: units, responses: responses, answers: answers, responsesFile: file, answerPositions: positions)
        if let codeColumn = unitsDocument.column("code"), let nameColumn = unitsDocument.column("unit") {
            for record in unitsDocument.records where record.fields.count > max(codeColumn, nameColumn) {
                let code = record.fields[codeColumn].trimmedField
                if !code.isEmpty { input.codes[VietnameseText.normalized(record.fields[nameColumn].trimmedField)] = code }
            }
        }
        return input
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
}
