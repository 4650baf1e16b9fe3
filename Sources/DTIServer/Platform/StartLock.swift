#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Vapor

/// Two server processes started at once on an empty data folder both found
/// no migration done and raced: to switch the new SQLite file to WAL ("database
/// is locked") and to create the same tables (issue 31, Low). A process now
/// opens, tunes and migrates its SQLite database holding an exclusive `flock`
/// on a file beside it: the second waits, then finds everything done. The
/// lock is released after the migrations (or when the value goes, or the
/// process ends). PostgreSQL is
/// left as before (DEPLOY.md: start the first process, then the others).
final class StartLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// The lock for a SQLite file database, waited for off the cooperative pool; nil for the others.
    static func acquire(_ storage: ServerSettings.Storage, dataDirectory: String) async throws -> StartLock? {
        guard case .sqliteFile(let path) = storage else { return nil }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let fd = open(path + ".start-lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Abort(.internalServerError, reason: "\(path).start-lock: không mở được tệp khóa khi mở cơ sở dữ liệu (errno \(errno))") }
        let locked = await Task.detached { flock(fd, LOCK_EX) == 0 }.value
        guard locked else {
            close(fd)
            throw Abort(.internalServerError, reason: "\(path).start-lock: không khóa được (errno \(errno))")
        }
        return StartLock(fd: fd)
    }

    private var released = false

    /// Lets the next process starting on this folder go on.
    func release() {
        guard !released else { return }
        released = true
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// A start that failed half-way releases the lock too.
    deinit { release() }
}
