import DTIFormats
import Fluent
import Foundation
import NIOCore
import NIOPosix
import Vapor

/// Starting and stopping the application, for the `dti` command line.
public enum ServerRunner {
    /// Runs the server until it is stopped. With `demo`, loads the demo data
    /// into an empty database and prints the demo logins.
    public static func serve(hostname: String, port: Int, demo: Bool) async throws {
        let settings = try ServerSettings.fromEnvironment()
        var env = Environment(name: ProcessInfo.processInfo.environment["DTI_ENV"] ?? "production",
                              arguments: ["dti", "serve", "--hostname", hostname, "--port", String(port)])
        try bootstrapLogging(&env)
        // Swift concurrency's jobs run on the event loops that carry the
        // requests (the same singleton group Vapor serves from), so an async
        // handler does not hop to another thread and back for every await
        // (ADR 0032). Nothing here blocks a loop: no `.wait()`, and LibreOffice
        // runs on its own thread pool. Only the server: commands keep Swift's pool.
        let onEventLoops = settings.nioExecutor && NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let app = try await Application.make(env, .singleton)
        app.logger.debug("Swift concurrency on NIO's event loops: \(onEventLoops)")
        do {
            try await configure(app, settings: settings)
            if demo {
                // One process seeds an empty database; another started at once waits and finds it seeded.
                let seeding = try await StartLock.acquire(settings, on: app)
                let logins: [DemoSeeder.Login]
                do {
                    logins = try await DemoSeeder.seedIfEmpty(app, frameworksDirectory: settings.frameworksDirectory, directory: settings.directoryPath)
                } catch {
                    await seeding?.release()
                    throw error
                }
                await seeding?.release()
                printDemo(logins, periods: logins.isEmpty ? [] : try await demoPeriods(app.db))
            }
            print("OpenDTI đang chạy tại http://\(hostname):\(port)")
            fflush(nil)  // standard output; log lines are written in batches (TextLogHandler); this one is awaited by people and scripts
            try await app.execute()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// Brings the schema up to date and returns.
    public static func migrate() async throws {
        try await withConfiguredApp { _, _ in }
    }

    /// A command's application: configured (the schema brought up to date),
    /// handed to `body`, shut down however `body` ends.
    static func withConfiguredApp<T>(_ body: (Application, ServerSettings) async throws -> T) async throws -> T {
        let settings = try ServerSettings.fromEnvironment()
        var env = Environment(name: "production", arguments: ["dti"])
        try bootstrapLogging(&env)
        let app = try await Application.make(env)
        do {
            try await configure(app, settings: settings)
            let result = try await body(app, settings)
            try await app.asyncShutdown()
            return result
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// `dti setup-province`: plans the province from the administrative
    /// directory, prints the plan, and (unless `dryRun`) writes it. Returns
    /// the lines to print; a refusal throws with its message.
    public static func setupProvince(_ query: String, departmentsFile: String?, directory: String?, dryRun: Bool) async throws -> [String] {
        do {
            return try await withConfiguredApp { app, settings in
                let folder = directory ?? settings.directoryPath ?? AdminDirectory.defaultDirectory()
                let data = try ProvinceSetup.directory(folder)
                var text = ProvinceSetup.defaultDepartments(directory: folder)
                if let departmentsFile {
                    guard let content = FileManager.default.contents(atPath: departmentsFile).flatMap({ String(data: $0, encoding: .utf8) }) else {
                        throw DomainError.invalid("Không đọc được tệp danh sách sở \(departmentsFile).")
                    }
                    text = content
                }
                let (departments, problems) = ProvinceSetup.departments(text)
                guard problems.isEmpty else { throw DomainError.invalid(problems.joined(separator: "\n")) }
                let plan = try await ProvinceSetup.plan(query, departments: departments, directory: data, on: app.db)
                var lines = [plan.summary]
                lines += plan.renamed.map { "  đổi tên \($0.code): \($0.from) → \($0.to)" }
                lines += plan.matched.map { "  đã có \($0.existing) (\($0.name)) thay cho mã \($0.code)" }
                if dryRun {
                    lines.append("Chạy thử: chưa ghi gì (bỏ --dry-run để thiết lập).")
                } else {
                    let ctx = ServiceContext(actor: nil, db: app.db, clock: app.clock, address: "dti setup-province", hashPassword: { _ in "" })
                    try await ProvinceSetup.apply(plan, in: ctx)
                    lines.append("Đã thiết lập \(plan.province.name).")
                }
                return lines
            }
        } catch let refusal as DomainError {
            throw CommandRefusal(message: refusal.message)
        }
    }

    /// `dti export-site DIR`: every published page, download and record an anonymous reader
    /// can reach, written into `directory` (new or empty) as the server answers them
    /// (`SiteExport`). `progress` hears every hundredth file. Returns the lines to print.
    public static func exportSite(into directory: String, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> [String] {
        let folder = URL(fileURLWithPath: directory)
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        guard existing.isEmpty else {
            throw CommandRefusal(message: "Thư mục \(directory) không trống (\(existing.count) mục): hãy chọn một thư mục mới hoặc trống để không ghi đè gì.")
        }
        return try await withConfiguredApp { app, _ in
            let started = Date()
            let periods = Array(try await PublishedRecordWatch.versions(on: app.db).keys)
            let summary = try await SiteExport.write(app, periods: periods, into: folder) { path, files in
                if files % 100 == 0 { progress("  \(files) tệp… (\(path))") }
            }
            var lines = ["Đã ghi \(summary.files) tệp (\(summary.bytes) byte) của \(summary.periods) kỳ đã công bố vào \(directory) trong \(String(format: "%.1f", Date().timeIntervalSince(started))) giây."]
            if !summary.left.isEmpty {
                lines.append("Để máy chủ trả lời (không ghi thành tệp) \(summary.left.count) địa chỉ:")
                lines += summary.left.map { "  \($0)" }
            }
            return lines
        }
    }

    /// A command refused with a message for the person at the terminal.
    public struct CommandRefusal: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// `DTI_LOG_FORMAT=json` writes one JSON object per line; otherwise Vapor's console format,
    /// written in batches (`TextLogHandler`). The level is `LOG_LEVEL` (info when unset).
    static func bootstrapLogging(_ env: inout Environment) throws {
        let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info") ?? .info
        if ProcessInfo.processInfo.environment["DTI_LOG_FORMAT"] == "json" {
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        } else {
            LoggingSystem.bootstrap { label in TextLogHandler(label: label, level: level) }
            TextLogHandler.writesRequestLines.store(true, ordering: .relaxed)
        }
    }

    /// Every period the demo loaded, as the start message names them: read
    /// back from the database, so the message cannot drift from the data.
    static func demoPeriods(_ db: any Database) async throws -> [String] {
        try await Period.query(on: db).sort(\.$year).sort(\.$title).all().map { period in
            // A past decision's title already says it is published.
            if period.resultsOnly { return period.title }
            return "\(period.title) (\(period.locked ? "đã công bố" : "đang mở"))"
        }
    }

    static func printDemo(_ logins: [DemoSeeder.Login], periods: [String]) {
        if logins.isEmpty {
            print("Cơ sở dữ liệu đã có dữ liệu: không nạp lại dữ liệu mẫu.")
            return
        }
        print("Đã nạp dữ liệu mẫu: đơn vị của Đắk Lắk (trước và sau sắp xếp 01/07/2025) và Kon Tum, các bộ chỉ số và \(periods.count) kỳ đánh giá:")
        for period in periods { print("  - \(period)") }
        print("Tài khoản mẫu (mật khẩu chung: \(DemoSeeder.password)):")
        for login in logins {
            print("  \(login.username.padding(toLength: 12, withPad: " ", startingAt: 0)) \(login.role)\(login.unit.map { " — \($0)" } ?? "")")
        }
    }
}
