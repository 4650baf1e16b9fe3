import ArgumentParser
import DTICore
import DTIFormats
import DTIServer
import Foundation

/// `dti verify RECORD.json [FRAMEWORK…]`: recomputes a published record (the
/// open data downloaded from the portal) and says whether it holds.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Kiểm tra một bản ghi kết quả công bố (tải từ cổng kết quả): tính lại chỉ số, thứ hạng, xếp loại và các giá trị thống kê.",
        discussion: """
        In "khớp" cùng mã SHA-256 của tệp khi mọi con số đúng; nếu không, liệt kê từng chỗ khác và thoát với mã 1.
        Có thể đưa thêm các tệp bộ chỉ số (YAML): mã SHA-256 của tệp, các cột và trọng số được đối chiếu với bản ghi.
        """)

    @Argument(help: "Tệp bản ghi (record.json) tải từ cổng kết quả.")
    var record: String

    @Argument(help: "Tệp bộ chỉ số mà bản ghi nêu tên (tùy chọn).")
    var frameworks: [String] = []

    func run() throws {
        var differences: [String] = []
        var hash = ""
        try reportingProblems { () throws(ProblemList) in
            let bytes = try InputFiles.bytes(record)
            let parsed: PublishedRecord
            do throws(PublishedRecord.ReadError) { parsed = try PublishedRecord.parse(Data(bytes)) } catch {
                throw ProblemList([TableProblem(location: record, message: error.message)])
            }
            hash = Digests.sha256Hex(Data(bytes))
            var compiled: [String: CompiledFramework] = [:]
            var fileHashes: [String: String] = [:]
            for file in frameworks {
                let framework = try FrameworkLoader.load(path: file)
                compiled[framework.id] = CompiledFramework(framework)
                fileHashes[framework.id] = Digests.sha256Hex(Data(try InputFiles.bytes(file)))
            }
            for level in parsed.levels {
                guard let ref = level.framework, let sha = fileHashes[ref.key] else { continue }
                if sha != ref.sha256 {
                    differences.append("[\(level.level)] tệp bộ chỉ số \(ref.key) có mã \(sha), bản ghi nêu \(ref.sha256) (phiên bản \(ref.version))")
                }
            }
            for key in compiled.keys where !parsed.levels.contains(where: { $0.framework?.key == key }) {
                differences.append("bộ chỉ số \(key) không được bản ghi dùng")
            }
            differences += parsed.verify(frameworks: compiled)
            let units = parsed.levels.reduce(0) { $0 + $1.results.units.count }
            if differences.isEmpty {
                print("khớp: \(parsed.title) — \(parsed.levels.count) bảng, \(units) đơn vị; SHA-256 \(hash)")
            }
        }
        guard differences.isEmpty else {
            FileHandle.standardError.write(Data((differences.joined(separator: "\n") + "\nkhông khớp: \(differences.count) chỗ khác; SHA-256 của tệp \(hash)\n").utf8))
            throw ExitCode(1)
        }
    }
}
