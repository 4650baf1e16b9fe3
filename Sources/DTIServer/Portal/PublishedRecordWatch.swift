import Fluent
import SQLKit
import Vapor

/// Another server process on the same database may publish a corrected
/// version of a period's record; this process's kept pages of that period
/// must then go. Every `interval` the newest version of each period's record
/// is read (one small grouped statement) and the pages of every period whose
/// version moved are forgotten (`PublishedBytes.forget`), so a correction
/// made anywhere shows everywhere within the interval (issue 31, Medium 7).
/// The process that corrects forgets at once as well.
final class PublishedRecordWatch: LifecycleHandler, @unchecked Sendable {
    let interval: TimeInterval
    /// Set in didBoot, cancelled in shutdown (both on the application's lifecycle).
    private var task: Task<Void, Never>?

    init(interval: TimeInterval) { self.interval = interval }

    /// The newest record version of every period that has one.
    static func versions(on db: any Database) async throws -> [UUID: Int] {
        let rows = try await db.sql.raw("SELECT period_id, MAX(version) AS version FROM published_records GROUP BY period_id").all()
        var versions: [UUID: Int] = [:]
        for row in rows { versions[try row.decode(column: "period_id", as: UUID.self)] = try row.decode(column: "version", as: Int.self) }
        return versions
    }

    /// Periods whose newest version differs between two readings (new ones included: a page
    /// answered "not published" is never kept, but a period published meanwhile costs nothing).
    static func moved(from old: [UUID: Int], to new: [UUID: Int]) -> [UUID] {
        new.compactMap { id, version in old[id] == version ? nil : id }
    }

    /// Starts the watch (the synchronous hook: Vapor's tests boot an application through it).
    /// The first reading forgets the pages of every published period, which at boot are none;
    /// a page kept before it is thus never compared with a version read after a correction.
    func didBoot(_ application: Application) throws {
        let db = application.db, logger = application.logger, cache = application.publishedBytes
        let nanoseconds = UInt64(interval * 1_000_000_000)
        task = Task {
            var seen: [UUID: Int] = [:]
            while !Task.isCancelled {
                do {
                    let now = try await Self.versions(on: db)
                    for id in Self.moved(from: seen, to: now) {
                        cache.forget(containing: id.uuidString)
                        if seen[id] != nil { logger.info("published pages of period \(id) forgotten: record version \(now[id] ?? 0)") }
                    }
                    seen = now
                } catch {
                    logger.warning("published record watch: \(error)")
                }
                try? await Task.sleep(nanoseconds: nanoseconds)
            }
        }
    }

    func shutdown(_ application: Application) {
        task?.cancel()
    }
}
