import DTIFormats
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Vapor

/// CPU-heavy work that must neither hold an event loop nor the threads the
/// database's statements run on (SQLite's calls run on the application's
/// thread pool): threads of its own and a bounded queue (issue 31, ADR 0037).
/// When as many calls are running or waiting as `capacity`, a new one is
/// refused at once with `DomainError.busy`, so a flood queues nothing and
/// everyone else's requests keep moving.
final class BoundedWork: LifecycleHandler, Sendable {
    /// Who the busy message names ("kiểm tra mật khẩu", "đọc tệp Excel").
    let purpose: String
    let threads: Int
    /// Calls running or waiting at most; past it, refused.
    let capacity: Int
    private let pool: NIOThreadPool
    private let admitted = NIOLockedValueBox(0)
    /// Raised at shutdown: long work asked through `stopping` ends early.
    private let stopped = NIOLockedValueBox(false)

    init(purpose: String, threads: Int, capacity: Int) {
        precondition(threads >= 1 && capacity >= threads)
        self.purpose = purpose
        self.threads = threads
        self.capacity = capacity
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Calls running or waiting now.
    var load: Int { admitted.withLockedValue { $0 } }

    /// Whether the application is stopping (asked by long work between steps).
    var isStopping: Bool { stopped.withLockedValue { $0 } }

    /// `body` on one of this work's threads, or `DomainError.busy` at once
    /// when `capacity` calls are already running or waiting.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let admittedNow = admitted.withLockedValue { count -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admittedNow else {
            throw DomainError.busy("Máy chủ đang bận \(purpose) cho nhiều yêu cầu khác; hãy thử lại sau ít giây.")
        }
        defer { admitted.withLockedValue { $0 -= 1 } }
        return try await pool.runIfActive(body)
    }

    func shutdown(_ application: Application) {
        stopped.withLockedValue { $0 = true }
        try? pool.syncShutdownGracefully()
    }

    func shutdownAsync(_ application: Application) async {
        stopped.withLockedValue { $0 = true }
        try? await pool.shutdownGracefully()
    }
}

/// Password hashing and checking (bcrypt, deliberately slow) on threads of
/// their own with a bounded queue: a flood of sign-ins is refused with 429
/// beyond it, and never waits in front of the database's statements.
struct PasswordWork: Sendable {
    let work: BoundedWork
    var cost: Int = 12

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await work.run { try Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, created hash: String) async throws -> Bool {
        try await work.run { try Bcrypt.verify(password, created: hash) }
    }
}

/// Spreadsheets sent by users, read on a thread of their own, one or two at a
/// time, each within limits set by its size and a deadline; cancelled when
/// the request's task is, or when the server stops.
struct SpreadsheetWork: Sendable {
    let work: BoundedWork
    /// How long one reading may take before it is refused.
    var seconds: Double = 15

    /// `read` given limits set from the file's size and the deadline, on the spreadsheet thread.
    func read<T: Sendable>(_ data: Data, _ read: @escaping @Sendable (Data, WorkbookReader.Limits) throws -> T) async throws -> T {
        let cancelled = NIOLockedValueBox(false)
        let work = self.work
        var limits = WorkbookReader.Limits.forFile(size: data.count, seconds: seconds)
        limits.shouldStop = { cancelled.withLockedValue { $0 } || work.isStopping }
        let given = limits
        return try await withTaskCancellationHandler {
            try await work.run { try read(data, given) }
        } onCancel: {
            cancelled.withLockedValue { $0 = true }
        }
    }
}

extension Application {
    private struct PasswordWorkKey: StorageKey { typealias Value = PasswordWork }
    private struct SpreadsheetWorkKey: StorageKey { typealias Value = SpreadsheetWork }

    /// Where passwords are hashed and checked (`PasswordWork`), one per application.
    var passwordWork: PasswordWork {
        get {
            guard let work = storage[PasswordWorkKey.self] else { fatalError("configure(_:) sets app.passwordWork") }
            return work
        }
        set { storage[PasswordWorkKey.self] = newValue }
    }

    /// Where uploaded spreadsheets are read (`SpreadsheetWork`), one per application.
    var spreadsheetWork: SpreadsheetWork {
        get {
            guard let work = storage[SpreadsheetWorkKey.self] else { fatalError("configure(_:) sets app.spreadsheetWork") }
            return work
        }
        set { storage[SpreadsheetWorkKey.self] = newValue }
    }
}
