import DTICore
import DTIFormats
import Fluent
import Foundation
import Vapor

/// Ingestion of a feed's data (issue 33, ADR 0044): a file or a pull kept
/// whole with its SHA-256, taken whole or refused whole with every problem
/// named; the same bytes again change nothing; a corrected month supersedes
/// the old value with both kept. The criteria that open periods bind to the
/// feed are then written through the one write path of an answer
/// (`AnswerStore.write`): ingestion is one more writer of answers, logged by
/// the same triggers as every other change.
enum FeedIngestion {
    /// What an ingestion did.
    struct Outcome: Sendable {
        var ingestion: FeedStore.Ingestion
        /// The same bytes were ingested before: nothing changed.
        var repeated: Bool

        var refused: Bool { ingestion.status == FeedStore.Status.refused.rawValue }
        /// A pulled source gave nothing.
        var failed: Bool { ingestion.status == FeedStore.Status.failed.rawValue }
        var problems: [String] { ingestion.problemList }

        /// The sentence that says what became of the file, as the page and the API's 422 say it.
        var summary: String {
            let i = ingestion
            if failed {
                return "Không lấy được số liệu từ nguồn (lần nhận số \(i.number)); không có gì thay đổi, các tiêu chí giữ số liệu của lần nhận tốt gần nhất."
            }
            if refused {
                return "Tệp \(i.file_name) bị từ chối (lần nhận số \(i.number)); không số liệu nào được ghi. \(problems.count) lỗi:"
            }
            if repeated { return "Tệp \(i.file_name) trùng nội dung với một lần nhận trước (lần nhận số \(i.number)); không có gì thay đổi." }
            return "Đã nhận tệp \(i.file_name) (lần nhận số \(i.number)): \(NumberText.grouped(i.row_count)) dòng, \(NumberText.grouped(i.changed)) giá trị mới hoặc được sửa, \(NumberText.grouped(i.answers_changed)) câu trả lời của kỳ đang mở được ghi."
        }
    }

    /// Who or what brought the data.
    struct Arrival: Sendable {
        var fileName: String
        /// `upload`, `pull` or `demo`.
        var source: String
        /// The account's username, or the schedule.
        var by: String
    }

    /// Ingests `bytes` as `feed`'s data. A refused file is kept as a refused ingestion naming
    /// every problem, and nothing else is written.
    static func ingest(_ feed: Feed, bytes: [UInt8], arrival: Arrival, in ctx: ServiceContext, files: any FileStore,
                       reading work: SpreadsheetWork?) async throws -> Outcome {
        let store = try FeedStore(ctx.db)
        let sha = Digests.sha256Hex(Data(bytes))
        let format = FeedDataReader.format(fileName: arrival.fileName, bytes: bytes)
        let now = ctx.now
        if let earlier = try await store.accepted(feed: feed.key, sha256: sha) {
            let repeated = try await record(feed, status: .unchanged, arrival: arrival, sha256: sha, bytes: bytes.count, format: format.rawValue,
                                            problems: "Trùng nội dung với lần nhận số \(earlier.number); không có gì thay đổi.",
                                            storedName: earlier.stored_name, rows: earlier.row_count, values: earlier.value_count, in: ctx)
            return Outcome(ingestion: repeated, repeated: true)
        }
        let stored = try keep(bytes, in: files)
        // Read (off the event loop when a request brought it), then matched to units.
        let (data, readProblems) = try await read(bytes, format: format, fileName: arrival.fileName, feed: feed, work: work)
        let units = try await store.units()
        let (matched, unknown) = match(data.rows, units: units, by: feed.identification)
        // Every problem in the file's order: the reader's and the units' together, by where they are.
        let problems = (readProblems + unknown).sorted { Self.order($0.location).lexicographicallyPrecedes(Self.order($1.location)) }
        let file = arrival.fileName
        if !problems.isEmpty {
            let text = problems.map(\.description).joined(separator: "\n")
            let refused = try await record(feed, status: .refused, arrival: arrival, sha256: sha, bytes: bytes.count, format: format.rawValue,
                                           problems: text, storedName: stored, rows: data.rows.count, values: data.valueCount, in: ctx)
            return Outcome(ingestion: refused, repeated: false)
        }
        // The file is taken whole in one transaction: the ingestion and its values. The answers they
        // change follow in short transactions (`applyAnswers`), so that a month for thousands of units
        // does not hold the database's one writer while focal points save; until the last is written the
        // ingestion is `applying`, and a restart finishes it (`resume`).
        let (ingestion, changed) = try await ctx.db.retryingTransaction(bodyWritesFirst: true) { tx in
            let store = try FeedStore(tx)
            try await store.lock(feed: feed.key)
            let ingestion = try await store.insert(feed: feed.key, sha256: sha, bytes: bytes.count, fileName: file, format: format.rawValue,
                                                   source: arrival.source, by: arrival.by, at: now, status: .applying, problems: "",
                                                   storedName: stored, rows: data.rows.count, values: data.valueCount)
            let changed = try await writeValues(feed, matched, ingestion: ingestion.id, store: store)
            return (try await store.finish(ingestion.id, changed: changed.values, answersChanged: 0, status: .applying), changed)
        }
        let answers = try await applyAnswers(feed, units: changed.units, allUnits: units, ingestion: ingestion, at: now, on: ctx.db)
        let outcome = try await ctx.db.retryingWhenBusy { try await FeedStore(ctx.db).finish(ingestion.id, changed: changed.values, answersChanged: answers) }
        return Outcome(ingestion: outcome, repeated: false)
    }

    /// An ingestion that writes no value (the same bytes again, a refused file, a source that failed),
    /// numbered after the feed's last in a transaction of its own.
    static func record(_ feed: Feed, status: FeedStore.Status, arrival: Arrival, sha256: String = "", bytes: Int = 0, format: String = "",
                       problems: String, storedName: String? = nil, rows: Int = 0, values: Int = 0,
                       in ctx: ServiceContext) async throws -> FeedStore.Ingestion {
        let now = ctx.now
        return try await ctx.db.retryingTransaction { tx in
            let store = try FeedStore(tx)
            try await store.lock(feed: feed.key)
            return try await store.insert(feed: feed.key, sha256: sha256, bytes: bytes, fileName: arrival.fileName, format: format,
                                          source: arrival.source, by: arrival.by, at: now, status: status, problems: problems,
                                          storedName: storedName, rows: rows, values: values)
        }
    }

    /// The bytes kept in the file store, under a name of their own.
    static func keep(_ bytes: [UInt8], in files: any FileStore) throws -> String {
        let writer = try files.begin()
        do {
            try writer.append(Data(bytes))
            return try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
    }

    static func read(_ bytes: [UInt8], format: FeedDataFormat, fileName: String, feed: Feed,
                     work: SpreadsheetWork?) async throws -> (data: FeedData, problems: [TableProblem]) {
        guard let work else { return FeedDataReader.readCollecting(bytes, format: format, file: fileName, feed: feed) }
        return try await work.read(Data(bytes)) { data, limits in
            FeedDataReader.readCollecting([UInt8](data), format: format, file: fileName, feed: feed, limits: limits)
        }
    }

    /// A problem's place as numbers (line, column; a JSON row's index), for listing them in the file's order.
    static func order(_ location: String) -> [Int] {
        location.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    }

    /// Each row's unit: by official code (when the feed says so), else by name folded as results
    /// tables are; a row naming no unit, or a name two units share, is a problem at its place.
    static func match(_ rows: [FeedData.Row], units: [FeedStore.UnitRow], by identification: UnitIdentification)
        -> (matched: [(row: FeedData.Row, unit: FeedStore.UnitRow)], problems: [TableProblem]) {
        var byCode: [String: FeedStore.UnitRow] = [:]
        var byName: [String: [FeedStore.UnitRow]] = [:]
        for unit in units {
            byCode[unit.code] = unit
            byName[VietnameseText.searchKey(unit.name), default: []].append(unit)
        }
        var matched: [(FeedData.Row, FeedStore.UnitRow)] = []
        var problems: [TableProblem] = []
        for row in rows {
            if identification == .code, let unit = byCode[row.unit] { matched.append((row, unit)); continue }
            let named = byName[VietnameseText.searchKey(row.unit)] ?? []
            if named.count == 1 { matched.append((row, named[0])); continue }
            if named.count > 1 {
                problems.append(TableProblem(location: row.location, message: "cột \"unit\": có \(named.count) đơn vị tên \"\(row.unit.excerpt())\"; hãy ghi mã đơn vị"))
            } else {
                problems.append(TableProblem(location: row.location, message: "cột \"unit\": không có đơn vị \"\(row.unit.excerpt())\" trong danh mục (theo \(identification == .code ? "mã hoặc tên" : "tên"))"))
            }
        }
        return (matched, problems)
    }

    /// The values that differ from the current ones, written; the units whose values changed.
    static func writeValues(_ feed: Feed, _ rows: [(row: FeedData.Row, unit: FeedStore.UnitRow)], ingestion: UUID,
                            store: FeedStore) async throws -> (units: Set<UUID>, values: Int) {
        let unitIDs = Array(Set(rows.map(\.unit.id)))
        let months = Array(Set(rows.map(\.row.month.description)))
        var current: [String: FeedStore.Value] = [:]
        for v in try await store.current(feed: feed.key, units: unitIDs, months: months) {
            current["\(v.unit_id)|\(v.month)|\(v.field)"] = v
        }
        var superseded: [UUID] = []
        var fresh: [(unit: UUID, month: String, field: String, value: String)] = []
        var changedUnits: Set<UUID> = []
        for (row, unit) in rows {
            for (field, value) in row.values {
                let text = value.description
                let old = current["\(unit.id)|\(row.month)|\(field)"]
                if let old, let was = decimal(old.value), was == value { continue }
                if let old { superseded.append(old.id) }
                fresh.append((unit.id, row.month.description, field, text))
                changedUnits.insert(unit.id)
            }
        }
        try await store.write(feed: feed.key, ingestion: ingestion, superseding: superseded, values: fresh)
        return (changedUnits, fresh.count)
    }

    /// The answer rows a transaction of `applyAnswers` writes at most: about 20 ms of the database's
    /// one writer on SQLite, so a save waits for one of them at worst, and finds the lock free in the pause after it.
    static let rowsPerTransaction = 500
    static let pauseBetweenTransactions: UInt64 = 30_000_000

    /// For every open period whose framework binds `feed`, the bound criteria of the units whose
    /// values changed, written from all their current values, a few units to a transaction; the
    /// number of answers changed.
    static func applyAnswers(_ feed: Feed, units changed: Set<UUID>, allUnits: [FeedStore.UnitRow],
                             ingestion: FeedStore.Ingestion, at now: Date, on db: any Database) async throws -> Int {
        guard !changed.isEmpty else { return 0 }
        let unitsByID = Dictionary(uniqueKeysWithValues: allUnits.map { ($0.id, $0) })
        let store = try FeedStore(db)
        var written = 0, first = true
        for level in try await store.openLevels() {
            guard let version = try await FrameworkVersion.find(level.framework_version_id, on: db) else { continue }
            let compiled = try FrameworkCatalog.compiled(version)
            let bound = compiled.leaves.compactMap { position -> Bound? in
                let node = compiled.nodes[position]
                guard let binding = node.feed, binding.feed == feed.key, feed.field(binding.field) != nil else { return nil }
                return Bound(node: node, binding: binding)
            }
            guard !bound.isEmpty else { continue }
            let candidates = changed.filter { unitsByID[$0]?.level == level.level }
            guard !candidates.isEmpty else { continue }
            let participants = try await store.participants(period: level.period_id, units: Array(candidates)).map(\.unit_id).sorted()
            for chunk in participants.chunked(max(1, rowsPerTransaction / bound.count)) {
                // A pause between transactions (none before the first): a save waiting in SQLite's busy
                // handler retries every 25 ms or so and would otherwise find the next one holding the lock.
                if !first { try await Task.sleep(nanoseconds: pauseBetweenTransactions) }
                first = false
                written += try await db.retryingTransaction { tx in
                    try await writeAnswers(feed, units: Array(chunk), level: level, year: compiled.framework.year, bound: bound,
                                           unitsByID: unitsByID, ingestion: ingestion, at: now, on: tx)
                }
            }
        }
        return written
    }

    /// A criterion bound to the feed.
    struct Bound: Sendable {
        var node: FrameworkNode
        var binding: FeedBinding
    }

    /// One transaction of `applyAnswers`: the units' current values, submissions and answer rows
    /// read inside it, so a save or another ingestion between two transactions is seen; the rows that
    /// change written in batches of the one write path; the falls told.
    static func writeAnswers(_ feed: Feed, units: [UUID], level: FeedStore.BoundLevel, year: Int, bound: [Bound],
                             unitsByID: [UUID: FeedStore.UnitRow], ingestion: FeedStore.Ingestion, at now: Date, on db: any Database) async throws -> Int {
        let store = try FeedStore(db)
        // Every current month of the framework's year, per unit and field.
        var months: [UUID: [String: [FeedMonth: ScaledDecimal]]] = [:]
        for v in try await store.current(feed: feed.key, units: units, months: nil) {
            guard let month = FeedMonth(v.month), month.year == year, let value = decimal(v.value) else { continue }
            months[v.unit_id, default: [:]][v.field, default: [:]][month] = value
        }
        var submissions: [UUID: UUID] = [:]
        var created: [Submission] = []
        for p in try await store.participants(period: level.period_id, units: units) {
            if let s = p.submission_id { submissions[p.unit_id] = s; continue }
            guard months[p.unit_id] != nil else { continue }
            let submission = Submission(periodID: level.period_id, unitID: p.unit_id)
            submission.id = UUID()
            created.append(submission)
            submissions[p.unit_id] = submission.id!
        }
        if !created.isEmpty { try await created.create(on: db) }
        var answers: [String: FeedStore.AnswerState] = [:]
        for a in try await store.answers(submissions: Array(submissions.values), criteria: bound.map(\.node.code)) {
            answers["\(a.submission_id)|\(a.criterion)"] = a
        }
        var rows: [AnswerStore.AnswerRow] = []
        var drops: [Drop] = []
        for unitID in units {
            guard let submission = submissions[unitID], let unit = unitsByID[unitID], let unitMonths = months[unitID] else { continue }
            let tags = Set(UnitModel.tagList(unit.tags))
            for b in bound {
                let node = b.node
                guard node.applicability.applies(toUnitTagged: tags),
                      let fieldMonths = unitMonths[b.binding.field],
                      let (value, month) = b.binding.value(of: fieldMonths, year: year) else { continue }
                // A value the criterion's rule cannot take is an error, named, never skipped in silence. It cannot arise
                // today (values are read as non-negative numbers; frameworks bind only tiers and capped counts,
                // which take any); were it to, the values stay taken, the ingestion `applying`, and the message says so.
                let typed: TypedAnswer, points: Int64
                switch FeedBinding.scoredAnswer(value, rule: node.rule!, max: node.max) {
                case .success(let scored): (typed, points) = scored
                case .failure(let problem):
                    throw DomainError.invalid("Đơn vị \(unit.name), tiêu chí \(node.code) (trường \(b.binding.field), giá trị \(value.vietnamese)): \(problem.message); số liệu của tệp đã được giữ nhưng chưa ghi được vào các phiếu.")
                }
                let existing = answers["\(submission)|\(node.code)"]
                // The same value of the same month: nothing to write (the provenance names the month).
                if let existing, existing.value == typed.value, existing.explanation.contains("tháng \(month.label) ") { continue }
                // The explanation carries the provenance: the form, the exports and the change log show it with the value.
                let reason = "Tự động từ \(feed.name), tháng \(month.label) (\(b.binding.combine.label)), nhận lúc \(DateText.dateTime(ingestion.received_at)) (lần nhận số \(ingestion.number))"
                rows.append(.init(submission: submission, criterion: node.code, version: existing?.version ?? 0, value: typed.value,
                                  explanation: reason, points: points, reason: reason))
                if let existing, let was = decimal(existing.value), let drop = feed.alertDrop, was - value > drop {
                    drops.append(Drop(unit: unit, period: level.period_id, criterion: node.code, title: node.name, was: was, now: value, month: month))
                }
            }
        }
        let written = try await AnswerStore.writeAnswers(rows, by: source(feed), at: now, on: db)
        // Read in this transaction, so nobody else can have written a row since: a row missing is a fault, not a race lost.
        if let missed = rows.first(where: { !written.contains("\($0.submission)|\($0.criterion)") }) {
            throw DomainError.conflict("Tiêu chí \(missed.criterion) vừa được ghi bởi người khác; hãy nhận lại tệp.")
        }
        try await alert(feed, drops, ingestion: ingestion, on: db)
        return rows.count
    }

    /// Finishes the ingestions a stopped process left `applying`: their values were taken, and the
    /// answers they change are written again from the current values (rows already written are
    /// the same and left alone).
    static func resume(_ app: Application, logger: Logger) async {
        do {
            let store = try FeedStore(app.db)
            let unfinished = try await store.applying()
            guard !unfinished.isEmpty else { return }
            let units = try await store.units()
            for pending in unfinished {
                guard let feed = app.feeds.feed(pending.feed_key) else { continue }
                let changed = Set(try await store.units(of: pending.id))
                let answers = try await applyAnswers(feed, units: changed, allUnits: units, ingestion: pending, at: app.clock.now(), on: app.db)
                _ = try await app.db.retryingWhenBusy { try await FeedStore(app.db).finish(pending.id, changed: pending.changed, answersChanged: answers) }
                logger.info("feed \(feed.key): ingestion \(pending.number) finished after a restart, \(answers) answers")
            }
        } catch {
            logger.error("feeds: an unfinished ingestion could not be finished: \(String(reflecting: error))")
        }
    }

    /// An automated criterion that fell by more than the feed's `alert_drop`.
    struct Drop {
        var unit: FeedStore.UnitRow
        var period: UUID
        var criterion: String
        var title: String
        var was: ScaledDecimal
        var now: ScaledDecimal
        var month: FeedMonth
    }

    /// The unit's focal points and leaders and the administrators told of each drop, in the ingestion's
    /// transaction (the outbox): one message per unit, naming every criterion that fell.
    static func alert(_ feed: Feed, _ drops: [Drop], ingestion: FeedStore.Ingestion, on db: any Database) async throws {
        guard !drops.isEmpty, let limit = feed.alertDrop else { return }
        let admins = try await UserAccount.query(on: db).filter(\.$roleName == Role.administrator.rawValue).filter(\.$active == true).all()
        for (unitID, unitDrops) in Dictionary(grouping: drops, by: { $0.unit.id }).sorted(by: { $0.value[0].unit.code < $1.value[0].unit.code }) {
            guard let unit = try await UnitModel.find(unitID, on: db) else { continue }
            let people = try await Notifier.accounts(of: unit, role: .focalPoint, on: db) + Notifier.accounts(of: unit, role: .unitLeader, on: db)
            let lines = unitDrops.map { "- Tiêu chí \($0.criterion) \($0.title): từ \($0.was.vietnamese) xuống \($0.now.vietnamese) (số liệu đến tháng \($0.month.label))" }
            try await Notifier.notify(people + admins, kind: "feed_drop:\(feed.key):\(ingestion.number):\(unit.code)",
                                      subject: "\(unit.name): tiêu chí lấy tự động giảm quá \(limit.vietnamese)",
                                      body: "Số liệu từ \(feed.name) nhận lúc \(DateText.dateTime(ingestion.received_at)) (lần nhận số \(ingestion.number)) làm giảm:\n"
                                        + lines.joined(separator: "\n") + "\nMức báo động của nguồn này là giảm quá \(limit.vietnamese).",
                                      link: "/periods/\(unitDrops[0].period)/units/\(unit.code.urlPathEncoded)", on: db)
        }
    }

    /// A stored value (written by `ScaledDecimal.description`).
    static func decimal(_ text: String) -> ScaledDecimal? {
        if case .success(let n) = WrittenNumber.parse(text) { return n.value }
        return nil
    }

    /// The `updated_by` of an answer written by ingestion: the change log says where it came from.
    static func source(_ feed: Feed) -> String { "nguồn dữ liệu \(feed.key)" }
}
