import Foundation
import NIOCore

/// Configuration, read once from the environment at start. Every bad or
/// missing value is listed before the server refuses to start.
public struct ServerSettings: Sendable {
    public enum Storage: Sendable, Equatable {
        /// A SQLite file under the data directory (the embedded default).
        case sqliteFile(String)
        /// In memory, for tests.
        case sqliteMemory
        /// PostgreSQL, from `DATABASE_URL`.
        case postgres(url: String)
    }

    public var dataDirectory: String
    public var storage: Storage
    public var frameworksDirectory: String?
    /// Where the feed files are (`DTI_FEEDS_DIR`; default `feeds/`, else the source tree's).
    public var feedsDirectory: String?
    /// The administrative directory (`DTI_DIRECTORY_DIR`, default ./directory).
    public var directoryPath: String?
    /// Send the session cookie with `Secure` (the site is served over HTTPS).
    public var secureCookies: Bool
    public var sessionIdleMinutes: Int
    public var sessionMaxHours: Int
    public var passwordMinLength: Int
    public var maxFailedLogins: Int
    public var lockoutMinutes: Int
    /// Largest evidence file accepted, in megabytes.
    public var evidenceMaxMB: Int = 20
    /// Prometheus counters of requests (`DTI_METRICS`, default on); off, `/metrics` answers 404.
    public var metrics: Bool = true
    /// Swift concurrency's work runs on the event loops that carry the
    /// requests (`DTI_NIO_EXECUTOR`, default on; ADR 0032). Only `dti serve`
    /// reads it; off, async work hops to Swift's own thread pool and back.
    public var nioExecutor: Bool = true
    /// PostgreSQL connections each event loop keeps (`DTI_DB_CONNECTIONS`, default 4);
    /// a server holds this many times its cores. SQLite ignores it.
    public var databaseConnectionsPerLoop: Int = 4
    /// Threads that hash and check passwords (`DTI_PASSWORD_THREADS`, default
    /// half the cores, at least 1); 8 sign-ins per thread may wait, more get 429.
    public var passwordThreads: Int = max(1, System.coreCount / 2)
    /// Seconds one uploaded spreadsheet may take to read (`DTI_SPREADSHEET_SECONDS`, default 15).
    public var spreadsheetSeconds: Int = 15
    /// Seconds between two readings of the published records' versions, so that a correction
    /// published by another server process drops this one's kept pages (`DTI_PUBLISHED_WATCH_SECONDS`, default 2).
    public var publishedWatchSeconds: Int = 2
    /// Seconds a connection may stay without reading or writing anything before the server
    /// closes it (`DTI_IDLE_SECONDS`, default 120): a client that opens connections and sends
    /// nothing, or a connection left waiting after an early refusal, is let go.
    public var idleSeconds: Int = 120
    /// Where the published pages are written as files for a web server (`DTI_SITE_DIR`, default
    /// `DTI_DATA_DIR/site`; `off` writes none). Nil: none (tests, unless they ask).
    public var siteDirectory: String?
    /// SMTP delivery of notifications (none when the host is empty).
    public var smtpHost: String = ""
    public var smtpPort: Int = 25
    public var smtpUser: String?
    public var smtpPassword: String?
    public var mailFrom: String = "dti@localhost"
    /// PostgreSQL schema to work in (created if missing). Tests give each
    /// application its own, so they can run in parallel on one database.
    public var postgresSchema: String?

    public init(
        dataDirectory: String = "data", storage: Storage = .sqliteMemory, frameworksDirectory: String? = nil,
        secureCookies: Bool = false, sessionIdleMinutes: Int = 30, sessionMaxHours: Int = 12,
        passwordMinLength: Int = 10, maxFailedLogins: Int = 5, lockoutMinutes: Int = 15
    ) {
        self.dataDirectory = dataDirectory
        self.storage = storage
        self.frameworksDirectory = frameworksDirectory
        self.secureCookies = secureCookies
        self.sessionIdleMinutes = sessionIdleMinutes
        self.sessionMaxHours = sessionMaxHours
        self.passwordMinLength = passwordMinLength
        self.maxFailedLogins = maxFailedLogins
        self.lockoutMinutes = lockoutMinutes
    }

    /// A configuration problem: the variable and what is wrong with it.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var variable: String
        public var message: String
        public var description: String { "\(variable): \(message)" }
    }

    public struct Problems: Error, CustomStringConvertible, Sendable {
        public var problems: [Problem]
        public var description: String {
            "Cấu hình không hợp lệ, máy chủ không khởi động:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    /// Reads `DTI_DATA_DIR`, `DATABASE_URL`, `DTI_FRAMEWORKS_DIR`,
    /// `DTI_SECURE_COOKIES`, `DTI_SESSION_IDLE_MINUTES`, `DTI_SESSION_MAX_HOURS`,
    /// `DTI_PASSWORD_MIN_LENGTH`, `DTI_MAX_FAILED_LOGINS`, `DTI_LOCKOUT_MINUTES`, `DTI_EVIDENCE_MAX_MB`, `DTI_METRICS`,
    /// `DTI_NIO_EXECUTOR`, `DTI_DB_CONNECTIONS`, `DTI_PASSWORD_THREADS`, `DTI_SPREADSHEET_SECONDS`, `DTI_PUBLISHED_WATCH_SECONDS`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws(Problems) -> ServerSettings {
        var problems: [Problem] = []
        func integer(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
            guard let text = env[name], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                problems.append(Problem(variable: name, message: "\"\(text)\" không hợp lệ; cần số nguyên từ \(range.lowerBound) đến \(range.upperBound)"))
                return fallback
            }
            return value
        }
        func onOff(_ name: String, _ fallback: Bool) -> Bool {
            switch env[name]?.lowercased() {
            case nil, "": return fallback
            case "on", "true", "1", "yes": return true
            case "off", "false", "0", "no": return false
            case let other?:
                problems.append(Problem(variable: name, message: "\"\(other)\" không hợp lệ; dùng on hoặc off"))
                return fallback
            }
        }
        var settings = ServerSettings()
        settings.dataDirectory = env["DTI_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        if let url = env["DATABASE_URL"], !url.isEmpty {
            if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                settings.storage = .postgres(url: url)
            } else {
                problems.append(Problem(variable: "DATABASE_URL", message: "chỉ hỗ trợ PostgreSQL (postgres://người_dùng:mật_khẩu@máy:cổng/csdl)"))
            }
        } else {
            settings.storage = .sqliteFile(settings.dataDirectory + "/opendti.sqlite")
        }
        settings.frameworksDirectory = env["DTI_FRAMEWORKS_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        settings.feedsDirectory = env["DTI_FEEDS_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        settings.directoryPath = env["DTI_DIRECTORY_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        switch env["DTI_SECURE_COOKIES"]?.lowercased() {
        case nil, "", "false", "0", "no": settings.secureCookies = false
        case "true", "1", "yes": settings.secureCookies = true
        case let other?: problems.append(Problem(variable: "DTI_SECURE_COOKIES", message: "\"\(other)\" không hợp lệ; dùng true hoặc false"))
        }
        settings.sessionIdleMinutes = integer("DTI_SESSION_IDLE_MINUTES", 30, 1...1440)
        settings.sessionMaxHours = integer("DTI_SESSION_MAX_HOURS", 12, 1...168)
        settings.passwordMinLength = integer("DTI_PASSWORD_MIN_LENGTH", 10, 8...128)
        settings.maxFailedLogins = integer("DTI_MAX_FAILED_LOGINS", 5, 1...100)
        settings.lockoutMinutes = integer("DTI_LOCKOUT_MINUTES", 15, 1...1440)
        settings.evidenceMaxMB = integer("DTI_EVIDENCE_MAX_MB", 20, 1...500)
        settings.metrics = onOff("DTI_METRICS", true)
        settings.nioExecutor = onOff("DTI_NIO_EXECUTOR", true)
        settings.databaseConnectionsPerLoop = integer("DTI_DB_CONNECTIONS", 4, 1...64)
        settings.passwordThreads = integer("DTI_PASSWORD_THREADS", settings.passwordThreads, 1...64)
        settings.spreadsheetSeconds = integer("DTI_SPREADSHEET_SECONDS", 15, 1...600)
        settings.idleSeconds = integer("DTI_IDLE_SECONDS", 120, 2...3600)
        settings.publishedWatchSeconds = integer("DTI_PUBLISHED_WATCH_SECONDS", 2, 1...3600)
        switch env["DTI_SITE_DIR"] ?? "" {
        case "off": settings.siteDirectory = nil
        case "": settings.siteDirectory = settings.dataDirectory + "/site"
        case let folder: settings.siteDirectory = folder
        }
        settings.smtpHost = env["DTI_SMTP_HOST"] ?? ""
        settings.smtpPort = integer("DTI_SMTP_PORT", 25, 1...65535)
        settings.smtpUser = env["DTI_SMTP_USER"].flatMap { $0.isEmpty ? nil : $0 }
        settings.smtpPassword = env["DTI_SMTP_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        settings.mailFrom = env["DTI_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 } ?? "dti@localhost"
        if (settings.smtpUser == nil) != (settings.smtpPassword == nil) {
            problems.append(Problem(variable: "DTI_SMTP_USER/DTI_SMTP_PASSWORD", message: "cần cả hai hoặc không có cả hai"))
        }
        if !problems.isEmpty { throw Problems(problems: problems) }
        return settings
    }
}
