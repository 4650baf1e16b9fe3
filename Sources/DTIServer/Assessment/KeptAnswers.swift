import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// A submission's answers, kept between requests by each server process as
/// the rows the database gave, under the submission's answers revision.
///
/// Every load of an assessment still reads the submission's row (with its
/// status, and the revision the database raises on every insert, update or
/// delete of one of its answers: M018's trigger, in the statement that makes
/// the change); when that revision is the one kept, the read of the answers
/// is skipped. A change made by another process, or by any path of this one
/// (an evaluator's score, a sheet, a correction), raises the revision, so the
/// next load reads the answers again. ADR 0036.
///
/// Why a kept entry is never wrong: an entry is kept under the revision read
/// *before* its rows, so its rows are that revision's or newer; and a newer
/// state has a higher revision, which a later load never reads as the kept
/// one (revisions only rise, and nothing read inside a transaction — which
/// may roll back — is kept or used: callers inside one pass no store). After
/// a save that was one committed update of one row (`advance`), the entry
/// moves to the next revision with that row replaced: if anything else was
/// committed meanwhile, the database is past that revision and the entry is
/// never used.
final class KeptAnswers: Sendable {
    private struct Entry: Sendable {
        var revision: Int
        /// Criterion → its row.
        var rows: [String: any SQLRow]
    }

    /// A province's units, a few times over; past this, the store starts again (a national
    /// period's 4,000 units only read their answers more often).
    static let capacity = 1_024

    private let entries = NIOLockedValueBox<[UUID: Entry]>([:])

    /// The kept rows of `submission` when they are those of `revision`.
    func rows(of submission: UUID, revision: Int) -> [String: any SQLRow]? {
        entries.withLockedValue { entries in
            guard let entry = entries[submission], entry.revision == revision else { return nil }
            return entry.rows
        }
    }

    /// Keeps rows read after the submission's row said `revision`. Each row decodes a column once.
    func keep(_ rows: [String: any SQLRow], of submission: UUID, revision: Int) {
        let kept = rows.mapValues { DecodedOnceRow($0) }
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity, entries[submission] == nil { entries.removeAll() }
            entries[submission] = Entry(revision: revision, rows: kept)
        }
    }

    /// After one committed update of one answer row (its trigger raised the revision by one):
    /// the kept rows of `revision`, if any, become those of `revision + 1` with `row`, the
    /// updated row as the update returned it, in place of the criterion's.
    func advance(_ submission: UUID, from revision: Int, criterion: String, row: any SQLRow) {
        let kept = DecodedOnceRow(row)
        entries.withLockedValue { entries in
            guard var entry = entries[submission], entry.revision == revision else { return }
            entry.revision = revision + 1
            entry.rows[criterion] = kept
            entries[submission] = entry
        }
    }

    var count: Int { entries.withLockedValue { $0.count } }
}

extension Application {
    private struct KeptAnswersKey: StorageKey { typealias Value = KeptAnswers }

    /// This process's kept answers (one store per application; nil keeps nothing).
    var keptAnswers: KeptAnswers? {
        get { storage[KeptAnswersKey.self] }
        set { storage[KeptAnswersKey.self] = newValue }
    }
}
