import ArgumentParser
import DTICore
import DTIFormats

/// `dti rank FILE`: ranks results that are already totalled.
struct RankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Xếp hạng một bảng kết quả đã có tổng điểm (CSV/TSV: group, unit, points…).")

    @Argument(help: "Tệp CSV hoặc TSV có các cột group, unit, points; tùy chọn max_points, rank và các cột điểm thành phần.")
    var file: String

    @OptionGroup var ranking: RankingOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingProblems { () throws(ProblemList) in
            let settings = try ranking.settings()
            let table = try ResultTableReader.read(try InputFiles.csv(file))
            let problems = table.problems(under: settings)
            if !problems.isEmpty { throw ProblemList(problems) }
            try output.write(ResultsWriter(table.ranked(under: settings)).render(output.format))
        }
    }
}
