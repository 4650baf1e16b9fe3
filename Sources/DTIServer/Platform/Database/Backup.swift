import DTICore
import Fluent
import Foundation
import SQLKit
import Vapor

/// `dti backup DIR` and `dti restore DIR`: the database (SQLite's online
/// `VACUUM INTO`, or `pg_dump` in custom format) and the evidence files, with
/// a manifest of every file's SHA-256 and every published record's hash.
/// Restore checks every hash before anything is written, and refuses to
/// overwrite a database that already holds data.
public enum Backup {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// What `manifest.json` lists.
    struct Manifest: Codable {
        struct FileEntry: Codable { var path: String; var bytes: Int; var sha256: String }
        struct Record: Codable { var period: String; var version: Int; var sha256: String }
        var schema = "opendti.backup/1"
        var createdAt: String
        var database: String   // "sqlite" or "postgres"
        var files: [FileEntry]
        var records: [Record]
    }

    static let databaseFile = "opendti.sqlite", dumpFile = "opendti.pgdump", manifestFile = "manifest.json"
    /// The stored files' folders under the data directory: evidence, and the feeds' files as they arrived (issue 33).
    static let fileFolders = ["evidence", "feed-files"]

    /// A path a backup's manifest may name: the database file, the dump, or one evidence file
    /// directly in `evidence/` (no "..", no further folder, no hidden or control-character name).
    /// A crafted manifest must not make a restore read or write outside its two folders (issue 31, Low).
    static func isBackupPath(_ path: String) -> Bool {
        if path == databaseFile || path == dumpFile { return true }
        guard let folder = fileFolders.first(where: { path.hasPrefix($0 + "/") }) else { return false }
        let name = path.dropFirst(folder.count + 1)
        return !name.isEmpty && name.count <= 255 && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\\")
            && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Writes a backup of the configured database and evidence into `directory` (new or empty).
    public static func create(into directory: String, settings: ServerSettings) async throws -> String {
        let dir = URL(fileURLWithPath: directory)
        let fm = FileManager.default
        if fm.fileExists(atPath: dir.path), !((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).isEmpty {
            throw Failure(message: "\(directory): thư mục đã có dữ liệu; hãy chọn một thư mục mới hoặc trống")
        }
        try fm.createDirectory(at: dir.appendingPathComponent("evidence"), withIntermediateDirectories: true)
        let app = try await Application.make(.init(name: "production", arguments: ["dti"]))
        do {
            try await configure(app, settings: settings)
            let sql = app.db as! any SQLDatabase
            let kind: String
            switch settings.storage {
            case .sqliteFile, .sqliteMemory:
                // A consistent copy while the server keeps running.
                try await sql.raw("VACUUM INTO \(bind: dir.appendingPathComponent(databaseFile).path)").run()
                kind = "sqlite"
            case .postgres(let url):
                try run("pg_dump", ["--format=custom", "--no-owner", "--file", dir.appendingPathComponent(dumpFile).path, url])
                kind = "postgres"
            }
            let records = try await PublishedRecordRow.query(on: app.db).all().map {
                Manifest.Record(period: $0.$period.id.uuidString, version: $0.version, sha256: $0.sha256)
            }
            try await app.asyncShutdown()
            // Evidence and feed files, copied as they are (their names are generated, never user input).
            var stored: [String] = []
            for folder in fileFolders {
                let source = URL(fileURLWithPath: settings.dataDirectory).appendingPathComponent(folder)
                try fm.createDirectory(at: dir.appendingPathComponent(folder), withIntermediateDirectories: true)
                for name in ((try? fm.contentsOfDirectory(atPath: source.path)) ?? []).sorted() where !name.hasPrefix(".") {
                    try fm.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent("\(folder)/\(name)"))
                    stored.append("\(folder)/\(name)")
                }
            }
            var files: [Manifest.FileEntry] = []
            for path in [databaseFile, dumpFile] + stored {
                let url = dir.appendingPathComponent(path)
                guard fm.fileExists(atPath: url.path) else { continue }
                let data = try Data(contentsOf: url)
                files.append(.init(path: path, bytes: data.count, sha256: Digests.sha256Hex(data)))
            }
            let manifest = Manifest(createdAt: ISO8601DateFormatter().string(from: Date()), database: kind, files: files, records: records)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: dir.appendingPathComponent(manifestFile), options: .atomic)
            return "Đã sao lưu vào \(directory): cơ sở dữ liệu \(kind), \(Self.counts(files.map(\.path))), \(records.count) bản ghi công bố."
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// Restores a backup into the configured (empty) database and data directory.
    public static func restore(from directory: String, settings: ServerSettings) async throws -> String {
        let dir = URL(fileURLWithPath: directory)
        let fm = FileManager.default
        guard let data = fm.contents(atPath: dir.appendingPathComponent(manifestFile).path),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data), manifest.schema == "opendti.backup/1" else {
            throw Failure(message: "\(directory)/\(manifestFile): không có hoặc không đọc được bảng kê của bản sao lưu")
        }
        // Every file checked before anything is written.
        var problems: [String] = []
        for file in manifest.files {
            guard Self.isBackupPath(file.path) else {
                problems.append("\(file.path.excerpt()): đường dẫn không được phép trong bảng kê (chỉ \(databaseFile), \(dumpFile), evidence/<tên tệp> hoặc feed-files/<tên tệp>)")
                continue
            }
            guard let bytes = fm.contents(atPath: dir.appendingPathComponent(file.path).path) else { problems.append("\(file.path): thiếu tệp"); continue }
            if Digests.sha256Hex(bytes) != file.sha256 { problems.append("\(file.path): mã SHA-256 không khớp bảng kê (tệp đã bị thay đổi hoặc hỏng)") }
        }
        if !problems.isEmpty { throw Failure(message: problems.joined(separator: "\n")) }
        switch (manifest.database, settings.storage) {
        case ("sqlite", .sqliteFile(let path)):
            if fm.fileExists(atPath: path) { throw Failure(message: "\(path): đã có cơ sở dữ liệu; khôi phục chỉ vào một thư mục dữ liệu mới") }
            try fm.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
            try fm.copyItem(atPath: dir.appendingPathComponent(databaseFile).path, toPath: path)
        case ("postgres", .postgres(let url)):
            try run("pg_restore", ["--no-owner", "--exit-on-error", "--dbname", url, dir.appendingPathComponent(dumpFile).path])
        default:
            throw Failure(message: "bản sao lưu là cơ sở dữ liệu \(manifest.database), không khớp cấu hình hiện tại (DATABASE_URL)")
        }
        for folder in fileFolders {
            let into = URL(fileURLWithPath: settings.dataDirectory).appendingPathComponent(folder)
            try fm.createDirectory(at: into, withIntermediateDirectories: true)
            for file in manifest.files where file.path.hasPrefix(folder + "/") {
                let target = into.appendingPathComponent(String(file.path.dropFirst(folder.count + 1)))
                if !fm.fileExists(atPath: target.path) { try fm.copyItem(at: dir.appendingPathComponent(file.path), to: target) }
            }
        }
        // The restored database: every published record's hash as backed up.
        let app = try await Application.make(.init(name: "production", arguments: ["dti"]))
        do {
            try await configure(app, settings: settings)
            let stored = Dictionary(try await PublishedRecordRow.query(on: app.db).all().map { ("\($0.$period.id.uuidString)#\($0.version)", $0.sha256) },
                                    uniquingKeysWith: { a, _ in a })
            for record in manifest.records where stored["\(record.period)#\(record.version)"] != record.sha256 {
                problems.append("bản ghi công bố của kỳ \(record.period): mã không khớp sau khi khôi phục")
            }
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        if !problems.isEmpty { throw Failure(message: problems.joined(separator: "\n")) }
        return "Đã khôi phục từ \(directory): cơ sở dữ liệu \(manifest.database), \(Self.counts(manifest.files.map(\.path))), \(manifest.records.count) bản ghi công bố (mọi mã SHA-256 khớp)."
    }

    /// "2 tệp minh chứng, 1 tệp số liệu nguồn".
    static func counts(_ paths: [String]) -> String {
        let evidence = paths.filter { $0.hasPrefix("evidence/") }.count, feeds = paths.filter { $0.hasPrefix("feed-files/") }.count
        return "\(evidence) tệp minh chứng, \(feeds) tệp số liệu nguồn"
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { throw Failure(message: "không chạy được \(tool): \(error)") }
        let message = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(message: "\(tool) thất bại (mã \(process.terminationStatus)): \(String(decoding: message, as: UTF8.self).excerpt(limit: 400))")
        }
    }
}
