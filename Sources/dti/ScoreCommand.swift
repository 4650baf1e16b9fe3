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
            let input = try AssessmentInputReader.read(units: unitsDocument, responses: responsesBytes, responsesFile: responses, framework: compiled)
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
}

