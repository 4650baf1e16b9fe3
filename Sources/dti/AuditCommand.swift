import ArgumentParser
import DTICore
import DTIFormats
import Foundation

/// `dti audit FILE`: checks a published table for internal consistency.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Kiểm tra một bảng kết quả đã công bố: tổng thành phần, thứ hạng, chỉ số, xếp loại và giá trị trung bình. Mã thoát 1 khi có sai lệch.")

    @Argument(help: "Tệp CSV hoặc TSV như của dti rank.")
    var file: String

    @Option(name: .customLong("stated-average"), help: "Giá trị trung bình đã công bố: NHÓM=GIÁ_TRỊ hoặc NHÓM:CỘT=GIÁ_TRỊ (lặp lại được).")
    var statedAverages: [String] = []

    @Option(help: "Chênh lệch cho phép giữa tổng các cột thành phần và tổng điểm.")
    var tolerance: String = "0"

    @OptionGroup var ranking: RankingOptions

    @Option(help: "Định dạng: table hoặc json.")
    var format: OutputFormat = .table

    func run() throws {
        var findingsCount = 0
        try reportingProblems { () throws(ProblemList) in
            let settings = try ranking.settings()
            var problems: [TableProblem] = []
            var stated: [StatedAverage] = []
            for text in statedAverages {
                guard let eq = text.lastIndex(of: "=") else {
                    problems.append(TableProblem(location: "--stated-average", message: "\"\(text)\": cần dạng NHÓM=GIÁ_TRỊ hoặc NHÓM:CỘT=GIÁ_TRỊ"))
                    continue
                }
                let target = text[..<eq]
                let valueText = String(text[text.index(after: eq)...])
                var group = String(target), column: String?
                if let colon = target.lastIndex(of: ":") {
                    group = String(target[..<colon])
                    column = VietnameseText.normalized(String(target[target.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
                }
                switch WrittenNumber.parse(valueText) {
                case .success(let n):
                    stated.append(StatedAverage(group: VietnameseText.normalized(group.trimmingCharacters(in: .whitespaces)), column: column, value: n))
                case .failure(let e):
                    problems.append(TableProblem(location: "--stated-average", message: e.message(for: valueText)))
                }
            }
            var tol = ScaledDecimal.zero
            switch WrittenNumber.parse(tolerance) {
            case .success(let n): tol = n.value
            case .failure(let e): problems.append(TableProblem(location: "--tolerance", message: e.message(for: tolerance)))
            }
            if !problems.isEmpty { throw ProblemList(problems) }
            let table = try ResultTableReader.read(try InputFiles.csv(file))
            let tableProblems = table.problems(under: settings)
            if !tableProblems.isEmpty { throw ProblemList(tableProblems) }
            let findings = Audit.run(table, settings: settings, statedAverages: stated, partsTolerance: tol)
            findingsCount = findings.count
            let text: String
            if format == .json {
                text = JSONValue.object([
                    ("file", .string(file)),
                    ("findings", .array(findings.map { f in
                        .object([("kind", .string(f.kind.rawValue)), ("location", .string(f.location)),
                                 ("unit", .string(f.unit)), ("message", .string(f.message))])
                    })),
                ]).serialized() + "\n"
            } else if findings.isEmpty {
                text = "\(file): không phát hiện sai lệch (\(table.rows.count) dòng, \(stated.count) giá trị trung bình được kiểm tra).\n"
            } else {
                text = findings.map { ($0.location.isEmpty ? file : $0.location) + ": " + $0.message }.joined(separator: "\n")
                    + "\n\(findings.count) sai lệch.\n"
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        if findingsCount > 0 { throw ExitCode(1) }
    }
}
