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
        let kept = Children(phases: children.phases.map(DecodedOnceRow.init), links: children.links.map(DecodedOnceRow.init),
                            versions: children.versions.map(DecodedOnceRow.init))
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[period] = Entry(revision: revision, children: kept)
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

/// A kept row that decodes each column (as each type asked) once and then
/// answers from memory: every load of a kept period makes its models from
/// the same rows, and PostgreSQL's rows decode a text column — a framework's
/// whole YAML — into a new string each time they are asked (2 % of a save's
/// CPU on PostgreSQL). Decoding is deterministic, so the remembered value is
/// the one a second decoding would give; a failure is not remembered.
final class DecodedOnceRow: SQLRow, @unchecked Sendable {
    private struct Key: Hashable {
        var column: String
        var type: ObjectIdentifier
    }

    private let row: any SQLRow
    // Values of any Decodable type (not all Sendable); only read and written under the lock,
    // and never mutated once stored.
    private let decoded = NIOLockedValueBox<[Key: Any]>([:])

    init(_ row: any SQLRow) { self.row = row }

    var allColumns: [String] { row.allColumns }
    func contains(column: String) -> Bool { row.contains(column: column) }
    func decodeNil(column: String) throws -> Bool { try row.decodeNil(column: column) }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let key = Key(column: column, type: ObjectIdentifier(type))
        // The entry first, then its type: a missing entry cast to an optional `D` would be a nil value.
        if let stored = decoded.withLockedValue({ $0[key] }), let value = stored as? D { return value }
        let value = try row.decode(column: column, as: type)
        decoded.withLockedValue { $0[key] = value }
        return value
    }
}
