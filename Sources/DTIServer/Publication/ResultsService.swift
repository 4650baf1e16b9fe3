import DTICore
import DTIFormats
import Fluent
import Vapor

/// Results of a period, computed by DTICore from the current final scores
/// (live, for evaluators and the council) or frozen at publication.
enum ResultsService {
    /// One level's computation.
    struct LevelResult {
        var level: String
        var frameworkVersion: FrameworkVersion
        var result: AssessmentResult
        var units: [UnitModel]
        var answers: [UUID: [String: Answer]]
    }

    static func compute(_ period: Period, on db: any Database) async throws -> [LevelResult] {
        var out: [LevelResult] = []
        let submissions = try await Submission.query(on: db).filter(\.$period.$id == period.id!).all()
        let submittedUnits = Dictionary(uniqueKeysWithValues: submissions.filter { $0.state == .submitted }.map { ($0.$unit.id, $0) })
        // Every submitted answer of the period in one query, grouped by submission.
        var answersBySubmission: [UUID: [Answer]] = [:]
        let submittedIDs = submittedUnits.values.compactMap(\.id)
        if !submittedIDs.isEmpty {
            for answer in try await Answer.query(on: db).filter(\.$submission.$id ~~ submittedIDs).all() {
                answersBySubmission[answer.$submission.id, default: []].append(answer)
            }
        }
        let participants = try await Participation.units(period, on: db)
        let silent = Set(participants.filter { $0.notReporting != nil }.compactMap(\.unit.id))
        for link in period.frameworks.sorted(by: { $0.level < $1.level }) {
            let fw = try FrameworkCatalog.compiled(link.frameworkVersion)
            let units = participants.map(\.unit).filter { $0.level == link.level }
            var answersByUnit: [UUID: [String: Answer]] = [:]
            var scores: [UnitScore] = []
            for unit in units {
                let assessed = unit.assessed
                // A unit marked as not reporting ranks as such, whatever it entered.
                guard let submission = submittedUnits[unit.id!], !silent.contains(unit.id!) else {
                    scores.append(OfficialScore.notReporting(assessed, in: fw))
                    continue
                }
                let answers = answersBySubmission[submission.id!] ?? []
                let byCode = Dictionary(uniqueKeysWithValues: answers.map { ($0.criterion, $0) })
                answersByUnit[unit.id!] = byCode
                scores.append(OfficialScore.unit(assessed, answers: byCode, in: fw))
            }
            out.append(LevelResult(level: link.level, frameworkVersion: link.frameworkVersion,
                                   result: Assessment.rank(fw, scores: scores), units: units, answers: answersByUnit))
        }
        return out
    }

    /// The ranking of every level as JSON, in the same shape as `dti rank --format json`.
    static func rankingJSON(_ levels: [LevelResult]) -> JSONValue {
        rankingJSON(levels.map { ($0.level, "\($0.frameworkVersion.key)@\($0.frameworkVersion.version)", $0.result.ranking) })
    }

    /// The same from each level's name, its framework's `key@version` and its ranking.
    static func rankingJSON(_ levels: [(level: String, framework: String, ranking: RankedResults)]) -> JSONValue {
        .array(levels.map { levelJSON(level: $0.level, framework: $0.framework, ranking: $0.ranking) })
    }

    /// One level of `rankingJSON`.
    static func levelJSON(level: String, framework: String, ranking: RankedResults) -> JSONValue {
        guard case .object(var pairs) = ResultsWriter(ranking).json() else { return .null }
        pairs.insert(("level", .string(level)), at: 0)
        pairs.insert(("framework", .string(framework)), at: 1)
        return .object(pairs)
    }

    /// Every unit's inputs and all its scores, the rankings and the framework
    /// versions: what the snapshot hashes.
    static func snapshotContent(_ period: Period, _ levels: [LevelResult]) -> String {
        let units: [JSONValue] = levels.flatMap { level in
            level.units.sorted { $0.code < $1.code }.map { unit in
                let answers = level.answers[unit.id!] ?? [:]
                return JSONValue.object([
                    ("code", .string(unit.code)), ("name", .string(unit.name)), ("level", .string(unit.level)), ("group", .string(unit.groupName)),
                    ("answers", .array(answers.keys.sorted().map { code in
                        let a = answers[code]!
                        func pts(_ v: Int64?) -> JSONValue { v.map { .number(ScaledDecimal(micros: $0)) } ?? .null }
                        return .object([
                            ("criterion", .string(code)), ("value", .string(a.value)), ("b", .string(a.b)), ("explanation", .string(a.explanation)),
                            ("self", pts(a.selfPoints)), ("evaluator", pts(a.evaluatorPoints)), ("evaluator_comment", .string(a.evaluatorComment)),
                            ("council", pts(a.councilPoints)), ("council_reason", .string(a.councilReason)), ("final", pts(a.finalPoints)),
                        ])
                    })),
                ])
            }
        }
        return JSONValue.object([
            ("period", .object([("id", .string(period.id!.uuidString)), ("year", .int(period.year)), ("title", .string(period.title))])),
            ("frameworks", .array(levels.map { .object([("level", .string($0.level)), ("key", .string($0.frameworkVersion.key)),
                                                         ("version", .int($0.frameworkVersion.version)), ("sha256", .string($0.frameworkVersion.sha256))]) })),
            ("rankings", rankingJSON(levels)),
            ("units", .array(units)),
        ]).serialized()
    }

    struct Change: Content { var unit: String; var criterion: String; var points: String }

    /// A correction after publication (đính chính): the changed scores are
    /// written with the reason, and a new version of the published record is
    /// stored beside the first, which never changes. The portal shows the
    /// newest with both versions linked.
    static func correct(_ period: Period, changes: [Change], reason: String, in ctx: ServiceContext) async throws -> PublishedRecordRow {
        let user = try ctx.signedIn()
        guard let latest = try await ResultArchive.recordRow(period, on: ctx.db), !period.resultsOnly else {
            throw DomainError.conflict("Chỉ đính chính được kết quả đã công bố trên OpenDTI.")
        }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [String] = []
        if reason.isEmpty || reason.count > 4000 { problems.append("Cần ghi lý do đính chính (tối đa 4000 ký tự).") }
        if changes.isEmpty { problems.append("Cần ít nhất một điểm được đính chính.") }
        var planned: [(SelfAssessment, String, ScaledDecimal)] = []
        let silent = Set(try await Participation.units(period, on: ctx.db).filter { $0.notReporting != nil }.compactMap(\.unit.id))
        for (i, change) in changes.enumerated() {
            let place = "Dòng \(i + 1)"
            let a: SelfAssessment
            do { a = try await SelfAssessment.load(ctx, periodID: period.id, unitCode: change.unit) } catch let e as DomainError {
                problems.append("\(place): \(e.message)"); continue
            }
            if silent.contains(a.unit.id!) { problems.append("\(place): đơn vị \(a.unit.name) được đánh dấu không báo cáo; đính chính điểm không thay đổi kết quả."); continue }
            if a.submission?.state != .submitted { problems.append("\(place): đơn vị \(a.unit.name) không có bản tự đánh giá đã gửi trong kỳ này."); continue }
            guard let leaf = a.framework.leafByCode[change.criterion] else { problems.append("\(place): không có tiêu chí \"\(change.criterion.excerpt())\"."); continue }
            let node = a.framework.nodes[a.framework.leaves[leaf]]
            switch WrittenNumber.parseVietnamese(change.points) {
            case .success(let n):
                if n.value > node.max { problems.append("\(place): điểm \(FrameworkCatalog.text(n.value)) vượt điểm tối đa \(FrameworkCatalog.text(node.max)) của tiêu chí \(change.criterion).") }
                else if a.answers[change.criterion]?.finalPoints == n.value.micros { problems.append("\(place): tiêu chí \(change.criterion) đã có đúng \(FrameworkCatalog.text(n.value)) điểm; không có gì để đính chính.") }
                else { planned.append((a, change.criterion, n.value)) }
            case .failure(let e): problems.append("\(place): điểm \(e.message(for: change.points))")
            }
        }
        guard problems.isEmpty else { throw DomainError.invalid(problems.joined(separator: "\n")) }
        let plan = planned
        let row = try await ctx.db.retryingTransaction { tx -> PublishedRecordRow in
            for (a, criterion, points) in plan {
                try await ComplaintService.setOfficialScore(a, criterion: criterion, points: points, note: "Đính chính: \(reason)", by: user, on: tx)
            }
            let levels = try await compute(period, on: tx)
            let inputs = SHA256.hash(data: Data(snapshotContent(period, levels).utf8)).hex
            let row = try await ResultArchive.storeRecord(period, levels: try ResultArchive.publishedLevels(levels, inputsSHA256: inputs).map(\.record),
                                                          at: ctx.now, version: latest.version + 1, reason: reason, on: tx)
            try await AuditLog.record(ctx, actor: user, action: "record_corrected", target: "\(period.year)",
                                      detail: "phiên bản \(latest.version + 1): " + plan.map { "\($0.0.unit.code) \($0.1) → \(PointsText.points($0.2.micros))" }.joined(separator: ", ")
                                          + ". Lý do: \(reason)", on: tx)
            return row
        }
        // This process's kept pages of the period go now; other processes' with `PublishedRecordWatch`.
        ctx.publishedPages?.forget(period: period.id!)
        return row
    }

    /// A refused publication, with every condition and whether it holds.
    struct NotReady: Error {
        var readiness: PublicationReadiness

        /// The API's answer: 409, the reason as every refusal has it, and every condition.
        func response(for req: Request) async throws -> Response {
            struct Refusal: Content { var error: Bool; var reason: String; var checks: [PublicationReadiness.Check] }
            return try await Refusal(error: true, reason: readiness.refusal, checks: readiness.checks).encodeResponse(status: .conflict, for: req)
        }
    }

    /// Exactly what publishing now would store, computed without writing.
    static func preview(_ period: Period, on db: any Database) async throws -> [ResultArchive.Loaded] {
        try ResultArchive.publishedLevels(try await compute(period, on: db), inputsSHA256: "").map { ResultArchive.Loaded($0.record) }
    }

    /// Freezes the results: every unit's inputs and all its scores, the
    /// rankings, the framework versions, and the hash of it all.
    static func publish(_ period: Period, in ctx: ServiceContext) async throws -> PublishedSnapshot {
        let user = try ctx.signedIn()
        if try await PublishedSnapshot.query(on: ctx.db).filter(\.$period.$id == period.id!).first() != nil {
            throw DomainError.conflict("Kỳ đánh giá đã được công bố; kết quả công bố không thể thay đổi.")
        }
        if period.resultsOnly {
            throw DomainError.conflict("Kỳ này chỉ gồm kết quả đã công bố trước đây; không có gì để công bố thêm.")
        }
        let readiness = try await PublicationReadiness.evaluate(period, today: ctx.today, on: ctx.db)
        guard readiness.ready else { throw NotReady(readiness: readiness) }
        let levels = try await compute(period, on: ctx.db)
        let content = snapshotContent(period, levels)
        let snapshot = PublishedSnapshot(periodID: period.id!, publishedBy: user.username,
                                         sha256: SHA256.hash(data: Data(content.utf8)).hex, content: content)
        try await ctx.db.retryingTransaction { tx in
            try await snapshot.create(on: tx)
            try await ResultArchive.storePublished(levels, period: period, inputsSHA256: snapshot.sha256, at: ctx.now, on: tx)
            period.locked = true
            try await period.save(on: tx)
            try await AuditLog.record(ctx, actor: user, action: "period_published", target: "\(period.year)", detail: snapshot.sha256, on: tx)
        }
        await ResultArchive.warm(period, on: ctx.db)
        return snapshot
    }
}
