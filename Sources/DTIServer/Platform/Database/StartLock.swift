#if canImport(Glibc)
import Glibc
#endif
import FluentPostgresDriver
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

/// Two server processes started at once on an empty database both found no
/// migration done and raced: to switch the new SQLite file to WAL ("database
/// is locked") and to create the same tables (issue 31, Low). A process now
/// opens, tunes and migrates its database holding a lock the others wait for:
/// on SQLite an exclusive `flock` on a file beside the database; on PostgreSQL
/// a session advisory lock (`pg_advisory_lock`) taken on a connection of its
/// own, outside the pool the migrations use, so that a pool of one connection
/// cannot wait on itself. The lock is keyed by the schema, so applications in
/// other schemas of one database (the tests) do not wait for each other. It
/// is released after the migrations (closing the connection releases it too;
/// a start that fails ends the process, and its connection with it).
enum StartLock {
    /// What holds the lock until `release()`.
    enum Held {
        case file(FileLock)
        case postgres(PostgresConnection)

        func release() async {
            switch self {
            case .file(let lock): lock.release()
            case .postgres(let connection): try? await connection.close()
            }
        }
    }

    /// The lock for the database `settings` name (a SQLite file or a PostgreSQL database); nil for an
    /// in-memory database. Held while a process migrates, and while `dti serve --demo` seeds an empty
    /// database (two demo processes started at once made the same units twice, and one of them stopped).
    static func acquire(_ settings: ServerSettings, on app: Application) async throws -> Held? {
        switch settings.storage {
        case .sqliteMemory: return nil
        case .sqliteFile(let path):
            try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
            return .file(try await FileLock.exclusive(path + ".start-lock", purpose: "mở cơ sở dữ liệu"))
        case .postgres:
            guard let postgres = try settings.postgresConfiguration() else { return nil }
            let logger = app.logger
            let connection = try await PostgresConnection.connect(on: app.eventLoopGroup.any(), configuration: postgres.coreConfiguration, id: 0, logger: logger)
            do {
                _ = try await connection.query("SELECT pg_advisory_lock(\(key(schema: settings.postgresSchema ?? "public")))", logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            return .postgres(connection)
        }
    }

    /// A stable 63-bit key for the schema (FNV-1a), under a prefix of OpenDTI's own.
    static func key(schema: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("opendti-start:" + schema).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash & 0x7fff_ffff_ffff_ffff)
    }
}

extension ServerSettings {
    /// The PostgreSQL connection `storage` names, in `postgresSchema` when set; nil for SQLite.
    func postgresConfiguration() throws -> SQLPostgresConfiguration? {
        guard case .postgres(let url) = storage else { return nil }
        var configuration = try SQLPostgresConfiguration(url: url)
        if let postgresSchema { configuration.searchPath = [postgresSchema] }
        return configuration
    }
}
