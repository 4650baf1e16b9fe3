import DTICore
import Foundation

/// Reads a results table (`dti rank`, `dti audit`): columns `group`, `unit`,
/// `points` (empty or "-" = did not report), optional `max_points`, `rank`,
/// `index`, `band`, and further numeric columns (pillar scores…).
public enum ResultTableReader {
    static let required = ["group", "unit", "points"]
    static let reserved = Set(required + ["max_points", "rank", "index", "band", "stt", "tt"])

    /// Reads and checks the whole file; throws every problem found, never a
    /// partial table.
    public static func read(_ document: CSVDocument) throws(ProblemList) -> ResultTable {
        var problems: [TableProblem] = []
        let file = document.file
        let header = document.header.fields.map { VietnameseText.normalized($0.trimmedField) }
        var seen: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            let key = name.lowercased()
            if name.isEmpty {
                problems.append(TableProblem(location: "\(file):\(document.header.line):\(document.header.columns[i])", message: "cột thứ \(i + 1) không có tên"))
            } else if seen[key] != nil {
                problems.append(TableProblem(location: "\(file):\(document.header.line):\(document.header.columns[i])", message: "cột \"\(name)\" xuất hiện hai lần"))
            }
            seen[key] = i
        }
        for name in required where seen[name] == nil {
            problems.append(TableProblem(
                location: "\(file):\(document.header.line):1",
                message: "thiếu cột bắt buộc \"\(name)\"; dòng tiêu đề cần có group, unit, points (đang có: \(header.joined(separator: ", ")))"))
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        let extraColumns = header.indices.filter { !reserved.contains(header[$0].lowercased()) }
        let g = seen["group"]!, u = seen["unit"]!, p = seen["points"]!
        var rows: [ResultRow] = []
        var unitLines: [String: Int] = [:]
        for record in document.records {
            let at = { (i: Int) in "\(file):\(record.line):\(i < record.columns.count ? record.columns[i] : (record.columns.last ?? 1))" }
            guard record.fields.count == header.count else {
                problems.append(TableProblem(location: at(0), message: "dòng có \(record.fields.count) cột nhưng tiêu đề có \(header.count)"))
                continue
            }
            func text(_ i: Int) -> String { VietnameseText.normalized(record.fields[i].trimmedField) }
            func number(_ i: Int, allowMissing: Bool) -> WrittenNumber?? {
                let t = text(i)
                if t.isEmpty || t == "-" {
                    if allowMissing { return .some(nil) }
                    problems.append(TableProblem(location: at(i), message: "cột \"\(header[i])\": thiếu giá trị"))
                    return nil
                }
                switch WrittenNumber.parse(t) {
                case .success(let n): return .some(n)
                case .failure(let e):
                    problems.append(TableProblem(location: at(i), message: "cột \"\(header[i])\": \(e.message(for: t))"))
                    return nil
                }
            }
            let group = text(g), unit = text(u)
            if group.isEmpty { problems.append(TableProblem(location: at(g), message: "cột \"group\": thiếu tên nhóm")) }
            if unit.isEmpty { problems.append(TableProblem(location: at(u), message: "cột \"unit\": thiếu tên đơn vị")) }
            let key = VietnameseText.searchKey(group) + "\u{1F}" + VietnameseText.searchKey(unit)
            if !unit.isEmpty, let first = unitLines[key] {
                problems.append(TableProblem(location: at(u), message: "đơn vị \"\(unit)\" trùng với dòng \(first) trong nhóm \"\(group)\""))
            } else {
                unitLines[key] = record.line
            }
            guard let points = number(p, allowMissing: true) else { continue }
            var row = ResultRow(group: group, unit: unit, points: points)
            if let i = seen["max_points"] {
                guard let m = number(i, allowMissing: true) else { continue }
                if let m, m.value.micros == 0 {
                    problems.append(TableProblem(location: at(i), message: "cột \"max_points\": điểm tối đa phải lớn hơn 0"))
                }
                row.maxPoints = m?.value
            }
            if let i = seen["rank"] {
                let t = text(i)
                if !t.isEmpty && t != "-" {
                    if let r = Int(t), r > 0 { row.publishedRank = r } else {
                        problems.append(TableProblem(location: at(i), message: "cột \"rank\": \"\(t)\" không phải số thứ hạng (1, 2, 3…)"))
                    }
                }
            }
            if let i = seen["index"] { row.publishedIndex = number(i, allowMissing: true) ?? nil }
            if let i = seen["band"], !text(i).isEmpty, text(i) != "-" { row.publishedBand = text(i) }
            var columns: [WrittenNumber?] = []
            for c in extraColumns { columns.append(number(c, allowMissing: true) ?? nil) }
            row.columns = columns
            var positions: [String: Int] = [:]
            for (i, name) in header.enumerated() { positions[name.lowercased()] = record.columns[i] }
            row.origin = RowOrigin(file: file, line: record.line, columns: positions)
            if points == nil, columns.contains(where: { $0 != nil }) {
                problems.append(TableProblem(location: at(p), message: "đơn vị \"\(unit)\" không có tổng điểm nhưng có điểm thành phần"))
            }
            rows.append(row)
        }
        if document.records.isEmpty {
            problems.append(TableProblem(location: "\(file):\(document.header.line + 1):1", message: "bảng không có dòng dữ liệu nào"))
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        return ResultTable(columnNames: extraColumns.map { header[$0] }, rows: rows)
    }
}

/// Every problem found in an input, reported together so a user fixes them
/// all in one pass.
public struct ProblemList: Error, Sendable {
    public var problems: [TableProblem]
    public init(_ problems: [TableProblem]) { self.problems = problems }
}
