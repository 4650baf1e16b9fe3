import ArgumentParser
import DTICore
import DTIFormats
import Foundation

extension IndexMethod: ExpressibleByArgument {}
extension AverageRule: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}

/// Options shared by `rank` and `audit`: how totals become indices and how
/// they are printed.
struct RankingOptions: ParsableArguments {
    @Option(help: "Cách tính chỉ số: raw (tổng điểm), fraction (tỷ lệ trên điểm tối đa), percent (%).")
    var method: IndexMethod = .raw

    @Option(help: "Điểm tối đa áp dụng cho các dòng không có cột max_points.")
    var max: String?

    @Option(help: "Số chữ số thập phân khi hiển thị (mặc định: raw giữ nguyên như trong tệp; fraction tối đa 6; percent 2).")
    var decimals: Int?

    @Flag(help: "Bỏ các số 0 ở cuối phần thập phân (0,886 thay vì 0,886000).")
    var trimZeros = false

    @Flag(name: .customLong("decimal-comma"), help: "Dấu thập phân là dấu phẩy (mặc định): 162,08.")
    var decimalComma = false

    @Flag(name: .customLong("decimal-point"), help: "Dấu thập phân là dấu chấm: 81.83.")
    var decimalPoint = false

    @Option(help: "Xếp loại theo % điểm tối đa, ví dụ \"Tốt:90,Khá:70,Trung bình:50,Yếu:0\".")
    var bands: String?

    @Option(name: .customLong("average-over"), help: "Giá trị trung bình tính trên: reported (đơn vị có báo cáo) hoặc all (tính đơn vị không báo cáo là 0).")
    var averageOver: AverageRule = .reported

    @Option(help: "Số đơn vị đứng đầu và cuối để so sánh trung bình.")
    var top: Int = 3

    func validate() throws {
        if decimalComma && decimalPoint { throw ValidationError("chỉ chọn một trong --decimal-comma và --decimal-point") }
        if let decimals, !(0...6).contains(decimals) { throw ValidationError("--decimals phải từ 0 đến 6") }
        if !(1...1000).contains(top) { throw ValidationError("--top phải từ 1 đến 1000") }
    }

    func settings() throws(ProblemList) -> RankingSettings {
        var problems: [TableProblem] = []
        var defaultMax: ScaledDecimal?
        if let max {
            switch WrittenNumber.parse(max) {
            case .success(let n) where n.value.micros > 0: defaultMax = n.value
            case .success: problems.append(TableProblem(location: "--max", message: "điểm tối đa phải lớn hơn 0"))
            case .failure(let e): problems.append(TableProblem(location: "--max", message: e.message(for: max)))
            }
        }
        var parsedBands: [Band] = []
        if let bands {
            switch Classification.parseBands(bands) {
            case .success(let b): parsedBands = b
            case .failure(let e): problems.append(TableProblem(location: "--bands", message: e.message))
            }
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        var display = DisplayStyle.default(for: method)
        if method == .raw { display.decimals = nil }
        if let decimals { display.decimals = decimals }
        if trimZeros { display.trimZeros = true }
        display.separator = decimalPoint ? "." : ","
        return RankingSettings(method: method, defaultMax: defaultMax, display: display, bands: parsedBands, averageOver: averageOver, topK: top)
    }
}

/// Where output goes: standard output, or a file written whole or not at all.
struct OutputOptions: ParsableArguments {
    @Option(help: "Định dạng: table, csv, json, markdown.")
    var format: OutputFormat = .table

    @Option(name: [.short, .customLong("output")], help: "Ghi kết quả vào tệp (ghi trọn vẹn hoặc không ghi gì).")
    var output: String?

    func write(_ text: String) throws(ProblemList) {
        guard let output else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        // Only a regular file or a new path: written atomically, a device or a
        // link would be replaced by a plain file (as root, /dev/null too).
        if let type = try? FileManager.default.attributesOfItem(atPath: output)[.type] as? FileAttributeType, type != .typeRegular {
            throw ProblemList([TableProblem(location: output, message: "không ghi đè: đây không phải tệp thường (thư mục, thiết bị hay liên kết); hãy chọn tên tệp khác")])
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw ProblemList([TableProblem(location: output, message: "không ghi được tệp kết quả: \(error.localizedDescription)")])
        }
    }
}

enum InputFiles {
    /// Reads a CSV/TSV file, or explains why it cannot.
    static func csv(_ path: String) throws(ProblemList) -> CSVDocument {
        let data = try bytes(path)
        do { return try CSVReader.parse(data, file: path) } catch { throw ProblemList([error]) }
    }

    /// The whole content of a file, or why it cannot be read.
    static func bytes(_ path: String) throws(ProblemList) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ProblemList([TableProblem(location: path, message: "không tìm thấy tệp")])
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw ProblemList([TableProblem(location: path, message: "không đọc được tệp (là thư mục hoặc không có quyền đọc)")])
        }
        return [UInt8](data)
    }
}

/// Input problems: printed one per line on standard error, exit status 2.
struct InputRejected: Error, CustomStringConvertible {
    var problems: ProblemList
    var description: String {
        let count = problems.problems.count
        return problems.problems.map(\.description).joined(separator: "\n") + "\n\(count) lỗi; không có kết quả nào được ghi."
    }
}

extension ParsableCommand {
    /// Runs `body`; input problems become a clean message and exit status 2.
    func reportingProblems(_ body: () throws(ProblemList) -> Void) throws {
        do { try body() } catch {
            FileHandle.standardError.write(Data((InputRejected(problems: error).description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}
