import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// A period's phases, framework links and framework versions, kept between
/// requests by each server process as the rows the database gave, under the
/// period's revision. Every read of a period still reads the period's own row
/// (its lock and dates of publication are never kept); when that row's
/// revision is the one kept, the three other reads are skipped. The
/// database's triggers raise the revision on every change of those rows
/// (M017AddPeriodRevision), so a change made by another process is seen on
/// the next read. Nothing read inside a transaction may be kept or used (it
/// may yet roll back): callers inside one pass no cache. ADR 0024.
final class PeriodCache: Sendable {
    struct Children: Sendable {
        var phases: [any SQLRow]
        var links: [any SQLRow]
        var versions: [any SQLRow]
    }

    private struct Entry: Sendable {
        var revision: Int
        var children: Children
    }

    /// Periods are few (a province opens one or two a year); past this, the store starts again.
    static let capacity = 256

    private let entries = NIOLockedValueBox<[UUID: Entry]>([:])

    func children(of period: UUID, revision: Int) -> Children? {
        entries.withLockedValue { entries in
            guard let entry = entries[period], entry.revision == revision else { return nil }
            return entry.children
        }
    }

    func keep(_ children: Children, of period: UUID, revision: Int) {
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[period] = Entry(revision: revision, children: children)
        }
    }

    var count: Int { entries.withLockedValue { $0.count } }
}

extension Application {
    private struct PeriodCacheKey: StorageKey { typealias Value = PeriodCache }

    /// This process's kept periods (one store per application; nil keeps nothing).
    var periodCache: PeriodCache? {
        get { storage[PeriodCacheKey.self] }
        set { storage[PeriodCacheKey.self] = newValue }
    }
}
