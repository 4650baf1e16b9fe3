import Fluent
import SQLKit
import Vapor

/// Another server process on the same database may publish a corrected
/// version of a period's record; this process's kept pages of that period
/// must then go. Every `interval` the newest version of each period's record
/// is read (one small grouped statement) and the pages of every period whose
/// version moved are forgotten (`PublishedBytes.forget(period:)`), so a correction
/// made anywhere shows everywhere within the interval (issue 31, Medium 7).
/// The process that corrects forgets at once as well. The same readings keep
/// the published site's files (`PublishedSite`) equal to the records.
final class PublishedRecordWatch: LifecycleHandler, @unchecked Sendable {
    let interval: TimeInterval
    /// Set in didBoot, cancelled in shutdown (both on the application's lifecycle).
    private var task: Task<Void, Never>?

    init(interval: TimeInterval) { self.interval = interval }

    static let statement: SQLQueryString = "SELECT period_id, MAX(version) AS version FROM published_records GROUP BY period_id"

    /// The newest record version of every period that has one.
    static func versions(on db: any Database) async throws -> [UUID: Int] {
        try versions(from: try await db.sql.raw(statement).all())
    }

    static func versions(from rows: [any SQLRow]) throws -> [UUID: Int] {
        var versions: [UUID: Int] = [:]
        for row in rows { versions[try row.decode(column: "period_id", as: UUID.self)] = try row.decode(column: "version", as: Int.self) }
        return versions
    }

    /// Periods whose newest version differs between two readings (new ones included: a page
    /// answered "not published" is never kept, but a period published meanwhile costs nothing).
    static func moved(from old: [UUID: Int], to new: [UUID: Int]) -> [UUID] {
        new.compactMap { id, version in old[id] == version ? nil : id }
    }

    /// The first reading is made before the server answers anyone, so every page kept is
    /// compared with a version read before it was rendered. Vapor's `dti serve` boots through
    /// the asynchronous hook, its tests through the synchronous one.
    func didBootAsync(_ application: Application) async throws {
        start(application, seen: try await Self.versions(on: application.db))
    }

    func didBoot(_ application: Application) throws {
        start(application, seen: try Self.versions(from: try application.db.sql.raw(Self.statement).all().wait()))
    }

    private func start(_ application: Application, seen first: [UUID: Int]) {
        let db = application.db, logger = application.logger, cache = application.publishedBytes, site = application.publishedSite
        let nanoseconds = UInt64(interval * 1_000_000_000)
        site?.refresh(application, versions: first)  // written for other versions or by another build: anew
        task = Task {
            var seen = first
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: nanoseconds)
                do {
                    let now = try await Self.versions(on: db)
                    let moved = Self.moved(from: seen, to: now)
                    for id in moved {
                        cache.forget(period: id)
                        logger.info("published pages of period \(id) forgotten: record version \(now[id] ?? 0)")
                    }
                    if !moved.isEmpty || now.count != seen.count { site?.refresh(application, versions: now) }
                    seen = now
                } catch {
                    logger.warning("published record watch: \(error)")
                }
            }
        }
    }

    func shutdown(_ application: Application) {
        task?.cancel()
    }

    func shutdownAsync(_ application: Application) async {
        task?.cancel()
    }
}
