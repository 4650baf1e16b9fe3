import DTICore
import DTIFormats
import Fluent
import Vapor

/// Published results as tables (`ResultSet`): written when a period is
/// published, or imported from a province's past decisions; read back through
/// the same code as `dti rank`, so every page, export and analysis shows the
/// numbers `dti rank` prints.
enum ResultArchive {
    /// One level of a period's published record, as the portal reads it.
    struct Loaded {
        var level: String
        var source: String
        /// The SHA-256 of the level's inputs (the imported table, or the published answers).
        var inputsSHA256: String
        var manifest: ResultsManifest.Table
        var table: ResultTable
        var results: RankedResults
        /// Table name → unit code.
        var unitCodes: [String: String]
        /// The record's level itself, for what reads more of it than the fields above (the
        /// robustness section reads the weights and each unit's maxima).
        var record: PublishedRecord.Level

        init(_ level: PublishedRecord.Level) {
            self.level = level.level
            source = level.source
            inputsSHA256 = level.inputsSHA256
            manifest = level.options
            table = level.table
            results = level.results
            unitCodes = level.unitCodes
            record = level
        }

        func code(of name: String) -> String? { unitCodes[name] }
        func name(of code: String) -> String? { unitCodes.first { $0.value == code }?.key }
        func unit(_ code: String) -> RankedUnit? { name(of: code).flatMap { n in results.units.first { $0.row.unit == n } } }
    }

    /// Periods with published results, newest first. Nothing else is public.
    static func publishedPeriods(on db: any Database) async throws -> [Period] {
        let ids = Set(try await ResultSet.query(on: db).all().map(\.$period.id))
        guard !ids.isEmpty else { return [] }
        return try await Period.query(on: db).filter(\.$id ~~ Array(ids)).sort(\.$year, .descending).sort(\.$title).all()
    }

    /// The period's published record as stored: its newest version, or the
    /// version asked for (a correction never changes an earlier one).
    static func recordRow(_ period: Period, version: Int? = nil, on db: any Database) async throws -> PublishedRecordRow? {
        var query = PublishedRecordRow.query(on: db).filter(\.$period.$id == period.id!)
        if let version { query = query.filter(\.$version == version) }
        return try await query.sort(\.$version, .descending).first()
    }

    /// The period's record (the latest, or `version`) without its content: which version, and
    /// its hash — all a kept record needs to be found (`Records`), without reading megabytes.
    static func recordHead(_ period: Period, version: Int? = nil, on db: any Database) async throws -> PublishedRecordRow? {
        var query = PublishedRecordRow.query(on: db).filter(\.$period.$id == period.id!)
        if let version { query = query.filter(\.$version == version) }
        return try await query.field(\.$id).field(\.$version).field(\.$sha256).field(\.$reason).field(\.$createdAt).field(\.$period.$id)
            .sort(\.$version, .descending).first()
    }

    /// Every version of the period's record, oldest first, without their content.
    static func versions(_ period: Period, on db: any Database) async throws -> [PublishedRecordRow] {
        try await PublishedRecordRow.query(on: db).filter(\.$period.$id == period.id!)
            .field(\.$id).field(\.$version).field(\.$sha256).field(\.$reason).field(\.$createdAt).field(\.$period.$id)
            .sort(\.$version).all()
    }

    /// The levels of the period's published record, typed (its newest version
    /// unless another is asked for). A period published before records
    /// existed is read from its tables, through the same code.
    static func load(_ period: Period, version: Int? = nil, on db: any Database) async throws -> [Loaded] {
        if let head = try await recordHead(period, version: version, on: db) {
            return try await Records.shared.record(head, on: db).levels.map(Loaded.init)
        }
        return try await ResultSet.query(on: db).filter(\.$period.$id == period.id!).sort(\.$position).all().map { try Loaded(levelFromTable($0)) }
    }

    /// Reads and parses a record just stored (after its transaction), so that its first
    /// reader does not wait for the parse. A failure here only leaves that to the first reader.
    static func warm(_ period: Period, on db: any Database) async {
        _ = try? await load(period, on: db)
    }

    /// Records never change once written: each is parsed once, keyed by its id and hash.
    final class Records: @unchecked Sendable {
        static let shared = Records()
        private let lock = NSLock()
        // Guarded by `lock`.
        private var entries: [String: PublishedRecord] = [:]

        /// The record of `head` (a row read without its content): kept, or read and parsed now.
        func record(_ head: PublishedRecordRow, on db: any Database) async throws -> PublishedRecord {
            if let hit = lock.withLock({ entries[Self.key(head)] }) { return hit }
            guard let id = head.id, let row = try await PublishedRecordRow.find(id, on: db) else {
                throw Abort(.notFound, reason: "Không còn bản ghi công bố này.")
            }
            return try record(row)
        }

        static func key(_ row: PublishedRecordRow) -> String { "\(row.id?.uuidString ?? "")#\(row.sha256)" }

        func record(_ row: PublishedRecordRow) throws -> PublishedRecord {
            let key = Self.key(row)
            if let hit = lock.withLock({ entries[key] }) { return hit }
            let record = try PublishedRecord.parse(Data(row.content.utf8))
            lock.withLock { entries[key] = record }
            return record
        }
    }

    /// A stored table ranked by `dti rank`'s code: a level of a record.
    static func levelFromTable(_ set: ResultSet) throws -> PublishedRecord.Level {
        let manifest = try JSONDecoder().decode(ResultsManifest.Table.self, from: Data(set.manifest.utf8))
        let table = try ResultTableReader.read(try CSVReader.parse([UInt8](set.content.utf8), file: set.fileName))
        let codes = (try? JSONDecoder().decode([String: String].self, from: Data(set.unitCodes.utf8))) ?? [:]
        return try PublishedRecord.Level.ranking(table, options: manifest, level: set.level, source: set.source, framework: nil,
                                                 inputsSHA256: set.sha256, unitCodes: codes)
    }

    /// Serialises the record once, hashes it and stores it.
    @discardableResult
    static func storeRecord(_ period: Period, levels: [PublishedRecord.Level], at now: Date, version: Int = 1, reason: String = "",
                            on db: any Database) async throws -> PublishedRecordRow {
        let record = PublishedRecord(periodID: period.id!.uuidString, year: period.year, title: period.title,
                                     publishedAt: ISO8601DateFormatter().string(from: now), levels: levels)
        let content = record.serialized()
        let row = PublishedRecordRow(periodID: period.id!, version: version, sha256: SHA256.hash(data: Data(content.utf8)).hex, content: content, reason: reason)
        try await row.create(on: db)
        return row
    }

    /// The written analysis of a period's results.
    static func analysis(_ sets: [Loaded], year: Int) -> ResultsAnalysis {
        ResultsAnalysis.write(sets.map { .init(table: $0.table, manifest: $0.manifest, results: $0.results, stated: $0.manifest.stated) }, year: year)
    }

    // MARK: Legacy import

    /// Imports a manifest and its tables as a results-only period: every
    /// table read and checked first, every problem listed with its place;
    /// then the period, its tables and any unit the directory lacks, in one
    /// transaction.
    static func importManifest(_ manifest: ResultsManifest, files: [String: String], at now: Date, on db: any Database,
                               audit: (@Sendable (any Database) async throws -> Void)? = nil) async throws -> Period {
        var problems: [String] = []
        var parsed: [(entry: ResultsManifest.Table, text: String, table: ResultTable)] = []
        for entry in manifest.tables {
            guard let text = files[entry.file] else { problems.append("Thiếu tệp \(entry.file) mà bảng kê khai."); continue }
            do {
                let table = try ResultTableReader.read(try CSVReader.parse([UInt8](text.utf8), file: entry.file))
                switch entry.settings() {
                case .success(let settings):
                    problems += table.problems(under: settings).map(\.description)
                    parsed.append((entry, text, table))
                case .failure(let list): problems += list.problems.map(\.description)
                }
            } catch let list as ProblemList {
                problems += list.problems.map(\.description)
            } catch let problem as TableProblem {
                problems.append(problem.description)
            }
        }
        if try await Period.query(on: db).filter(\.$year == manifest.year).filter(\.$title == manifest.title).first() != nil {
            problems.append("Đã có kỳ \"\(manifest.title)\" năm \(manifest.year).")
        }
        if !problems.isEmpty { throw Problems(messages: problems) }
        let tables = parsed
        return try await db.retryingTransaction { tx in
            var directory = try await UnitModel.query(on: tx).all()
            func key(_ name: String) -> String {
                var k = VietnameseText.searchKey(name)
                if k.hasSuffix(" tinh") { k.removeLast(5) }
                return k
            }
            var province: UnitModel?
            if let code = manifest.provinceUnit {
                province = directory.first { $0.code == code }
            }
            // Names are matched within the province only (its units and theirs: the communes of a former
            // district): Kon Tum's "Sở Công Thương" is not Đắk Lắk's; and only among units that existed in the
            // table's year, so a 2024 "Phường Tân An" is the pre-reform ward, not the 2025 one.
            let inProvince = province.map { p in
                let children = Set(directory.filter { $0.$parent.id == p.id }.map(\.id))
                return directory.filter { $0.$parent.id == p.id || children.contains($0.$parent.id) }
            } ?? (manifest.provinceUnit == nil ? directory : [])
            let formed = inProvince.filter { ($0.validFrom ?? "") <= "\(manifest.year)-12-31" }
            let candidates = formed.filter { $0.exists(in: manifest.year) }
            // Units of the year first; then any unit formed by then (a unit known only from an earlier
            // table ends with that table's year, and the next year's table must still find it).
            var byKey = Dictionary(formed.map { (key($0.name), $0.code) }, uniquingKeysWith: { first, _ in first })
            byKey.merge(Dictionary(candidates.map { (key($0.name), $0.code) }, uniquingKeysWith: { first, _ in first })) { _, ofTheYear in ofTheYear }
            // A pre-reform commune is stored as "Xã Ea Yông (Huyện Krông Pắc)"; a table names it "Xã Ea Yông":
            // that name also finds it when exactly one unit of the year bears it.
            let bare = Dictionary(grouping: candidates.filter { $0.name.hasSuffix(")") }) { unit -> String in
                key(unit.name[..<(unit.name.lastIndex(of: "(") ?? unit.name.endIndex)].trimmingCharacters(in: .whitespaces))
            }
            for (name, units) in bare where units.count == 1 && byKey[name] == nil { byKey[name] = units[0].code }
            if let code = manifest.provinceUnit {
                if province == nil {
                    let unit = UnitModel(code: code, name: "UBND tỉnh \(manifest.province ?? code)", level: "province", groupName: "Tỉnh")
                    unit.searchKey = VietnameseText.searchKey(unit.name)
                    try await unit.create(on: tx)
                    directory.append(unit)
                    province = unit
                }
            }
            // Codes for new units from their initials: a set of taken codes and the next
            // suffix per stem, so each new unit costs the same however many share a stem.
            var taken = Set(directory.map(\.code))
            var nextSuffix: [String: Int] = [:]
            func freshCode(_ stem: String) -> String {
                if !taken.contains(stem) { taken.insert(stem); return stem }
                var n = nextSuffix[stem] ?? 2
                while taken.contains("\(stem)\(n)") { n += 1 }
                nextSuffix[stem] = n + 1
                taken.insert("\(stem)\(n)")
                return "\(stem)\(n)"
            }
            let period = Period(year: manifest.year, title: manifest.title)
            period.resultsOnly = true
            period.locked = true
            try await period.create(on: tx)
            var levels: [PublishedRecord.Level] = []
            for (position, item) in tables.enumerated() {
                var codes: [String: String] = [:]
                var created: [UnitModel] = []
                for row in item.table.rows {
                    if let code = manifest.unitCodes?[row.unit] ?? byKey[key(row.unit)] { codes[row.unit] = code; continue }
                    // A unit the directory lacks: created under the province, at the table's level.
                    let code = freshCode((manifest.codePrefix.map { $0 + "-" } ?? "") + key(row.unit).split(separator: " ").map { String($0.prefix(1)).uppercased() }.joined())
                    let unit = UnitModel(code: code, name: VietnameseText.normalized(row.unit), level: item.entry.level(ofGroup: row.group), groupName: row.group,
                                         parentID: province?.id)
                    unit.searchKey = VietnameseText.searchKey(unit.name)
                    // Known from this past table only: not a unit of later periods unless the directory says so.
                    unit.validUntil = "\(manifest.year + 1)-01-01"
                    created.append(unit)
                    byKey[key(row.unit)] = code
                    codes[row.unit] = code
                }
                // In batches of 500 rows per INSERT rather than one statement per unit.
                for start in stride(from: 0, to: created.count, by: 500) {
                    try await Array(created[start..<min(start + 500, created.count)]).create(on: tx)
                }
                directory += created
                var entry = item.entry
                entry.province = manifest.province
                let set = try await store(period: period, position: position, entry: entry, fileName: item.entry.file, content: item.text,
                                          unitCodes: codes, source: manifest.source, on: tx)
                // The table parsed and checked above, ranked by `dti rank`'s code: not read back from the stored text.
                levels.append(try PublishedRecord.Level.ranking(item.table, options: entry, level: set.level, source: set.source, framework: nil,
                                                                inputsSHA256: set.sha256, unitCodes: codes))
            }
            try await storeRecord(period, levels: levels, at: now, on: tx)
            try await audit?(tx)
            return period
        }
    }

    @discardableResult
    static func store(period: Period, position: Int, entry: ResultsManifest.Table, fileName: String, content: String,
                      unitCodes: [String: String], source: String, on db: any Database) async throws -> ResultSet {
        let set = ResultSet()
        set.$period.id = period.id!
        set.position = position
        set.level = entry.level
        set.fileName = fileName
        set.content = content
        set.manifest = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        set.unitCodes = String(decoding: try JSONEncoder().encode(unitCodes), as: UTF8.self)
        set.source = source
        set.sha256 = SHA256.hash(data: Data(content.utf8)).hex
        try await set.create(on: db)
        return set
    }

    // MARK: Publication of a workflow period

    /// A level of a publication as it will be stored: the record's level and
    /// the results table kept beside it.
    struct PublishedLevel {
        var record: PublishedRecord.Level
        var entry: ResultsManifest.Table
        var csv: String
    }

    /// What publishing `levels` stores, computed without writing: the
    /// publication preview shows exactly this.
    static func publishedLevels(_ levels: [ResultsService.LevelResult], inputsSHA256: String) throws -> [PublishedLevel] {
        var out: [PublishedLevel] = []
        for level in levels {
            let fw = try FrameworkCatalog.framework(level.frameworkVersion)
            let compiled = try FrameworkCatalog.compiled(level.frameworkVersion)
            let ranking = level.result.ranking
            func number(_ n: WrittenNumber?) -> String { n.map { $0.value.formatted(decimals: $0.decimals, separator: ".") } ?? "" }
            var lines = [(["group", "unit"] + ranking.columnNames + ["points", "max_points"]).map(ResultsWriter.csvField).joined(separator: ",")]
            for unit in ranking.units {
                let row = unit.row
                let cells = [row.group, row.unit] + row.columns.map(number) + [number(row.points), row.maxPoints.map { $0.formatted(decimals: $0.significantDecimals, separator: ".") } ?? ""]
                lines.append(cells.map(ResultsWriter.csvField).joined(separator: ","))
            }
            let percentOf: (ScaledDecimal, ScaledDecimal) -> String = { edge, max in
                ScaledDecimal.ratio(edge, ScaledDecimal(100), times: 1, decimals: 6).multiplied(by: max, dividedBy: ScaledDecimal(1)).formatted(decimals: 6, separator: ".", trimZeros: true)
            }
            var columnMax: [String: String] = [:], edges: [String: [String]] = [:]
            for i in compiled.mainIndices {
                let node = compiled.nodes[i]
                guard ranking.columnNames.contains(node.name) else { continue }
                columnMax[node.name] = node.max.formatted(decimals: node.max.significantDecimals, separator: ".")
                edges[node.name] = fw.distributionEdges.map { percentOf($0, node.max) }
            }
            let indexScale: ScaledDecimal = fw.method == .percent ? ScaledDecimal(100) : ScaledDecimal(1)
            if fw.method != .raw { edges["points"] = fw.distributionEdges.map { percentOf($0, indexScale) } }
            let entry = ResultsManifest.Table(
                file: "\(level.level).csv", level: level.level, method: fw.method.rawValue, max: nil, decimals: fw.display.decimals,
                separator: String(fw.display.separator), trimZeros: fw.display.trimZeros,
                bands: fw.bands.isEmpty ? nil : fw.bands.map { "\($0.name):\($0.minPercent.formatted(decimals: $0.minPercent.significantDecimals, separator: "."))" }.joined(separator: ","),
                averageOver: nil, top: nil, analysisEdges: edges, columnMax: columnMax)
            let codes = Dictionary(level.units.map { ($0.name, $0.code) }, uniquingKeysWith: { first, _ in first })
            let source = "Công bố trên OpenDTI (\(level.frameworkVersion.key)@\(level.frameworkVersion.version))"
            let columnNodes = compiled.pillars.isEmpty ? compiled.mainIndices : compiled.pillars
            var unitColumnMax: [String: [ScaledDecimal]] = [:]
            for score in level.result.scores where score.reported {
                unitColumnMax[score.unit.name] = columnNodes.map { score.applicableMax[$0] }
            }
            out.append(PublishedLevel(record: PublishedRecord.Level(
                level: level.level, source: source,
                framework: .init(key: level.frameworkVersion.key, version: level.frameworkVersion.version, sha256: level.frameworkVersion.sha256),
                inputsSHA256: inputsSHA256, options: entry,
                columnWeights: fw.method == .weighted ? ScoringEngine.mainIndexWeights(compiled) : nil,
                unitCodes: codes, results: ranking, columnMax: fw.method == .weighted ? unitColumnMax : [:]),
                entry: entry, csv: lines.joined(separator: "\n") + "\n"))
        }
        return out
    }

    /// The results of each level as a `dti rank` table with the framework's
    /// method, display and bands, and its main indices as columns; and the
    /// period's record, from the ranking DTICore computed from the final
    /// scores (the weighted index included).
    static func storePublished(_ levels: [ResultsService.LevelResult], period: Period, inputsSHA256: String, at now: Date, on db: any Database) async throws {
        let published = try publishedLevels(levels, inputsSHA256: inputsSHA256)
        for (position, level) in published.enumerated() {
            try await store(period: period, position: position, entry: level.entry, fileName: "\(level.record.level).csv",
                            content: level.csv, unitCodes: level.record.unitCodes, source: level.record.source, on: db)
        }
        try await storeRecord(period, levels: published.map(\.record), at: now, on: db)
    }
}
