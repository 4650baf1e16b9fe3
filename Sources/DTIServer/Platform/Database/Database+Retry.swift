import Fluent
import Foundation
import SQLKit

extension Database {
    /// A transaction, tried again when SQLite answers that the database is
    /// locked: SQLite allows one writer, and a transaction that read before
    /// it writes is refused at once (no busy wait can help it) when another
    /// writer got there first. Nothing of the refused attempt was written, so
    /// it is safe to run it again. PostgreSQL never answers so.
    ///
    /// On SQLite every such transaction first claims the write lock with a
    /// statement that writes nothing, so it waits for the lock (the busy
    /// timeout) before it reads, instead of reading first and being refused
    /// when it comes to write because another writer committed meanwhile.
    /// `bodyWritesFirst`: the body's first statement is itself a write (an
    /// answer's save reads its row with one), so that statement claims the lock.
    func retryingTransaction<T: Sendable>(bodyWritesFirst: Bool = false,
                                          _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await retryingWhenBusy {
            try await transaction { tx in
                if !bodyWritesFirst, let sql = tx as? any SQLDatabase, sql.dialect.name == "sqlite" {
                    try await sql.raw("UPDATE units SET code = code WHERE 0").run()
                }
                return try await body(tx)
            }
        }
    }

    /// `body` (a transaction, one statement that writes, or several that need no transaction),
    /// run again when SQLite answers that the database is locked beyond its busy timeout: up to
    /// 40 times, waiting a little longer each time.
    func retryingWhenBusy<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch where attempt < 40 && Self.isSQLiteBusy(error) {
                attempt += 1
                try await Self.backOff(attempt)
            }
        }
    }

    /// 1–8 ms, growing, with jitter: the other writer's transaction is short.
    private static func backOff(_ attempt: Int) async throws {
        try await Task.sleep(nanoseconds: UInt64(1_000_000 * min(8, 1 + attempt / 4) + Int.random(in: 0...500_000)))
    }

    static func isSQLiteBusy(_ error: any Error) -> Bool {
        let text = String(describing: error)
        return text.contains("database is locked") || text.contains("database table is locked") || text.contains("SQLITE_BUSY")
    }
}
