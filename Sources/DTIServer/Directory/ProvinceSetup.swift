import DTICore
import DTIFormats
import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// "Thiết lập tỉnh": a province as it is since 1 July 2025, from the
/// administrative directory — its communes (official codes, types,
/// centroids), its sở from an editable list, and the pre-reform districts and
/// communes as history, each linked to the new communes it went to — planned
/// first (what will be created, what exists, what was renamed), then written
/// in one transaction. Running it again changes nothing: units are matched by
/// code, links by their two ends.
enum ProvinceSetup {
    struct Draft: Sendable {
        var code: String
        var name: String
        var level: String
        var group: String
        var tags: [String]
        var parentCode: String?
        var validFrom: String?
        var validUntil: String?
        var lat: Double?
        var lon: Double?
        /// The directory's own name, for matching a unit a province created
        /// before with its own code (a former district, the province).
        var directoryName: String? = nil
    }

    struct Link: Sendable, Hashable {
        var from: String
        var to: String
        var kind: UnitLineage.Kind
    }

    struct Plan: Sendable {
        var province: AdminDirectory.Province
        /// Units to create, in an order where parents come first.
        var create: [Draft]
        /// Codes that exist already with the same name.
        var unchanged: Int
        /// Existing units whose directory name differs: code, stored name, directory name.
        var renamed: [(code: String, from: String, to: String)]
        /// Units the province had already under its own code, found by name
        /// and used in place of the directory's: directory code, existing code, existing name.
        /// A matched former district stops existing on the reform date.
        var matched: [(code: String, existing: String, name: String, closes: Bool)] = []
        var links: [Link]
        var linksExisting: Int
        var communes: Int
        var legacyCommunes: Int
        var legacyDistricts: Int
        var departments: Int

        var nothingToDo: Bool { create.isEmpty && renamed.isEmpty && links.isEmpty && !matched.contains(where: \.closes) }

        var summary: String {
            "\(province.name): \(communes) xã, phường, đặc khu; \(departments) sở, ngành; \(legacyDistricts) huyện và \(legacyCommunes) xã trước sắp xếp (lịch sử); "
                + "tạo mới \(create.count) đơn vị, \(unchanged) đơn vị đã có, \(renamed.count) đơn vị đổi tên"
                + (matched.isEmpty ? "" : ", \(matched.count) đơn vị cũ đã có (khớp theo tên)")
                + "; \(links.count) liên kết kế thừa mới (\(linksExisting) đã có)"
        }
    }

    /// A pre-reform commune's unit code: its official code with "-cu" (cũ),
    /// because many new communes kept the official code of one of the
    /// communes they were formed from. Districts (3 digits) and provinces
    /// (2 digits) cannot collide with communes (5 digits) and keep theirs.
    static func legacyCode(_ official: String) -> String { official + "-cu" }

    static let communeGroup = "Xã, phường, đặc khu"
    static let departmentGroup = "Sở, ban, ngành"
    static let districtGroup = "UBND cấp huyện"
    static let provinceGroup = "Tỉnh, thành phố"

    /// Directories read so far, by folder and the files' modification times:
    /// reading the 20,000 rows takes a noticeable moment, and the demo and
    /// the page read the same files again and again.
    private static let loaded = NIOLockedValueBox<[String: AdminDirectory]>([:])

    /// The directory in `folder`, or a refusal naming its first problems.
    static func directory(_ folder: String) throws -> AdminDirectory {
        let stamp = ["provinces.csv", "communes.csv", "legacy-communes.csv", "lineage-2025.csv"].map { name -> String in
            let date = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name))?[.modificationDate] as? Date
            return date.map { "\($0.timeIntervalSince1970)" } ?? "-"
        }.joined(separator: ",")
        let key = folder + "|" + stamp
        if let cached = loaded.withLockedValue({ $0[key] }) { return cached }
        do {
            let directory = try AdminDirectory.load(directory: folder)
            loaded.withLockedValue { $0[key] = directory }
            return directory
        } catch {
            let more = error.problems.count > 10 ? "\n… và \(error.problems.count - 10) lỗi khác" : ""
            throw DomainError.unavailable("Danh mục hành chính (\(folder)) không đọc được:\n" + error.problems.prefix(10).map(\.description).joined(separator: "\n") + more)
        }
    }

    /// The default sở list as the page's box shows it: "CODE, name" per line.
    static func defaultDepartments(directory: String) -> String {
        guard let data = FileManager.default.contents(atPath: directory + "/departments-2025.csv"),
              let doc = try? CSVReader.parse([UInt8](data), file: "departments-2025.csv") else { return "" }
        return doc.records.map { $0.fields.prefix(2).joined(separator: ", ") }.joined(separator: "\n")
    }

    /// "CODE, name" lines, or the problems with them (line numbers).
    static func departments(_ text: String) -> (list: [(code: String, name: String)], problems: [String]) {
        var list: [(String, String)] = [], problems: [String] = [], seen = Set<String>()
        // A browser sends a text box's lines with CRLF ("\r\n" is one Character in Swift).
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let parts = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else { problems.append("Danh sách sở, dòng \(i + 1): cần dạng MÃ, Tên sở (ví dụ STC, Sở Tài chính)."); continue }
            let code = parts[0].uppercased()
            guard !code.isEmpty, code.count <= 32, code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                problems.append("Danh sách sở, dòng \(i + 1): mã \"\(parts[0].excerpt())\" chỉ gồm chữ không dấu, số, - _ ."); continue
            }
            if !seen.insert(code).inserted { problems.append("Danh sách sở, dòng \(i + 1): mã \(code) lặp lại."); continue }
            list.append((code, VietnameseText.normalized(parts[1])))
        }
        if list.count > 100 { problems.append("Danh sách sở quá dài (tối đa 100 dòng).") }
        return (list, problems)
    }

    static func plan(_ query: String, departments: [(code: String, name: String)], directory: AdminDirectory, on db: any Database) async throws -> Plan {
        guard let province = directory.province(query) else {
            throw DomainError.invalid("Không có tỉnh, thành phố \"\(query.excerpt())\" trong danh mục 34 tỉnh, thành phố từ 01/07/2025 (gõ tên, ví dụ Đắk Lắk, hoặc mã, ví dụ 66).")
        }
        let communes = directory.communes.filter { $0.provinceCode == province.code }
        let codes = Set(communes.map(\.code))
        let links = directory.links.filter { codes.contains($0.code) }
        let legacyCodes = Set(links.map(\.legacyCode))
        let legacy = directory.legacy.filter { legacyCodes.contains($0.code) }
        var districts: [String: AdminDirectory.LegacyCommune] = [:]
        for l in legacy where districts[l.districtCode] == nil { districts[l.districtCode] = l }
        let reform = AdminDirectory.reformDate

        var drafts: [Draft] = [Draft(code: province.code, name: province.name, level: "province", group: provinceGroup, tags: [], parentCode: nil,
                                     validFrom: nil, validUntil: nil, lat: province.lat, lon: province.lon, directoryName: province.name)]
        drafts += departments.map { Draft(code: $0.code, name: $0.name, level: "department", group: departmentGroup, tags: [], parentCode: province.code,
                                          validFrom: nil, validUntil: nil, lat: nil, lon: nil) }
        drafts += communes.map {
            Draft(code: $0.code, name: $0.name, level: "commune", group: communeGroup, tags: [VietnameseText.searchKey($0.type).replacingOccurrences(of: " ", with: "-")],
                  parentCode: province.code, validFrom: reform, validUntil: nil, lat: $0.lat, lon: $0.lon)
        }
        drafts += districts.values.sorted { $0.districtCode < $1.districtCode }.map {
            Draft(code: $0.districtCode, name: $0.districtName + " (\($0.provinceName))", level: "district", group: districtGroup, tags: [],
                  parentCode: province.code, validFrom: nil, validUntil: reform, lat: nil, lon: nil, directoryName: $0.districtName)
        }
        drafts += legacy.sorted { $0.code < $1.code }.map {
            Draft(code: legacyCode($0.code), name: $0.name + " (\($0.districtName))", level: "commune", group: communeGroup, tags: [], parentCode: $0.districtCode,
                  validFrom: nil, validUntil: reform, lat: $0.lat, lon: $0.lon)
        }

        // Links: each pre-reform commune to the new commune(s); each former district to the new communes in it.
        var successors: [String: Set<String>] = [:], predecessors: [String: Set<String>] = [:]
        for l in links { successors[l.legacyCode, default: []].insert(l.code); predecessors[l.code, default: []].insert(l.legacyCode) }
        var planned: [Link] = []
        for l in links {
            let kind: UnitLineage.Kind = (successors[l.legacyCode]?.count ?? 0) > 1 ? .split : (predecessors[l.code]?.count ?? 0) > 1 ? .merge : .rename
            planned.append(Link(from: legacyCode(l.legacyCode), to: l.code, kind: kind))
        }
        let districtOf = Dictionary(legacy.map { ($0.code, $0.districtCode) }, uniquingKeysWith: { a, _ in a })
        var districtLinks = Set<Link>()
        for l in links { if let d = districtOf[l.legacyCode] { districtLinks.insert(Link(from: d, to: l.code, kind: .split)) } }
        planned += districtLinks.sorted { ($0.from, $0.to) < ($1.from, $1.to) }

        // The province and its former districts, where the province created them before under its own
        // codes ("UBND huyện Krông Pắc", KRONGPAC): found by name and used instead, so that their
        // published results are linked rather than copied under a second code.
        var matched: [(String, String, String, Bool)] = []
        var existing = Dictionary(try await UnitModel.withCodes(drafts.map(\.code), on: db).map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        var alias: [String: String] = [:]
        for level in ["province", "district"] {
            let wanted = drafts.filter { $0.level == level && $0.directoryName != nil && existing[$0.code] == nil }
            guard !wanted.isEmpty else { continue }
            let candidates = Dictionary(grouping: try await UnitModel.query(on: db).filter(\.$level == level).all()) { nameKey($0.name) }
            for d in wanted {
                guard let found = candidates[nameKey(d.directoryName!)], found.count == 1 else { continue }
                alias[d.code] = found[0].code
                existing[found[0].code] = found[0]
                matched.append((d.code, found[0].code, found[0].name, level == "district" && found[0].validUntil == nil))
            }
        }
        if !alias.isEmpty {
            drafts = drafts.filter { alias[$0.code] == nil }.map { d in
                var d = d
                d.parentCode = d.parentCode.map { alias[$0] ?? $0 }
                return d
            }
            planned = planned.map { Link(from: alias[$0.from] ?? $0.from, to: alias[$0.to] ?? $0.to, kind: $0.kind) }
        }

        // Against what exists (the matched units included, for the links they already have).
        var create: [Draft] = [], renamed: [(String, String, String)] = [], unchanged = 0
        for d in drafts {
            if let u = existing[d.code] {
                if u.name == d.name { unchanged += 1 } else { renamed.append((d.code, u.name, d.name)) }
            } else {
                create.append(d)
            }
        }
        var linksExisting = 0, newLinks: [Link] = []
        let ids = Dictionary(existing.values.map { ($0.id!, $0.code) }, uniquingKeysWith: { a, _ in a })
        var present = Set<String>()
        if !ids.isEmpty {
            let idList = Array(ids.keys)
            for chunk in stride(from: 0, to: idList.count, by: 500).map({ Array(idList[$0..<min($0 + 500, idList.count)]) }) {
                for row in try await UnitLineage.query(on: db).filter(\.$predecessor.$id ~~ chunk).all() {
                    if let a = ids[row.$predecessor.id], let b = ids[row.$successor.id] { present.insert("\(a)>\(b)") }
                }
            }
        }
        for link in planned {
            if present.contains("\(link.from)>\(link.to)") { linksExisting += 1 } else { newLinks.append(link) }
        }
        return Plan(province: province, create: create, unchanged: unchanged, renamed: renamed, matched: matched, links: newLinks, linksExisting: linksExisting,
                    communes: communes.count, legacyCommunes: legacy.count, legacyDistricts: districts.count, departments: departments.count)
    }

    /// A name as compared for matching: without diacritics, spaces,
    /// punctuation and a leading "UBND" ("UBND huyện Krông Ana" and
    /// "Huyện Krông A Na" are the same district).
    static func nameKey(_ name: String) -> String {
        var key = VietnameseText.searchKey(name)
        if key.hasPrefix("ubnd ") { key.removeFirst(5) }
        return String(key.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    /// Writes the plan in one transaction: new units, renamed units' new
    /// names, links; the audit entry with the summary.
    static func apply(_ plan: Plan, in ctx: ServiceContext) async throws {
        let p = plan
        try await ctx.db.retryingTransaction { tx in
            let wanted = Set(p.create.compactMap(\.parentCode) + p.renamed.map(\.code) + p.matched.map(\.existing) + p.links.flatMap { [$0.from, $0.to] })
            var byCode = Dictionary(try await UnitModel.withCodes(Array(wanted), on: tx).map { ($0.code, $0.id!) }, uniquingKeysWith: { a, _ in a })
            // Identifiers given here, so that children name their parents before anything is written; then
            // rows of 500 per INSERT through SQLKit (parents come first in the plan's order): a province's
            // ~800 units and links are written by every demo start and every test, and building Fluent
            // models for them cost more than the database did.
            let sql = try tx.sql
            func value(_ v: (any Encodable & Sendable)?) -> any SQLExpression { v.map { SQLBind($0) } ?? SQLLiteral.null }
            let now = Date()
            var rows: [[any SQLExpression]] = []
            for d in p.create {
                let id = UUID()
                rows.append([value(id), value(d.code), value(d.name), value(VietnameseText.searchKey(d.name)), value(d.level), value(d.group),
                             value(d.tags.joined(separator: ";")), value(d.parentCode.flatMap { byCode[$0] }), value(d.validFrom), value(d.validUntil),
                             value(d.lat), value(d.lon), value(now)])
                byCode[d.code] = id
            }
            for start in stride(from: 0, to: rows.count, by: 500) {
                try await sql.insert(into: UnitModel.schema)
                    .columns("id", "code", "name", "search_key", "level", "group_name", "tags", "parent_id", "valid_from", "valid_until",
                             "latitude", "longitude", "created_at")
                    .rows(rows[start..<min(start + 500, rows.count)]).run()
            }
            for r in p.renamed {
                guard let id = byCode[r.code], let unit = try await UnitModel.find(id, on: tx) else { continue }
                unit.name = r.to
                unit.searchKey = VietnameseText.searchKey(r.to)
                try await unit.save(on: tx)
            }
            let closing = p.matched.filter(\.closes).compactMap { byCode[$0.existing] }
            if !closing.isEmpty {
                try await UnitModel.query(on: tx).filter(\.$id ~~ closing).filter(\.$validUntil == nil)
                    .set(\.$validUntil, to: AdminDirectory.reformDate).update()
            }
            let note = "Sắp xếp đơn vị hành chính từ 01/07/2025"
            let links: [[any SQLExpression]] = p.links.compactMap { link in
                guard let a = byCode[link.from], let b = byCode[link.to] else { return nil }
                return [value(UUID()), value(a), value(b), value(link.kind.rawValue), value(AdminDirectory.reformDate), value(note)]
            }
            for start in stride(from: 0, to: links.count, by: 500) {
                try await sql.insert(into: UnitLineage.schema).columns("id", "predecessor_id", "successor_id", "kind", "effective_on", "note")
                    .rows(links[start..<min(start + 500, links.count)]).run()
            }
            try await AuditLog.record(ctx, actor: ctx.actor, action: "province_set_up", target: p.province.code, detail: p.summary, on: tx)
        }
    }
}
