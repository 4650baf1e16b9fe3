#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Vapor

/// An exclusive `flock` on a file, held until `release()` (or until the value
/// goes, or the process ends): one process at a time does what it guards.
final class FileLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Waits (off the cooperative pool) until this process holds the lock on `path`, made if missing.
    static func exclusive(_ path: String, purpose: String) async throws -> FileLock {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Abort(.internalServerError, reason: "\(path): không mở được tệp khóa khi \(purpose) (errno \(errno))") }
        let locked = await Task.detached { flock(fd, LOCK_EX) == 0 }.value
        guard locked else {
            close(fd)
            throw Abort(.internalServerError, reason: "\(path): không khóa được khi \(purpose) (errno \(errno))")
        }
        return FileLock(fd: fd)
    }

    private var released = false

    /// Lets the next process go on.
    func release() {
        guard !released else { return }
        released = true
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Work that failed half-way releases the lock too.
    deinit { release() }
}

/// Two server processes started at once on an empty data folder both found
/// no migration done and raced: to switch the new SQLite file to WAL ("database
/// is locked") and to create the same tables (issue 31, Low). A process now
/// opens, tunes and migrates its SQLite database holding an exclusive `flock`
/// on a file beside it: the second waits, then finds everything done. The
/// lock is released after the migrations. PostgreSQL is left as before
/// (DEPLOY.md: start the first process, then the others).
enum StartLock {
    /// The lock for a SQLite file database; nil for the others.
    static func acquire(_ storage: ServerSettings.Storage, dataDirectory: String) async throws -> FileLock? {
        guard case .sqliteFile(let path) = storage else { return nil }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return try await FileLock.exclusive(path + ".start-lock", purpose: "mở cơ sở dữ liệu")
    }
}
