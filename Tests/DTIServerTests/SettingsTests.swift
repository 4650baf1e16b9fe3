import Testing
import Vapor
@testable import DTIServer

@Suite("Configuration from the environment")
struct SettingsTests {
    @Test("defaults: SQLite under ./data, insecure cookies off HTTPS, 30-minute idle timeout")
    func defaults() throws {
        let s = try ServerSettings.fromEnvironment([:])
        #expect(s.storage == .sqliteFile("data/opendti.sqlite"))
        #expect(!s.secureCookies)
        #expect(s.sessionIdleMinutes == 30 && s.sessionMaxHours == 12)
        #expect(s.passwordMinLength == 10 && s.maxFailedLogins == 5)
    }

    @Test("DATABASE_URL selects PostgreSQL; DTI_DATA_DIR moves the SQLite file")
    func storage() throws {
        #expect(try ServerSettings.fromEnvironment(["DATABASE_URL": "postgres://u:p@db:5432/dti"]).storage == .postgres(url: "postgres://u:p@db:5432/dti"))
        #expect(try ServerSettings.fromEnvironment(["DTI_DATA_DIR": "/var/lib/opendti"]).storage == .sqliteFile("/var/lib/opendti/opendti.sqlite"))
    }

    @Test("every bad value is named before the server refuses to start")
    func badValues() {
        do {
            _ = try ServerSettings.fromEnvironment([
                "DATABASE_URL": "mysql://x", "DTI_SECURE_COOKIES": "có", "DTI_SESSION_IDLE_MINUTES": "ba mươi", "DTI_PASSWORD_MIN_LENGTH": "4",
                "DTI_METRICS": "tắt", "DTI_NIO_EXECUTOR": "có lẽ", "DTI_DB_CONNECTIONS": "0",
            ])
            Issue.record("bad settings were accepted")
        } catch {
            let text = error.description
            for variable in ["DATABASE_URL", "DTI_SECURE_COOKIES", "DTI_SESSION_IDLE_MINUTES", "DTI_PASSWORD_MIN_LENGTH", "DTI_METRICS", "DTI_NIO_EXECUTOR", "DTI_DB_CONNECTIONS"] {
                #expect(text.contains(variable), "\(variable) in \(text)")
            }
            #expect(text.hasPrefix("Cấu hình không hợp lệ, máy chủ không khởi động:"))
        }
    }

    @Test("DTI_NIO_EXECUTOR: on unless set to off")
    func nioExecutorSwitch() throws {
        #expect(try ServerSettings.fromEnvironment([:]).nioExecutor)
        #expect(try !ServerSettings.fromEnvironment(["DTI_NIO_EXECUTOR": "off"]).nioExecutor)
        #expect(try ServerSettings.fromEnvironment(["DTI_NIO_EXECUTOR": "ON"]).nioExecutor)
    }

    @Test("DTI_DB_CONNECTIONS: PostgreSQL connections per event loop, 4 unless set, 1 to 64")
    func databaseConnections() throws {
        #expect(try ServerSettings.fromEnvironment([:]).databaseConnectionsPerLoop == 4)
        #expect(try ServerSettings.fromEnvironment(["DTI_DB_CONNECTIONS": "12"]).databaseConnectionsPerLoop == 12)
        #expect(throws: ServerSettings.Problems.self) { try ServerSettings.fromEnvironment(["DTI_DB_CONNECTIONS": "65"]) }
    }

    @Test("DTI_PASSWORD_THREADS and DTI_SPREADSHEET_SECONDS: half the cores and 15 s unless set; out of range, named with the others")
    func heavyWork() throws {
        let defaults = try ServerSettings.fromEnvironment([:])
        #expect(defaults.passwordThreads == max(1, System.coreCount / 2))
        #expect(defaults.spreadsheetSeconds == 15)
        #expect(defaults.publishedWatchSeconds == 2)
        #expect(try ServerSettings.fromEnvironment(["DTI_PUBLISHED_WATCH_SECONDS": "30"]).publishedWatchSeconds == 30)
        #expect(throws: (any Error).self) { try ServerSettings.fromEnvironment(["DTI_PUBLISHED_WATCH_SECONDS": "0"]) }
        let set = try ServerSettings.fromEnvironment(["DTI_PASSWORD_THREADS": "3", "DTI_SPREADSHEET_SECONDS": "40"])
        #expect(set.passwordThreads == 3 && set.spreadsheetSeconds == 40)
        do {
            _ = try ServerSettings.fromEnvironment(["DTI_PASSWORD_THREADS": "0", "DTI_SPREADSHEET_SECONDS": "mãi"])
            Issue.record("bad settings were accepted")
        } catch {
            #expect(error.description.contains("DTI_PASSWORD_THREADS") && error.description.contains("DTI_SPREADSHEET_SECONDS"), "\(error.description)")
        }
    }

    @Test("DTI_METRICS=off: no request counters, and /metrics says so with a 404; on by default, it counts")
    func metricsSwitch() async throws {
        #expect(try ServerSettings.fromEnvironment([:]).metrics)
        #expect(try !ServerSettings.fromEnvironment(["DTI_METRICS": "off"]).metrics)
        for on in [true, false] {
            let app = try await Application.make(.testing)
            var settings = ServerSettings(storage: .sqliteMemory, frameworksDirectory: TestPaths.frameworks)
            settings.metrics = on
            do {
                try await configure(app, settings: settings)
                _ = try await Browser(app).send(.GET, "/healthz")
                let metrics = try await Browser(app).send(.GET, "/metrics")
                if on {
                    #expect(metrics.status == .ok && metrics.body.contains("dti_http_requests_total"))
                } else {
                    #expect(metrics.status == .notFound && metrics.body.contains("DTI_METRICS=off"))
                }
            } catch { Issue.record(error) }
            try await app.asyncShutdown()
        }
    }
}
