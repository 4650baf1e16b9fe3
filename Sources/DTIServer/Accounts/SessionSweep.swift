import Fluent
import Vapor

/// Deletes sessions nobody can use any more: a signed-in session idle
/// longer than the idle timeout or older than the absolute lifetime (the
/// timeout middleware would end it at its next request anyway), and a
/// session without an account (a CSRF token handed to a client that never
/// signed in) once it is older than the idle timeout. Runs hourly
/// (`SessionSweepWorker`); sessions are read in pages so memory stays flat.
enum SessionSweep {
    /// When the session's token was handed out (for sessions without an account).
    static let issuedAtKey = "issued_at"

    static func run(on db: any Database, now: Date, idle: TimeInterval, absolute: TimeInterval) async throws -> Int {
        let t = now.timeIntervalSince1970
        var expired: [UUID] = []
        var page = 0
        while true {
            let records = try await SessionRecord.query(on: db).sort(\.$id).range(page * 500..<(page + 1) * 500).all()
            for record in records {
                let data = record.data
                let loginAt = data[SessionTimeoutMiddleware.loginAtKey].flatMap(Double.init)
                let lastSeen = data[SessionTimeoutMiddleware.lastSeenKey].flatMap(Double.init)
                let issued = data[issuedAtKey].flatMap(Double.init)
                let dead: Bool
                if let loginAt, data[SessionUserAuthenticator.userKey] != nil {
                    dead = SessionTimeoutMiddleware.isExpired(loginAt: loginAt, lastSeen: lastSeen ?? loginAt, now: t, idle: idle, absolute: absolute)
                } else {
                    // No account: kept while its token may still be posted, then gone.
                    dead = issued.map { t - $0 > idle } ?? true
                }
                if dead, let id = record.id { expired.append(id) }
            }
            if records.count < 500 { break }
            page += 1
        }
        for start in stride(from: 0, to: expired.count, by: 500) {
            try await SessionRecord.query(on: db).filter(\.$id ~~ Array(expired[start..<min(start + 500, expired.count)])).delete()
        }
        return expired.count
    }
}

/// Runs the session sweep once an hour while the server runs.
final class SessionSweepWorker: LifecycleHandler, @unchecked Sendable {
    let idle: TimeInterval
    let absolute: TimeInterval
    // Set in didBoot, cancelled in shutdown (both on the application's lifecycle).
    private var task: Task<Void, Never>?

    init(idle: TimeInterval, absolute: TimeInterval) {
        self.idle = idle
        self.absolute = absolute
    }

    func didBootAsync(_ application: Application) async throws {
        let db = application.db, logger = application.logger, idle = self.idle, absolute = self.absolute
        task = Task {
            while !Task.isCancelled {
                do {
                    let deleted = try await SessionSweep.run(on: db, now: application.clock.now(), idle: idle, absolute: absolute)
                    if deleted > 0 { logger.info("sessions: \(deleted) expired deleted") }
                } catch {
                    logger.warning("sessions: \(error)")
                }
                try? await Task.sleep(nanoseconds: 3_600_000_000_000)
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        task?.cancel()
    }
}
