import ArgumentParser
import DTICore
import DTIFormats
import Foundation

/// `dti robustness FILE`: how sure a ranking is of itself under other weights and aggregations.
struct RobustnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robustness",
        abstract: "Độ vững của xếp hạng: hạng của mỗi đơn vị khi đổi trọng số từng cột, khoảng hạng khi rút trọng số ngẫu nhiên (cộng và nhân), các cặp hay đổi thứ tự, tầm quan trọng thực tế của từng cột.")

    @Argument(help: "Bảng kết quả CSV/TSV có các cột điểm thành phần (như dti rank đọc), hoặc bản ghi công bố record.json.")
    var file: String

    @Option(help: "Mức thay đổi trọng số, từ 0 đến 1 (0.2: mỗi trọng số trong khoảng ±20 %).")
    var spread: String = "0.2"

    @Option(help: "Số lần rút trọng số ngẫu nhiên (1 đến 100000).")
    var draws: Int = 1000

    @Option(help: "Hạt giống ngẫu nhiên: cùng hạt giống cho cùng kết quả.")
    var seed: UInt64 = 1

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard output.format == .table || output.format == .json else { throw ValidationError("--format phải là table hoặc json") }
    }

    func run() throws {
        try reportingProblems { () throws(ProblemList) in
            var options = Robustness.Options(draws: draws, seed: seed)
            switch WrittenNumber.parse(spread) {
            case .success(let n): options.spread = n.value
            case .failure(let e): throw ProblemList([TableProblem(location: "--spread", message: e.message(for: spread))])
            }
            var inputs: [(level: String?, input: Robustness.Input)] = []
            let bytes = try InputFiles.bytes(file)
            if file.lowercased().hasSuffix(".json") || bytes.first == UInt8(ascii: "{") {
                let record: PublishedRecord
                do throws(PublishedRecord.ReadError) { record = try PublishedRecord.parse(Data(bytes)) } catch {
                    throw ProblemList([TableProblem(location: file, message: error.message)])
                }
                inputs = record.levels.filter { !$0.results.columnNames.isEmpty }.map { ($0.level, RobustnessInput.from($0)) }
                if inputs.isEmpty { throw ProblemList([TableProblem(location: file, message: Robustness.Problem.noColumns.description)]) }
            } else {
                let table = try ResultTableReader.read(try InputFiles.csv(file))
                inputs = [(nil, try RobustnessInput.from(table))]
            }
            var reports: [(String?, Robustness.Report)] = []
            for (level, input) in inputs {
                do throws(Robustness.Problem) { reports.append((level, try Robustness.analyse(input, options: options))) } catch {
                    let location = error == .spread ? "--spread" : error == .draws ? "--draws" : file
                    throw ProblemList([TableProblem(location: location, message: error.description)])
                }
            }
            let text: String
            if output.format == .json {
                text = RobustnessWriter.json(Robustness.Report(groups: reports.flatMap(\.1.groups)))
            } else {
                text = reports.map { RobustnessWriter.table($0.1, level: $0.0, options: options) }.joined()
            }
            try output.write(text)
        }
    }
}
