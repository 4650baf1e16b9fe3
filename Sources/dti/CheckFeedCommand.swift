import ArgumentParser
import DTICore
import DTIFormats
import Foundation

/// `dti check-feed FEED [DATA…]`: checks a feed file and, given, its data files (issue 33).
struct CheckFeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-feed",
        abstract: "Kiểm tra tệp nguồn dữ liệu (YAML) và các tệp số liệu của nó (CSV, XLSX, JSON).")

    @Argument(help: "Tệp nguồn dữ liệu, ví dụ feeds/dvc-766.yaml.")
    var feed: String

    @Argument(help: "Tệp số liệu: cột unit, period (YYYY-MM) và một cột cho mỗi trường.")
    var data: [String] = []

    func run() throws {
        try reportingProblems { () throws(ProblemList) in
            let feed = try FeedLoader.load(path: self.feed)
            var out = "\(self.feed): \(feed.name) — \(feed.publisher); \(feed.fields.count) trường, số liệu \(feed.granularity.label), "
            switch feed.source {
            case .upload: out += "nhận qua tải tệp lên\n"
            case .pull(let pull): out += "lấy từ \(pull.url) (\(pull.format.rawValue)) mỗi \(pull.everyMinutes) phút\n"
            }
            for field in feed.fields {
                let range = field.rangeText
                out += "  \(field.key): \(field.name) (\(field.kind.rawValue)\(field.unit.map { ", \($0)" } ?? "")\(range.isEmpty ? "" : ", \(range)"))\n"
            }
            var problems: [TableProblem] = []
            for path in data {
                do throws(ProblemList) {
                    let bytes = try InputFiles.bytes(path)
                    let read = try FeedDataReader.read(bytes, format: FeedDataReader.format(fileName: path, bytes: bytes), file: path, feed: feed)
                    let units = Set(read.rows.map { VietnameseText.searchKey($0.unit) }).count
                    let months = read.months
                    out += "\(path): \(NumberText.grouped(read.rows.count)) dòng, \(NumberText.grouped(units)) đơn vị, tháng \(months.first!.label)–\(months.last!.label), \(NumberText.grouped(read.valueCount)) giá trị\n"
                } catch { problems += error.problems }
            }
            if !problems.isEmpty { throw ProblemList(problems) }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}
