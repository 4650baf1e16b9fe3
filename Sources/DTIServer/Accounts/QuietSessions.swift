import Fluent
import SQLKit
import Vapor

/// Sessions in the database, written only when they change.
///
/// Vapor's sessions middleware updates the stored session after every
/// request that carried a cookie, changed or not: on SQLite each signed-in
/// page view and each save then took the database's write lock twice. This
/// driver wraps Fluent's, remembers what it read for the request, and skips
/// the update when the data is the same (`SessionTimeoutMiddleware` moves
/// the last-seen time at most once a minute). ADR 0020.
struct QuietSessions: SessionDriver {
    let base: any SessionDriver
    /// Counts the writes that reach the database (`dti_session_writes_total`), when metrics are on.
    let metrics: RequestMetrics?

    private struct ReadKey: StorageKey { typealias Value = SessionData }

    func createSession(_ data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
        metrics?.sessionWrites.increment()
        return base.createSession(data, for: request)
    }

    func readSession(_ sessionID: SessionID, for request: Request) -> EventLoopFuture<SessionData?> {
        // The one column as an SQL row, decoded as Fluent decodes the record's field: Fluent's
        // query filled a `SessionRecord` by reflection on every signed-in request (PERFORMANCE.md).
        let read: EventLoopFuture<SessionData?>
        if let sql = request.db as? any SQLDatabase {
            read = sql.select().column("data").from(SessionRecord.schema).where("key", .equal, sessionID.string).first()
                .flatMapThrowing { row in try row.map { try $0.decode(column: "data", as: SessionData.self) } }
        } else {
            read = base.readSession(sessionID, for: request)
        }
        return read.map { data in
            request.storage[ReadKey.self] = data
            return data
        }
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
        if request.storage[ReadKey.self] == data { return request.eventLoop.makeSucceededFuture(sessionID) }
        metrics?.sessionWrites.increment()
        return base.updateSession(sessionID, to: data, for: request)
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) -> EventLoopFuture<Void> {
        metrics?.sessionWrites.increment()
        return base.deleteSession(sessionID, for: request)
    }
}
