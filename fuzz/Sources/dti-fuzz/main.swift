// Fuzz targets for libFuzzer (docs/SECURITY.md, `bash fuzz/run.sh`). Built
// with `-sanitize=fuzzer -D FUZZING`, main hands over to libFuzzer's driver
// (`LLVMFuzzerRunDriver`), which calls `exercise` with each input; the
// target is chosen by the DTI_FUZZ_TARGET environment variable. Built
// normally (as part of `swift build`), it runs input files through a
// target, so the targets always compile and a crash found can be replayed.
import DTICore
import DTIFormats
import DTIMultipart
import Foundation
import NIOCore

/// Runs `bytes` through a reader; any thrown error is a refusal, which is fine.
/// A trap, an overflow or a hang is what the fuzzer looks for.
func exercise(_ target: String, _ bytes: [UInt8]) {
    switch target {
    case "number":
        let text = String(decoding: bytes, as: UTF8.self)
        _ = WrittenNumber.parse(text)
        _ = WrittenNumber.parseVietnamese(text)
    case "csv":
        if let document = try? CSVReader.parse(bytes, file: "fuzz.csv") {
            _ = try? ResultTableReader.read(document)
        }
    case "framework":
        _ = try? FrameworkLoader.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
    case "xlsx":
        // Within the limits its size allows (issue 31): run.sh gives this
        // target a 3 s timeout and 512 MB, so a file that costs more is a finding.
        _ = try? WorkbookReader(data: Data(bytes))
    case "framework-workbook":
        _ = try? FrameworkWorkbook.read(Data(bytes))
    case "record":
        if let record = try? PublishedRecord.parse(Data(bytes)) { _ = record.verify() }
    case "multipart":
        // The first byte splits the body into chunks, as a network would. (The
        // server's MultipartGuardMiddleware reads collected bodies in one chunk.)
        let reader = MultipartReader(boundary: "----OpenDTIFuzz")
        let body = bytes.dropFirst()
        let step = max(1, Int(bytes.first ?? 64))
        var at = body.startIndex
        while at < body.endIndex {
            let end = min(at + step, body.endIndex)
            guard (try? reader.feed(ByteBuffer(bytes: body[at..<end]))) != nil else { break }
            at = end
        }
    default:
        FileHandle.standardError.write(Data("DTI_FUZZ_TARGET: number, csv, framework, xlsx, framework-workbook, record or multipart\n".utf8))
        exit(2)
    }
}

let target = ProcessInfo.processInfo.environment["DTI_FUZZ_TARGET"] ?? "number"

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv) { data, size in
    exercise(target, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
})
#else
for path in CommandLine.arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else { continue }
    exercise(target, [UInt8](data))
}
print("ok")
#endif
