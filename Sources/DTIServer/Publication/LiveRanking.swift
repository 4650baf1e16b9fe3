import DTICore
import DTIFormats
import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// The live ranking of a period, kept per process and brought up to date
/// from what changed since it was last asked for (ADR 0027).
///
/// Each request reads one statement: the period's revision (its frameworks
/// and its list of units, M017/M018), the directory's revision (every unit's
/// name, group and tags) and, for each submission of the period, its state
/// and the revision its answers' triggers raise. When the two revisions are
/// the ones kept, only the units whose submission changed are read again
/// and rescored, and only the groups they belong to ranked again (`Assessment.rerank`); otherwise
/// everything is read as `ResultsService.compute` would. Publication does
/// not use this: it computes from scratch, inside its transaction.
final class LiveRanking: Sendable {
    /// One level's live result.
    struct Level: Sendable {
        var level: String
        /// `key@version` of the level's framework.
        var framework: String
        var result: AssessmentResult
        /// Each unit's code by its name, for the links.
        var codes: [String: String]
        /// This level as an element of the JSON answer's `levels` (`ResultsService.levelJSON`, indented for it).
        var json: String
    }

    /// The live ranking as `/api/v1/periods/:id/ranking` answers it: the
    /// same text as `JSONValue.serialized()` of the object, from each level's
    /// kept text (only a level that changed is written again).
    static func json(title: String, levels: [Level]) -> String {
        var out = "{\n  \"period\": "
        out += JSONValue.string(title).serialized()
        out += ",\n  \"live\": true,\n  \"levels\": "
        if levels.isEmpty {
            out += "[]"
        } else {
            out.reserveCapacity(levels.reduce(out.utf8.count + 16) { $0 + $1.json.utf8.count + 6 })
            out += "[\n"
            for (n, level) in levels.enumerated() {
                if n > 0 { out += ",\n" }
                out += "    "
                out += level.json
            }
            out += "\n  ]"
        }
        return out + "\n}"
    }

    /// Ids as the text the database gives, in lower case (`Self.key`): a request
    /// compares every submission of the period, and parsing 8,000 UUIDs from
    /// text was the largest cost of an unchanged ranking.
    typealias Key = String

    /// `id` as a `Key`.
    static func key(_ id: UUID) -> Key { id.uuidString.lowercased() }

    /// What a submission looked like when its unit was last scored.
    private struct SubmissionState: Sendable, Equatable {
        var id: Key
        var submitted: Bool
        var revision: Int
    }

    private struct LevelState: Sendable {
        var level: String
        var framework: CompiledFramework
        var frameworkKey: String
        var units: [AssessedUnit]
        var silent: Set<Key>
        var codes: [String: String]
        var ranked: Level
        /// Each unit's JSON text as last written (`ResultsWriter.writeJSON`).
        var written: ResultsWriter.WrittenUnits
    }

    private struct Entry: Sendable {
        var periodRevision: Int
        var directoryRevision: Int
        var levels: [LevelState]
        /// Where each unit is: its level's position and its own.
        var positions: [Key: (level: Int, unit: Int)]
        var submissions: [Key: SubmissionState]
        /// The submissions as the database joined them (`unit|submission|status|revision`, comma-separated).
        var submissionsText = ""
    }

    /// The joined text of the period's submissions, by unit.
    private static func submissions(_ text: String) throws -> [Key: SubmissionState] {
        var out: [Key: SubmissionState] = [:]
        for item in text.utf8.split(separator: UInt8(ascii: ",")) {
            let (unit, state) = try submission(Substring(item))
            out[unit] = state
        }
        return out
    }

    /// One item of the joined text: `unit|submission|status|revision`.
    private static func submission(_ item: Substring) throws -> (Key, SubmissionState) {
        let parts = item.utf8.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false).map { Substring($0) }
        guard parts.count == 4, let revision = Int(parts[3]) else { throw Abort(.internalServerError, reason: "Không đọc được trạng thái hồ sơ: \(item)") }
        return (String(parts[0]), SubmissionState(id: String(parts[1]), submitted: parts[2] == Submission.Status.submitted.rawValue[...], revision: revision))
    }

    /// The items of `new` that differ from `old`'s, when both list the same
    /// units in the same order (the statement orders them); nil otherwise.
    /// Compared as bytes: after one changed score, one item of 4,000 differs.
    static func changedItems(from old: String, to new: String) -> [String]? {
        var old = old, new = new
        return old.withUTF8 { a in
            new.withUTF8 { b -> [String]? in
                var changed: [String] = []
                var i = 0, j = 0
                while i < a.count || j < b.count {
                    guard i < a.count, j < b.count else { return nil }
                    var ie = i, je = j
                    while ie < a.count, a[ie] != UInt8(ascii: ",") { ie += 1 }
                    while je < b.count, b[je] != UInt8(ascii: ",") { je += 1 }
                    if ie - i != je - j || memcmp(a.baseAddress! + i, b.baseAddress! + j, ie - i) != 0 {
                        // The unit (up to the first "|") must be the same one.
                        var k = 0
                        while i + k < ie, j + k < je, a[i + k] == b[j + k], a[i + k] != UInt8(ascii: "|") { k += 1 }
                        guard i + k < ie, j + k < je, a[i + k] == UInt8(ascii: "|"), b[j + k] == UInt8(ascii: "|") else { return nil }
                        changed.append(String(decoding: UnsafeBufferPointer(rebasing: b[j..<je]), as: UTF8.self))
                    }
                    i = ie + 1
                    j = je + 1
                }
                return changed
            }
        }
    }

    /// A province has a handful of periods; past this, the store starts again.
    static let capacity = 16
    /// More changed units than this are read again by a full computation.
    static let incrementalLimit = 500

    private let entries = NIOLockedValueBox<[UUID: Entry]>([:])
    /// How many times a period was computed from scratch, and how many units were rescored alone (for tests).
    let counts = NIOLockedValueBox<(full: Int, rescored: Int)>((0, 0))

    /// The live result of every level of `period`, in level order.
    func levels(_ periodID: UUID, on db: any Database, periods: PeriodCache?) async throws -> [Level] {
        let sql = try db.sql
        // Revisions first, then what they describe: what is read after them is never older.
        // The submissions come as one text that the database joins (4,012 rows decoded one
        // by one cost more than the rest of an unchanged request); equal to the kept text,
        // nothing changed and it is not even split.
        let joined: SQLQueryString = sql.dialect.name == "sqlite" ? "group_concat" : "string_agg"
        guard let row = try await sql.raw("""
            SELECT d.revision AS directory, p.revision AS period,
                   (SELECT \(joined)(LOWER(CAST(s.unit_id AS TEXT)) || '|' || LOWER(CAST(s.id AS TEXT)) || '|' || s.status || '|' || CAST(s.answers_revision AS TEXT), ',' ORDER BY s.unit_id)
                    FROM submissions s WHERE s.period_id = p.id) AS submissions
            FROM directory_revision d JOIN periods p ON p.id = \(bind: periodID)
            WHERE d.id = 1
            """).first() else { throw Abort(.notFound, reason: "Không có kỳ đánh giá này.") }
        let periodRevision = try row.decode(column: "period", as: Int.self)
        let directoryRevision = try row.decode(column: "directory", as: Int.self)
        let text = try row.decode(column: "submissions", as: String?.self) ?? ""
        let kept = entries.withLockedValue { $0[periodID] }
        if let kept, kept.periodRevision == periodRevision, kept.directoryRevision == directoryRevision, kept.submissionsText == text {
            return kept.levels.map(\.ranked)
        }
        var entry: Entry
        if var kept, kept.periodRevision == periodRevision, kept.directoryRevision == directoryRevision {
            let submissions: [Key: SubmissionState]
            var changed: Set<Key>
            if let lines = Self.changedItems(from: kept.submissionsText, to: text) {
                // The same units in the same order: only the differing items are read.
                var updated = kept.submissions
                changed = []
                for line in lines {
                    let (unit, state) = try Self.submission(line[...])
                    updated[unit] = state
                    changed.insert(unit)
                }
                submissions = updated
            } else {
                submissions = try Self.submissions(text)
                changed = Set(submissions.keys.filter { submissions[$0] != kept.submissions[$0] })
                changed.formUnion(kept.submissions.keys.filter { submissions[$0] == nil })
            }
            if changed.isEmpty { return kept.levels.map(\.ranked) }
            if changed.count > Self.incrementalLimit {
                entry = try await build(periodID, periodRevision: periodRevision, directoryRevision: directoryRevision,
                                        submissions: submissions, on: db, periods: periods)
            } else {
                let ids = changed.compactMap { unit in submissions[unit].flatMap { $0.submitted ? UUID(uuidString: $0.id) : nil } }
                let answers = try await Self.answers(submissions: ids, on: sql)
                // Each touched level's new scores by position; only their groups are ranked again.
                var rescored: [Int: [Int: UnitScore]] = [:]
                for unit in changed {
                    guard let at = kept.positions[unit] else { continue }
                    let state = kept.levels[at.level]
                    rescored[at.level, default: [:]][at.unit] = Self.score(state.units[at.unit], submission: submissions[unit],
                                                                            silent: state.silent.contains(unit), answers: answers, in: state.framework)
                }
                for (level, scores) in rescored {
                    let state = kept.levels[level]
                    (kept.levels[level].ranked, kept.levels[level].written) =
                        Self.level(state.level, framework: state.frameworkKey, result: Assessment.rerank(state.ranked.result, replacing: scores),
                                   codes: state.codes, earlier: state.written)
                }
                kept.submissions = submissions
                kept.submissionsText = text
                entry = kept
                counts.withLockedValue { $0.rescored += changed.count }
            }
        } else {
            entry = try await build(periodID, periodRevision: periodRevision, directoryRevision: directoryRevision,
                                    submissions: try Self.submissions(text), on: db, periods: periods)
        }
        entry.submissionsText = text
        let keep = entry
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity, entries[periodID] == nil { entries.removeAll() }
            entries[periodID] = keep
        }
        return entry.levels.map(\.ranked)
    }

    /// Everything read and scored, as `ResultsService.compute` does.
    private func build(_ periodID: UUID, periodRevision: Int, directoryRevision: Int, submissions: [Key: SubmissionState],
                       on db: any Database, periods: PeriodCache?) async throws -> Entry {
        counts.withLockedValue { $0.full += 1 }
        guard let period = try await PeriodService.load(periodID, on: db, cache: periods) else { throw Abort(.notFound, reason: "Không có kỳ đánh giá này.") }
        let participants = try await Participation.units(period, on: db)
        let silent = Set(participants.filter { $0.notReporting != nil }.compactMap { $0.unit.id.map(Self.key) })
        let answers = try await Self.answers(ofPeriod: periodID, on: try db.sql)
        // What the scoring needs, as values; the scoring itself (4,000 units: over a second) runs on
        // NIO's blocking thread pool, not on the event loop that carries this request and its
        // neighbours' connections (ADR 0032, ADR 0034).
        let inputs = try period.frameworks.sorted(by: { $0.level < $1.level }).map { link in
            let members = participants.map(\.unit).filter { $0.level == link.level }
            return LevelInput(level: link.level, framework: try FrameworkCatalog.compiled(link.frameworkVersion),
                              frameworkKey: "\(link.frameworkVersion.key)@\(link.frameworkVersion.version)",
                              units: members.map(\.assessed),
                              ids: members.map { Self.key($0.id!) },
                              codes: Dictionary(members.map { ($0.name, $0.code) }, uniquingKeysWith: { a, _ in a }))
        }
        let (levels, positions) = try await NIOThreadPool.singleton.runIfActive {
            Self.scored(inputs, submissions: submissions, silent: silent, answers: answers)
        }
        return Entry(periodRevision: periodRevision, directoryRevision: directoryRevision, levels: levels, positions: positions, submissions: submissions)
    }

    /// A level's units and framework, read from the database and the catalogue, for `scored`.
    private struct LevelInput: Sendable {
        var level: String
        var framework: CompiledFramework
        var frameworkKey: String
        var units: [AssessedUnit]
        var ids: [Key]
        var codes: [String: String]
    }

    /// Every level scored, ranked and written as JSON: pure work, no database.
    private static func scored(_ inputs: [LevelInput], submissions: [Key: SubmissionState], silent: Set<Key>,
                               answers: [Key: [String: AnswerPoints]]) -> ([LevelState], [Key: (level: Int, unit: Int)]) {
        var levels: [LevelState] = []
        var positions: [Key: (level: Int, unit: Int)] = [:]
        for input in inputs {
            let levelSilent = silent.intersection(input.ids)
            for (n, id) in input.ids.enumerated() { positions[id] = (levels.count, n) }
            let scores = zip(input.units, input.ids).map { unit, id in
                score(unit, submission: submissions[id], silent: levelSilent.contains(id), answers: answers, in: input.framework)
            }
            let (ranked, written) = level(input.level, framework: input.frameworkKey,
                                          result: Assessment.rank(input.framework, scores: scores, distributions: false), codes: input.codes,
                                          earlier: ResultsWriter.WrittenUnits())
            levels.append(LevelState(level: input.level, framework: input.framework, frameworkKey: input.frameworkKey, units: input.units,
                                     silent: levelSilent, codes: input.codes, ranked: ranked, written: written))
        }
        return (levels, positions)
    }

    /// A level's result with its JSON text, written again only for the units whose row changed since `earlier`.
    private static func level(_ level: String, framework: String, result: AssessmentResult, codes: [String: String],
                              earlier: ResultsWriter.WrittenUnits) -> (Level, ResultsWriter.WrittenUnits) {
        var json = ""
        let written = ResultsWriter(result.ranking).writeJSON(into: &json, indent: 2, leading: [("level", .string(level)), ("framework", .string(framework))],
                                                              earlier: earlier)
        return (Level(level: level, framework: framework, result: result, codes: codes, json: json), written)
    }

    /// A unit's score: from its answers when submitted and reporting, else as not reporting.
    private static func score(_ unit: AssessedUnit, submission: SubmissionState?, silent: Bool,
                              answers: [Key: [String: AnswerPoints]], in fw: CompiledFramework) -> UnitScore {
        guard let submission, submission.submitted, !silent else { return OfficialScore.notReporting(unit, in: fw) }
        return OfficialScore.unit(unit, answers: answers[submission.id] ?? [:], in: fw)
    }

    /// What scoring reads of an answer, as a value.
    struct AnswerPoints: Sendable, ReviewedAnswer {
        var value: String
        var b: String
        var selfPoints: Int64?
        var evaluatorPoints: Int64?
        var councilPoints: Int64?
    }

    static let answerColumns: SQLQueryString = "LOWER(CAST(submission_id AS TEXT)) AS submission, criterion, value, b, self_points, evaluator_points, council_points"

    private static func answers(ofPeriod period: UUID, on sql: any SQLDatabase) async throws -> [Key: [String: AnswerPoints]] {
        let rows = try await sql.raw("""
            SELECT \(answerColumns) FROM answers
            WHERE submission_id IN (SELECT id FROM submissions WHERE period_id = \(bind: period) AND status = \(bind: Submission.Status.submitted.rawValue))
            """).all()
        // A whole period's answers (190,000 rows for 4,000 communes) are decoded off the event loop, like the scoring.
        return try await NIOThreadPool.singleton.runIfActive { try collect(rows) }
    }

    private static func answers(submissions: [UUID], on sql: any SQLDatabase) async throws -> [Key: [String: AnswerPoints]] {
        guard !submissions.isEmpty else { return [:] }
        return try collect(try await sql.raw("SELECT \(answerColumns) FROM answers WHERE submission_id IN (\(binds: submissions))").all())
    }

    private static func collect(_ rows: [any SQLRow]) throws -> [Key: [String: AnswerPoints]] {
        var out: [Key: [String: AnswerPoints]] = [:]
        for row in rows {
            let points = AnswerPoints(value: try row.decode(column: "value", as: String.self), b: try row.decode(column: "b", as: String.self),
                                      selfPoints: try row.decode(column: "self_points", as: Int64?.self),
                                      evaluatorPoints: try row.decode(column: "evaluator_points", as: Int64?.self),
                                      councilPoints: try row.decode(column: "council_points", as: Int64?.self))
            out[try row.decode(column: "submission", as: Key.self), default: [:]][try row.decode(column: "criterion", as: String.self)] = points
        }
        return out
    }
}

/// A stored answer is scored by DTICore's `OfficialScore`.
extension Answer: ReviewedAnswer {}

extension Application {
    private struct LiveRankingKey: StorageKey { typealias Value = LiveRanking }

    /// This process's kept live rankings (one store per application, made by `configure`).
    var liveRanking: LiveRanking? {
        get { storage[LiveRankingKey.self] }
        set { storage[LiveRankingKey.self] = newValue }
    }
}
