import Foundation
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
        let app = try await Application.make(env)
        do {
            try await configure(app, settings: settings)
            if demo {
                printDemo(try await DemoSeeder.seedIfEmpty(app, frameworksDirectory: settings.frameworksDirectory))
            }
            print("OpenDTI đang chạy tại http://\(hostname):\(port)")
            try await app.execute()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// Brings the schema up to date and returns.
    public static func migrate() async throws {
        let settings = try ServerSettings.fromEnvironment()
        var env = Environment(name: "production", arguments: ["dti"])
        try bootstrapLogging(&env)
        let app = try await Application.make(env)
        do {
            try await configure(app, settings: settings)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// `DTI_LOG_FORMAT=json` writes one JSON object per line; otherwise Vapor's console format.
    static func bootstrapLogging(_ env: inout Environment) throws {
        if ProcessInfo.processInfo.environment["DTI_LOG_FORMAT"] == "json" {
            let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info") ?? .info
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        } else {
            try LoggingSystem.bootstrap(from: &env)
        }
    }

    static func printDemo(_ logins: [DemoSeeder.Login]) {
        if logins.isEmpty {
            print("Cơ sở dữ liệu đã có dữ liệu: không nạp lại dữ liệu mẫu.")
            return
        }
        print("Đã nạp dữ liệu mẫu: Đắk Lắk 2023 (18 sở, 15 huyện), các bộ chỉ số, kỳ đánh giá 2023.")
        print("Tài khoản mẫu (mật khẩu chung: \(DemoSeeder.password)):")
        for login in logins {
            print("  \(login.username.padding(toLength: 12, withPad: " ", startingAt: 0)) \(login.role)\(login.unit.map { " — \($0)" } ?? "")")
        }
    }
}
