import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Runs the built `dti` executable as a user would, and reads what it prints.
enum CLI {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    static func fixture(_ path: String) -> String { fixtures.appendingPathComponent(path).path }
    static func framework(_ name: String) -> String { packageRoot.appendingPathComponent("frameworks/\(name)").path }

    /// The `dti` binary next to the test bundle (or `DTI_BINARY`).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["DTI_BINARY"] { return URL(fileURLWithPath: path) }
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("dti")
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The standard output parsed as a JSON object.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !extra.isEmpty {
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "DATABASE_URL")
            for (k, v) in extra { env[k] = v }
            process.environment = env
        }
        process.currentDirectoryURL = packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// `dti serve` on a SQLite data folder (`DATABASE_URL` removed), the shipped frameworks, and
    /// `environment` on top; its standard output to `output` (discarded when nil).
    static func serve(dataDirectory: String, port: Int, demo: Bool, environment extra: [String: String] = [:], output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", String(port)] + (demo ? ["--demo"] : [])
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DATABASE_URL")
        env["DTI_DATA_DIR"] = dataDirectory
        env["DTI_FRAMEWORKS_DIR"] = packageRoot.appendingPathComponent("frameworks").path
        for (k, v) in extra { env[k] = v }
        process.environment = env
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A port nobody listens on now: the kernel's choice for a socket bound to port 0
    /// (a random pick clashed now and then with the other servers the suite starts).
    static func freePort() -> Int { TwoServersTests.freePort() }

    /// Whether `base` answered `/healthz` with 200 within 30 s; false at once when `process`
    /// (the server being waited for) has exited.
    static func becomesHealthy(_ base: String, process: Process? = nil) async throws -> Bool {
        for _ in 0..<120 {
            if let process, !process.isRunning { return false }
            if let (_, r) = try? await TwoServersTests.HTTP.session.data(from: URL(string: base + "/healthz")!),
               (r as? HTTPURLResponse)?.statusCode == 200 { return true }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        return false
    }

    /// Writes `text` to a new temporary file and returns its path.
    static func temporaryFile(_ text: String, name: String = "input.csv") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}

extension Dictionary where Key == String, Value == Any {
    var units: [[String: Any]] { self["units"] as? [[String: Any]] ?? [] }
    var groups: [[String: Any]] { self["groups"] as? [[String: Any]] ?? [] }
}

/// A published table read back from a fixture, for comparing with the output.
struct PublishedRow {
    var group, unit: String
    var fields: [String: String]

    static func read(_ path: String) throws -> [PublishedRow] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let delimiter: Character = lines[0].contains("\t") ? "\t" : lines[0].contains(";") ? ";" : ","
        let header = split(lines.removeFirst(), delimiter)
        return lines.map { line in
            let cells = split(line, delimiter)
            let fields = Dictionary(uniqueKeysWithValues: zip(header, cells))
            return PublishedRow(group: fields["group"]!, unit: fields["unit"]!, fields: fields)
        }
    }

    /// Splits one line, honouring double quotes (the fixtures need no more).
    static func split(_ line: String, _ delimiter: Character) -> [String] {
        var cells: [String] = [], cell = "", quoted = false
        for c in line {
            if c == "\"" { quoted.toggle() } else if c == delimiter && !quoted { cells.append(cell); cell = "" } else { cell.append(c) }
        }
        cells.append(cell)
        return cells
    }
}
