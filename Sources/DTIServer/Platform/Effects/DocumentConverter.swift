import Foundation
import NIOPosix
import Vapor

/// Outside tools that turn one document into another: the Word decision into
/// PDF (LibreOffice) and SVG charts into PNG for Word (librsvg). An interface,
/// so the Word and PDF logic is tested whether or not the tools are installed.
protocol DocumentConverter: Sendable {
    /// Whether a PDF can be made (the results page offers the link).
    var canMakePDF: Bool { get }
    /// The Word file as PDF; a Vietnamese refusal (503) when no converter is installed.
    func pdf(fromDOCX docx: Data) async throws -> Data
    /// The chart as PNG, or nil when no rasteriser is installed (Word then has no chart).
    func png(fromSVG svg: String) -> Data?
}

/// LibreOffice headless and librsvg's `rsvg-convert`, looked up once when the
/// server starts (`DTI_SOFFICE` names LibreOffice explicitly).
struct InstalledTools: DocumentConverter {
    let soffice: String?
    let rsvg: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func executable(_ names: [String]) -> String? {
            for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
                for name in names where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
            }
            return nil
        }
        if let configured = environment["DTI_SOFFICE"] {
            soffice = FileManager.default.isExecutableFile(atPath: configured) ? configured : nil
        } else {
            soffice = executable(["soffice", "libreoffice"])
        }
        rsvg = executable(["rsvg-convert"])
    }

    var canMakePDF: Bool { soffice != nil }

    func png(fromSVG svg: String) -> Data? {
        guard let rsvg else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: rsvg)
        process.arguments = ["--zoom=2", "--format=png"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        input.fileHandleForWriting.write(Data(svg.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 && !data.isEmpty ? data : nil
    }

    func pdf(fromDOCX docx: Data) async throws -> Data {
        guard let soffice else { throw Self.notInstalled }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opendti-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("quyet-dinh.docx")
        try docx.write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: soffice)
        process.arguments = ["--headless", "--norestore", "-env:UserInstallation=file://\(dir.path)/profile", "--convert-to", "pdf", "--outdir", dir.path, input.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // At most two minutes: a stuck converter must not hold the request forever.
        let started = DispatchTime.now().uptimeNanoseconds
        while process.isRunning && DispatchTime.now().uptimeNanoseconds - started < 120_000_000_000 { try await Task.sleep(nanoseconds: 100_000_000) }
        if process.isRunning { process.terminate(); throw Abort(.gatewayTimeout, reason: "LibreOffice không chuyển xong bản PDF trong 2 phút.") }
        guard process.terminationStatus == 0, let data = try? Data(contentsOf: dir.appendingPathComponent("quyet-dinh.pdf")) else {
            throw Abort(.internalServerError, reason: "LibreOffice không tạo được bản PDF (mã thoát \(process.terminationStatus)).")
        }
        return data
    }

    static let notInstalled = Abort(.serviceUnavailable, reason: "Máy chủ chưa cài LibreOffice nên chưa tạo được bản PDF. Hãy tải bản Word (.docx), hoặc nhờ quản trị cài gói libreoffice-writer-nogui (xem docs/DEPLOY.md).")
}

extension Application {
    private struct ConverterKey: StorageKey { typealias Value = any DocumentConverter }

    /// The document converters, found once at start.
    var converter: any DocumentConverter {
        get { storage[ConverterKey.self] ?? InstalledTools() }
        set { storage[ConverterKey.self] = newValue }
    }
}

extension Application {
    private struct DocumentWorkKey: StorageKey { typealias Value = BoundedWork }

    /// Where Word documents are built, one per application. The decision and its appendix,
    /// with a PNG per chart and map made by `rsvg-convert`, are built on a thread of their own,
    /// one at a time, queued without a bound (`BoundedWork`, capacity `Int.max`). A 4,012-unit
    /// decision takes about half a minute (34 charts of 118 bars, about 1 s each); built on
    /// Swift's cooperative threads (two on two cores), two downloads at once stopped every
    /// other request of the server for that long (PERFORMANCE.md).
    var documentWork: BoundedWork {
        get {
            guard let work = storage[DocumentWorkKey.self] else { fatalError("configure(_:) sets app.documentWork") }
            return work
        }
        set { storage[DocumentWorkKey.self] = newValue }
    }
}
