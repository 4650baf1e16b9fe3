import DTICore
import DTIFormats
import Fluent
import Foundation
import Vapor

/// Loads the demo province into an empty database: Đắk Lắk with its 18 sở
/// and 15 huyện of 2023 (decision of 2024, seed 000), every shipped
/// framework, the published results of Đắk Lắk 2021 and 2023 and Kon Tum
/// 2022 as results-only periods, a 2025 period in evaluation; then the
/// province as it is since 1 July 2025 ("Thiết lập tỉnh" from the
/// administrative directory: its sở and 102 xã, phường, the old huyện
/// linked to the communes they went to, so that 2021 and 2023 reach the new
/// communes' pages) and a 2026 period in self-assessment for the sở and the
/// communes; and one account per role.
public enum DemoSeeder {
    /// The demo password of every demo account (shown at start; demo only).
    public static let password = "OpenDTI@2026"

    public struct Login: Sendable {
        public var username: String
        public var role: String
        public var unit: String?
    }

    /// Seeds when the database has no account yet; returns the logins, or
    /// an empty list when there was something already.
    public static func seedIfEmpty(_ app: Application, frameworksDirectory: String?, directory: String? = nil) async throws -> [Login] {
        let db = app.db
        guard try await UserAccount.query(on: db).count() == 0 else { return [] }
        guard let url = Bundle.module.url(forResource: "daklak-2023-units", withExtension: "csv", subdirectory: "Resources/Demo"),
              let csv = try? String(contentsOf: url, encoding: .utf8) else {
            throw Abort(.internalServerError, reason: "Thiếu tệp dữ liệu mẫu daklak-2023-units.csv.")
        }
        let (inputs, lines, problems) = UnitDirectory.parseCSV(csv, file: "daklak-2023-units.csv")
        guard problems.isEmpty else { throw Abort(.internalServerError, reason: problems.joined(separator: "\n")) }
        let (units, createProblems) = try await UnitDirectory.create(inputs, lines: lines, on: db)
        guard createProblems.isEmpty else { throw Abort(.internalServerError, reason: createProblems.joined(separator: "\n")) }

        // Frameworks: every file shipped under frameworks/.
        var byKey: [String: FrameworkVersion] = [:]
        for file in try FrameworkFiles.list(frameworksDirectory ?? FrameworkFiles.defaultDirectory()) {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            switch try await FrameworkCatalog.importYAML(text, file: file, feeds: app.feeds.feeds, on: db) {
            case .imported(let v), .alreadyPresent(let v): byKey[v.key] = v
            }
        }

        // Past decisions as results-only periods: Đắk Lắk 2021 and 2023, Kon Tum 2022.
        for name in ["daklak-2021", "kontum-2022", "daklak-2023"] { try await importResults(name, on: db) }

        try await seedPeriodInEvaluation(db, units: units, byKey: byKey)
        let commune = try await seedReorganisedProvince(app, directory: directory ?? AdminDirectory.defaultDirectory(), byKey: byKey)
        try await ingestDemoFeeds(app)

        // One account per role.
        let agriculture = units.first { $0.code == "SNNPTNT" }?.id
        let accounts: [(String, String, Role, UUID?)] = [
            ("quantri", "Quản trị hệ thống", .administrator, nil),
            ("thamdinh", "Chuyên viên thẩm định Sở KH&CN", .evaluator, nil),
            ("hoidong", "Thành viên Hội đồng thẩm định", .councilMember, nil),
            ("daumoi.snn", "Cán bộ đầu mối Sở Nông nghiệp và PTNT", .focalPoint, agriculture),
            ("lanhdao.snn", "Lãnh đạo Sở Nông nghiệp và PTNT", .unitLeader, agriculture),
            ("xem", "Lãnh đạo tỉnh (xem)", .viewer, nil),
            ("daumoi.xa", "Cán bộ đầu mối \(commune.name)", .focalPoint, commune.id),
            ("lanhdao.xa", "Lãnh đạo \(commune.name)", .unitLeader, commune.id),
        ]
        let hash = try await app.passwordWork.hash(password)
        var logins: [Login] = []
        for (username, name, role, unit) in accounts {
            let account = UserAccount(username: username, displayName: name, passwordHash: hash, role: role, unitID: unit)
            account.email = "\(username)@dti.daklak.example"
            try await account.create(on: db)
            logins.append(Login(username: username, role: role.label, unit: unit == nil ? nil : unit == commune.id ? commune.name : "Sở Nông nghiệp và Phát triển nông thôn"))
        }
        return logins
    }
}

extension DemoSeeder {
    /// Imports a shipped results manifest (Resources/Demo/results) and its tables.
    static func importResults(_ name: String, on db: any Database) async throws {
        guard let url = Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "Resources/Demo/results") else {
            throw Abort(.internalServerError, reason: "Thiếu tệp kết quả mẫu \(name).yaml.")
        }
        let manifest = try ResultsManifest.load(yaml: String(contentsOf: url, encoding: .utf8), file: "\(name).yaml")
        var files: [String: String] = [:]
        for table in manifest.tables {
            files[table.file] = try String(contentsOf: url.deletingLastPathComponent().appendingPathComponent(table.file), encoding: .utf8)
        }
        do { _ = try await ResultArchive.importManifest(manifest, files: files, at: Date(), on: db) }
        catch let problems as Problems { throw Abort(.internalServerError, reason: problems.messages.joined(separator: "\n")) }
    }

    /// A period whose evaluation phase is open today, every unit's
    /// self-assessment submitted. The answers are illustrative: each unit's
    /// index-level scores are spread so that its total equals its published
    /// 2023 result, so the live ranking shows the 2023 table (ADR 0008).
    static func seedPeriodInEvaluation(_ db: any Database, units: [UnitModel], byKey: [String: FrameworkVersion]) async throws {
        guard let url = Bundle.module.url(forResource: "daklak-2023-results", withExtension: "csv", subdirectory: "Resources/Demo"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        var results: [String: ScaledDecimal] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let parts = line.split(separator: ",", maxSplits: 1).map(String.init)
            guard parts.count == 2, case .success(let n) = WrittenNumber.parse(parts[1].replacingOccurrences(of: "\"", with: "")) else { continue }
            results[parts[0]] = n.value
        }
        let period = try await createPeriod(db, year: 2025, title: "Đánh giá Chỉ số chuyển đổi số năm 2025 (dữ liệu minh họa, đang thẩm định)", now: Date(),
                                            phases: [(.selfAssessment, -60, -15), (.evaluation, -14, 14), (.corrections, -14, 21),
                                                     (.councilAppraisal, 22, 35), (.consolidation, 36, 50), (.publication, 51, 60)])
        var frameworks: [String: CompiledFramework] = [:]
        for (level, key) in [("department", "daklak-2023-department"), ("district", "daklak-2023-district")] {
            guard let v = byKey[key] else { continue }
            try await PeriodFramework(periodID: period.id!, level: level, frameworkVersionID: v.id!).create(on: db)
            frameworks[level] = try FrameworkCatalog.compiled(v)
        }
        for unit in units {
            guard let fw = frameworks[unit.level], let index = results[unit.code] else { continue }
            let submission = Submission(periodID: period.id!, unitID: unit.id!)
            submission.status = Submission.Status.submitted.rawValue
            submission.submittedAt = Date()
            try await submission.create(on: db)
            let tags = Set(unit.tagList)
            let leaves = fw.leaves.filter { fw.nodes[$0].applicability.applies(toUnitTagged: tags) }
            let applicableMax = leaves.reduce(ScaledDecimal.zero) { $0 + fw.nodes[$1].max }
            let target = index.multiplied(by: applicableMax, dividedBy: ScaledDecimal(1))
            var spent = ScaledDecimal.zero
            for (n, leaf) in leaves.enumerated() {
                let node = fw.nodes[leaf]
                let points = n == leaves.count - 1 ? target - spent
                    : index.multiplied(by: node.max, dividedBy: ScaledDecimal(1)).rounded(decimals: 2)
                spent += points
                let answer = Answer(unsaved: node.code, value: points.formatted(decimals: points.significantDecimals, separator: ","), b: "",
                                    explanation: "Dữ liệu minh họa", selfPoints: points.micros, by: "demo", submissionID: submission.id!, version: 1)
                try await answer.create(on: db)
            }
        }
    }
}

extension DemoSeeder {
    /// A demo period whose phases lie `phases` days (start, end) from `now`, in Việt Nam's calendar.
    static func createPeriod(_ db: any Database, year: Int, title: String, now: Date, phases: [(Phase, Int, Int)]) async throws -> Period {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        func day(_ offset: Int) -> String { DateText.todayISO(calendar.date(byAdding: .day, value: offset, to: now)!) }
        let period = Period(year: year, title: title)
        try await period.create(on: db)
        for (phase, from, to) in phases {
            try await PeriodPhase(periodID: period.id!, phase: phase, startsOn: day(from), endsOn: day(to)).create(on: db)
        }
        return period
    }

    /// The demo commune with accounts: Phường Buôn Ma Thuột.
    static let demoCommune = "24133"

    /// Đắk Lắk since 1 July 2025, set up as an administrator would with
    /// "Thiết lập tỉnh" (the old huyện and the province are matched by name,
    /// so their published results are linked, not copied), and a 2026 period
    /// in self-assessment for its 14 sở and 102 communes, with the
    /// illustrative commune framework next to the sở framework. Returns the
    /// commune that gets the demo's commune accounts.
    static func seedReorganisedProvince(_ app: Application, directory folder: String, byKey: [String: FrameworkVersion]) async throws -> UnitModel {
        let db = app.db
        let data = try ProvinceSetup.directory(folder)
        let (departments, problems) = ProvinceSetup.departments(ProvinceSetup.defaultDepartments(directory: folder))
        guard problems.isEmpty else { throw Abort(.internalServerError, reason: problems.joined(separator: "\n")) }
        let plan = try await ProvinceSetup.plan("66", departments: departments, directory: data, on: db)
        try await ProvinceSetup.apply(plan, in: context(app))

        let period = try await createPeriod(db, year: 2026, title: "Đánh giá Chỉ số chuyển đổi số năm 2026 — sở, ngành và xã, phường (dữ liệu minh họa, đang tự đánh giá)",
                                            now: app.clock.now(),
                                            phases: [(.selfAssessment, -10, 20), (.evaluation, 21, 40), (.corrections, 21, 45),
                                                     (.councilAppraisal, 46, 60), (.consolidation, 61, 70), (.publication, 71, 80)])
        for (level, key) in [("department", "daklak-2023-department"), ("commune", "demo-2026-commune")] {
            guard let v = byKey[key] else { throw Abort(.internalServerError, reason: "Thiếu bộ chỉ số mẫu \(key).") }
            try await PeriodFramework(periodID: period.id!, level: level, frameworkVersionID: v.id!).create(on: db)
        }
        let communes = data.communes.filter { $0.provinceCode == plan.province.code }.map(\.code)
        let units = try await UnitModel.withCodes(departments.map(\.code) + communes, on: db)
        try await units.map { PeriodUnit(periodID: period.id!, unitID: $0.id!) }.create(on: db)
        guard let commune = units.first(where: { $0.code == demoCommune }) else {
            throw Abort(.internalServerError, reason: "Danh mục hành chính thiếu xã, phường mã \(demoCommune).")
        }
        return commune
    }
}

extension DemoSeeder {
    /// The demo loader acting as nobody in particular: what the services it calls need.
    static func context(_ app: Application) -> ServiceContext {
        .background(app, address: "dữ liệu mẫu")
    }

    /// The demo's feed data (Resources/Demo/feeds, generated by scripts/make-demo-feed.py; the feed's
    /// provenance says the values are illustrative), ingested as an administrator's upload would be:
    /// it fills the 2026 commune framework's criteria 6.6–6.10.
    static func ingestDemoFeeds(_ app: Application) async throws {
        for feed in app.feeds.feeds {
            guard let url = Bundle.module.url(forResource: "\(feed.key)-2026", withExtension: "csv", subdirectory: "Resources/Demo/feeds"),
                  let data = FileManager.default.contents(atPath: url.path) else { continue }
            _ = try await FeedIngestion.ingest(feed, bytes: [UInt8](data), arrival: .init(fileName: url.lastPathComponent, source: "demo", by: "dữ liệu mẫu"),
                                               in: context(app), files: try app.feedFiles, reading: nil)
        }
    }
}

/// Where the shipped framework files are.
enum FrameworkFiles {
    /// `./frameworks` when run from the repository, else the source tree's.
    static func defaultDirectory() -> String {
        if FileManager.default.fileExists(atPath: "frameworks") { return "frameworks" }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("frameworks").path
    }

    static func list(_ directory: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw Abort(.internalServerError, reason: "Không đọc được thư mục bộ chỉ số \(directory) (đặt DTI_FRAMEWORKS_DIR).")
        }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { directory + "/" + $0 }
    }
}
