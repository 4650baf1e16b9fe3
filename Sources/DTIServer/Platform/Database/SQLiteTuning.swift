import Fluent
import SQLKit
import Vapor

/// The SQLite file in write-ahead-log mode, so readers never wait for a
/// writer and a write lock is held only while a transaction commits; and a
/// busy timeout on every connection instead of SQLiteNIO's default busy
/// handler, which retries at once, forever, burning a core while another
/// connection holds the lock. `synchronous = NORMAL` is WAL's documented
/// pairing: a crash of the process loses nothing committed; a power cut may
/// lose the last transactions, never the file (ADR 0015).
enum SQLiteTuning {
    static let busyTimeoutMilliseconds = 5_000

    static func apply(_ app: Application) async throws {
        // journal_mode is kept in the file; the others are per connection:
        // every event loop has its own (one per loop, Fluent's SQLite default).
        var first = true
        for loop in app.eventLoopGroup.makeIterator() {
            let db = app.databases.database(.sqlite, logger: app.logger, on: loop)!
            guard let sql = db as? any SQLDatabase else { return }
            if first { try await sql.raw("PRAGMA journal_mode = WAL").run(); first = false }
            try await sql.raw("PRAGMA busy_timeout = \(unsafeRaw: String(busyTimeoutMilliseconds))").run()
            try await sql.raw("PRAGMA synchronous = NORMAL").run()
        }
    }
}
