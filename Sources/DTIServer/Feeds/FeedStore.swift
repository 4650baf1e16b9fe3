import DTICore
import DTIFormats
import Fluent
import Foundation
import SQLKit
import Vapor

/// The feeds this server knows, read once from their files (`feeds/*.yaml`).
struct FeedRegistry: Sendable {
    var feeds: [Feed]

    func feed(_ key: String) -> Feed? { feeds.first { $0.key == key } }

    /// The feeds of `directory`; a broken file stops the start with its problems.
    static func load(_ directory: String) throws -> FeedRegistry {
        do { return FeedRegistry(feeds: try FeedLoader.loadDirectory(directory)) } catch {
            throw Abort(.internalServerError, reason: "Tệp nguồn dữ liệu không hợp lệ (\(directory)):\n" + error.problems.map(\.description).joined(separator: "\n"))
        }
    }

    /// `./feeds` when run from the repository, else the source tree's.
    static func defaultDirectory() -> String {
        if FileManager.default.fileExists(atPath: "feeds") { return "feeds" }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("feeds").path
    }
}

extension Application {
    private struct FeedRegistryKey: StorageKey { typealias Value = FeedRegistry }

    /// The feeds `configure` read.
    var feeds: FeedRegistry {
        get { storage[FeedRegistryKey.self] ?? FeedRegistry(feeds: []) }
        set { storage[FeedRegistryKey.self] = newValue }
    }
}

/// Every statement on the feed tables (issue 30: a store per aggregate owns its SQL):
/// ingestions kept whole, values superseded and never overwritten, and what the
/// answers written from them need (the periods that bind a feed, their units,
/// submissions and answer rows).
struct FeedStore {
    let sql: any SQLDatabase

    init(_ db: any Database) throws { sql = try db.sql }

    // MARK: Ingestions

    struct Ingestion: Decodable, Sendable {
        var id: UUID
        var feed_key: String
        var number: Int
        var sha256: String
        var byte_count: Int
        var file_name: String
        var format: String
        var source: String
        var received_by: String
        var received_at: Date
        var status: String
        var problems: String
        var stored_name: String?
        var row_count: Int
        var value_count: Int
        var changed: Int
        var answers_changed: Int

        /// The problems of a refused file, one a line (the "unchanged" note for the same bytes again).
        var problemList: [String] { problems.isEmpty ? [] : problems.components(separatedBy: "\n") }
    }

    /// `failed`: a pulled source gave nothing (timeout, error status, no connection); `problems` says why.
    /// `applying`: the values are taken, the answers they change are being written (or were, when a
    /// process stopped: `FeedIngestion.resume` finishes them).
    enum Status: String { case accepted, applying, refused, unchanged, failed }

    static let ingestionColumns = "id, feed_key, number, sha256, byte_count, file_name, format, source, received_by, received_at, status, problems, stored_name, row_count, value_count, changed, answers_changed"

    /// Holds the feed's numbering until the caller's transaction ends: on PostgreSQL an advisory lock,
    /// so two ingestions at once (a pull and an upload, two processes) cannot take the same number;
    /// SQLite's one writer already serialises them.
    func lock(feed: String) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "feed_ingestions:" + feed)))").run()
    }

    /// A new ingestion numbered after the feed's last (inside the caller's transaction, after `lock`).
    func insert(feed: String, sha256: String, bytes: Int, fileName: String, format: String, source: String, by: String, at: Date,
                status: Status, problems: String, storedName: String?, rows: Int, values: Int) async throws -> Ingestion {
        try await sql.raw("""
            INSERT INTO feed_ingestions (\(unsafeRaw: Self.ingestionColumns))
            SELECT \(bind: UUID()), \(bind: feed), COALESCE(MAX(number), 0) + 1, \(bind: sha256), \(bind: bytes), \(bind: fileName), \(bind: format),
                   \(bind: source), \(bind: by), \(bind: at), \(bind: status.rawValue), \(bind: problems), \(bind: storedName), \(bind: rows), \(bind: values), 0, 0
            FROM feed_ingestions WHERE feed_key = \(bind: feed)
            RETURNING \(unsafeRaw: Self.ingestionColumns)
            """).first(decoding: Ingestion.self)!
    }

    /// The ingestion with what it changed, as it now stands.
    func finish(_ id: UUID, changed: Int, answersChanged: Int, status: Status = .accepted) async throws -> Ingestion {
        try await sql.raw("""
            UPDATE feed_ingestions SET changed = \(bind: changed), answers_changed = \(bind: answersChanged), status = \(bind: status.rawValue)
            WHERE id = \(bind: id)
            RETURNING \(unsafeRaw: Self.ingestionColumns)
            """).first(decoding: Ingestion.self)!
    }

    func ingestion(feed: String, number: Int) async throws -> Ingestion? {
        try await sql.raw("SELECT \(unsafeRaw: Self.ingestionColumns) FROM feed_ingestions WHERE feed_key = \(bind: feed) AND number = \(bind: number)").first(decoding: Ingestion.self)
    }

    /// The feed's ingestions, newest first.
    func ingestions(feed: String, limit: Int = 200) async throws -> [Ingestion] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.ingestionColumns) FROM feed_ingestions WHERE feed_key = \(bind: feed) ORDER BY number DESC LIMIT \(bind: limit)
            """).all(decoding: Ingestion.self)
    }

    /// The feed's last pull, whatever became of it (the schedule counts from it).
    func lastPull(feed: String) async throws -> Ingestion? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.ingestionColumns) FROM feed_ingestions WHERE feed_key = \(bind: feed) AND source = 'pull' ORDER BY number DESC LIMIT 1
            """).first(decoding: Ingestion.self)
    }

    /// The feed's last accepted ingestion: the data in use.
    func lastAccepted(feed: String) async throws -> Ingestion? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.ingestionColumns) FROM feed_ingestions WHERE feed_key = \(bind: feed) AND status IN ('accepted', 'applying') ORDER BY number DESC LIMIT 1
            """).first(decoding: Ingestion.self)
    }

    /// The accepted ingestion that brought exactly these bytes, if one did.
    func accepted(feed: String, sha256: String) async throws -> Ingestion? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.ingestionColumns) FROM feed_ingestions
            WHERE feed_key = \(bind: feed) AND sha256 = \(bind: sha256) AND status IN ('accepted', 'applying') ORDER BY number LIMIT 1
            """).first(decoding: Ingestion.self)
    }

    /// Ingestions whose answers are not all written yet, oldest first.
    func applying() async throws -> [Ingestion] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.ingestionColumns) FROM feed_ingestions WHERE status = 'applying' ORDER BY received_at, number
            """).all(decoding: Ingestion.self)
    }

    // MARK: Values

    /// The units an ingestion brought values for.
    func units(of ingestion: UUID) async throws -> [UUID] {
        struct Row: Decodable { var unit_id: UUID }
        return try await sql.raw("SELECT DISTINCT unit_id FROM feed_values WHERE ingestion_id = \(bind: ingestion)").all(decoding: Row.self).map(\.unit_id)
    }

    struct Value: Decodable, Sendable {
        var id: UUID
        var unit_id: UUID
        var month: String
        var field: String
        var value: String
        var ingestion_id: UUID
    }

    /// The current values of `units` for `months` (all months when nil).
    func current(feed: String, units: [UUID], months: [String]?) async throws -> [Value] {
        var out: [Value] = []
        for chunk in units.chunked(400) {
            let monthCondition: SQLQueryString = months.map { "AND month IN \(SQLBind.group($0))" } ?? ""
            out += try await sql.raw("""
                SELECT id, unit_id, month, field, value, ingestion_id FROM feed_values
                WHERE feed_key = \(bind: feed) AND superseded_by IS NULL AND unit_id IN \(SQLBind.group(Array(chunk))) \(monthCondition)
                """).all(decoding: Value.self)
        }
        return out
    }

    /// A value of one unit as it was received, with the ingestion that brought it and, when a
    /// later ingestion corrected it, when that one arrived.
    struct Received: Decodable, Sendable {
        var month: String
        var field: String
        var value: String
        var number: Int
        var received_at: Date
        var superseded_at: Date?
    }

    /// Every value `unit` ever received from `feed` for `fields`, superseded ones included.
    func received(feed: String, unit: UUID, fields: [String]) async throws -> [Received] {
        try await sql.raw("""
            SELECT v.month, v.field, v.value, i.number, i.received_at, s.received_at AS superseded_at
            FROM feed_values v JOIN feed_ingestions i ON i.id = v.ingestion_id LEFT JOIN feed_ingestions s ON s.id = v.superseded_by
            WHERE v.feed_key = \(bind: feed) AND v.unit_id = \(bind: unit) AND v.field IN \(SQLBind.group(fields))
            """).all(decoding: Received.self)
    }

    /// New values of one ingestion; the ones they correct are marked superseded by it first.
    func write(feed: String, ingestion: UUID, superseding old: [UUID], values: [(unit: UUID, month: String, field: String, value: String)]) async throws {
        for chunk in old.chunked(400) {
            try await sql.raw("UPDATE feed_values SET superseded_by = \(bind: ingestion) WHERE id IN \(SQLBind.group(Array(chunk)))").run()
        }
        for chunk in values.chunked(150) {
            var rows: [SQLQueryString] = []
            for v in chunk {
                rows.append("(\(bind: UUID()), \(bind: feed), \(bind: v.unit), \(bind: v.month), \(bind: v.field), \(bind: v.value), \(bind: ingestion))")
            }
            try await sql.raw("INSERT INTO feed_values (id, feed_key, unit_id, month, field, value, ingestion_id) VALUES \(rows.joined(separator: ", "))").run()
        }
    }

    // MARK: What the answers need

    struct UnitRow: Decodable, Sendable { var id: UUID; var code: String; var name: String; var level: String; var tags: String }

    func units() async throws -> [UnitRow] {
        try await sql.raw("SELECT id, code, name, level, tags FROM units").all(decoding: UnitRow.self)
    }

    struct BoundLevel: Decodable, Sendable { var period_id: UUID; var level: String; var framework_version_id: UUID }

    /// The levels of periods still open to answers: not locked, nothing published.
    func openLevels() async throws -> [BoundLevel] {
        try await sql.raw("""
            SELECT pf.period_id, pf.level, pf.framework_version_id FROM period_frameworks pf JOIN periods p ON p.id = pf.period_id
            WHERE p.locked = \(bind: false) AND p.results_only = \(bind: false)
              AND NOT EXISTS (SELECT 1 FROM published_records r WHERE r.period_id = p.id)
            """).all(decoding: BoundLevel.self)
    }

    struct Participant: Decodable, Sendable { var unit_id: UUID; var submission_id: UUID? }

    /// A period's units among `units`, with their submission if they have one.
    func participants(period: UUID, units: [UUID]) async throws -> [Participant] {
        var out: [Participant] = []
        for chunk in units.chunked(400) {
            out += try await sql.raw("""
                SELECT pu.unit_id, s.id AS submission_id FROM period_units pu
                LEFT JOIN submissions s ON s.period_id = pu.period_id AND s.unit_id = pu.unit_id
                WHERE pu.period_id = \(bind: period) AND pu.unit_id IN \(SQLBind.group(Array(chunk)))
                """).all(decoding: Participant.self)
        }
        return out
    }

    struct AnswerState: Decodable, Sendable { var submission_id: UUID; var criterion: String; var version: Int; var value: String; var explanation: String }

    func answers(submissions: [UUID], criteria: [String]) async throws -> [AnswerState] {
        var out: [AnswerState] = []
        for chunk in submissions.chunked(400) {
            out += try await sql.raw("""
                SELECT submission_id, criterion, version, value, explanation FROM answers
                WHERE submission_id IN \(SQLBind.group(Array(chunk))) AND criterion IN \(SQLBind.group(criteria))
                """).all(decoding: AnswerState.self)
        }
        return out
    }
}

extension Array {
    /// The array in consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
