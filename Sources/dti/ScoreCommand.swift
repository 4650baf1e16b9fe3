import ArgumentParser
import DTICore
import DTIFormats
import Foundation

/// `dti score FRAMEWORK UNITS RESPONSES`: criterion-level scoring.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Tính điểm từng tiêu chí theo bộ chỉ số, tổng hợp, xếp hạng và xếp loại.")

    @Argument(help: "Tệp bộ chỉ số (YAML), ví dụ frameworks/example-all-rules.yaml.")
    var framework: String

    @Argument(help: "Danh sách đơn vị (CSV): unit, group, tags.")
    var units: String

    @Argument(help: "Số liệu của đơn vị (CSV): unit, criterion, value, b.")
    var responses: String

    @Option(name: .customLong("average-over"), help: "Giá trị trung bình tính trên: reported hoặc all.")
    var averageOver: AverageRule = .reported

    @Option(name: .customLong("feed-data"), help: "Số liệu của một nguồn dữ liệu cho các tiêu chí lấy tự động: KHÓA=TỆP (hoặc TỆP khi bộ chỉ số chỉ dùng một nguồn).")
    var feedData: [String] = []

    @Option(help: "Thư mục các tệp nguồn dữ liệu (mặc định: feeds/ cạnh thư mục của tệp bộ chỉ số).")
    var feeds: String?

    @Option(name: .customLong("as-of"), help: "Chỉ tính số liệu nguồn đến hết tháng này (YYYY-MM); mặc định: mọi tháng đã có.")
    var asOf: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingProblems { () throws(ProblemList) in
            let compiled = CompiledFramework(try FrameworkLoader.load(path: framework))
            // Both files are read before failing, so every problem is listed at once.
            let unitsRead = Result { () throws(ProblemList) in try InputFiles.csv(units) }
            let responsesRead = Result { () throws(ProblemList) in try InputFiles.bytes(responses) }
            switch (unitsRead, responsesRead) {
            case let (.failure(a), .failure(b)): throw ProblemList(a.problems + b.problems)
            default: break
            }
            let unitsDocument = try unitsRead.get()
            let responsesBytes = try responsesRead.get()
            var input = try AssessmentInputReader.read(units: unitsDocument, responses: responsesBytes, responsesFile: responses, framework: compiled)
            try fillFromFeeds(&input, compiled)
            var errors: [TableProblem] = []
            for (unit, answers) in zip(input.units, input.answers) {
                guard let answers else { continue }
                for finding in Validation.check(unit, answers, in: compiled) {
                    let location = input.answerLocation(unit: unit.id, criterion: finding.criterion, in: compiled) ?? responses
                    let problem = TableProblem(location: location, message: "đơn vị \"\(unit.name)\", tiêu chí \(finding.criterion): \(finding.message)")
                    if finding.severity == .error { errors.append(problem) } else {
                        FileHandle.standardError.write(Data("cảnh báo: \(problem.description)\n".utf8))
                    }
                }
            }
            if !errors.isEmpty { throw ProblemList(errors) }
            let result = Assessment.run(compiled, units: input.units, answers: input.answers, averageOver: averageOver)
            try output.write(ScoreWriter(result).render(output.format))
        }
    }

    /// The criteria bound to feeds, filled from `--feed-data` (issue 33).
    func fillFromFeeds(_ input: inout AssessmentInput, _ compiled: CompiledFramework) throws(ProblemList) {
        let bound = Set(compiled.nodes.compactMap { $0.feed?.feed })
        if bound.isEmpty && feedData.isEmpty { return }
        var month: FeedMonth?
        if let asOf {
            guard let parsed = FeedMonth(asOf) else { throw ProblemList([TableProblem(location: "--as-of", message: "\"\(asOf)\" không phải tháng dạng YYYY-MM")]) }
            month = parsed
        }
        let directory = feeds ?? URL(fileURLWithPath: framework).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("feeds").path
        let known = try FeedLoader.loadDirectory(directory)
        var problems = FeedLoader.check(compiled.framework, feeds: known, file: framework)
        var pairs: [(feed: Feed, data: FeedData)] = []
        for item in feedData {
            var key: String, path: String
            if let eq = item.firstIndex(of: "="), known.contains(where: { $0.key == String(item[..<eq]) }) {
                key = String(item[..<eq]); path = String(item[item.index(after: eq)...])
            } else if bound.count == 1 {
                key = bound.first!; path = item
            } else {
                problems.append(TableProblem(location: "--feed-data", message: "\"\(item)\": ghi KHÓA=TỆP (bộ chỉ số dùng các nguồn \(bound.sorted().joined(separator: ", ")))"))
                continue
            }
            guard let feed = known.first(where: { $0.key == key }) else {
                problems.append(TableProblem(location: "--feed-data", message: "không có nguồn dữ liệu \"\(key)\" trong \(directory)"))
                continue
            }
            do throws(ProblemList) {
                let bytes = try InputFiles.bytes(path)
                pairs.append((feed, try FeedDataReader.read(bytes, format: FeedDataReader.format(fileName: path, bytes: bytes), file: path, feed: feed)))
            } catch { problems += error.problems }
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        try input.fill(from: pairs, framework: compiled, year: compiled.framework.year, asOf: month)
    }
}
