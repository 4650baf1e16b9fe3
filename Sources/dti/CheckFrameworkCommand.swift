import ArgumentParser
import DTICore
import DTIFormats
import Foundation

/// `dti check-framework FILE…`: loads framework files and prints their outline.
struct CheckFrameworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-framework",
        abstract: "Kiểm tra tệp bộ chỉ số và in cấu trúc (nhóm, chỉ số chính, điểm tối đa).")

    @Argument(help: "Một hoặc nhiều tệp YAML.")
    var files: [String]

    func run() throws {
        try reportingProblems { () throws(ProblemList) in
            var problems: [TableProblem] = []
            var out = ""
            for file in files {
                do throws(ProblemList) {
                    let f = try FrameworkLoader.load(path: file)
                    let compiled = CompiledFramework(f)
                    out += "\(file): \(f.title) — \(f.level) \(f.year), phiên bản \(f.version); \(compiled.mainIndices.count) chỉ số chính, \(compiled.leaves.count) nút tính điểm, tối đa \(f.maxPoints.formatted(decimals: f.maxPoints.significantDecimals, separator: f.display.separator)) điểm; cách tính: \(f.method.label)\n"
                    for (i, node) in compiled.nodes.enumerated() where node.kind != .criterion && node.kind != .component {
                        out += String(repeating: "  ", count: compiled.depth[i] + 1) + "\(node.code) \(node.name): \(node.max.formatted(decimals: node.max.significantDecimals, separator: f.display.separator))\n"
                    }
                } catch { problems += error.problems }
            }
            if !problems.isEmpty { throw ProblemList(problems) }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}
