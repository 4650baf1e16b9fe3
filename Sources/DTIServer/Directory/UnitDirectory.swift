import DTICore
import DTIFormats
import Fluent
import Vapor

/// What a user submits to create a unit (form or JSON).
struct UnitInput: Content {
    var code: String
    var name: String
    var level: String
    var group: String
    var tags: String?
    var parentCode: String?

    static let empty = UnitInput(code: "", name: "", level: "department", group: "", tags: nil, parentCode: nil)

    /// Every problem, in Vietnamese; empty when the input is acceptable.
    func problems(prefix: String = "") -> [String] {
        var out: [String] = []
        let code = self.code.trimmingCharacters(in: .whitespaces)
        if code.isEmpty { out.append("\(prefix)Mã đơn vị (code) không được để trống.") }
        if code.count > 64 { out.append("\(prefix)Mã đơn vị quá dài (tối đa 64 ký tự).") }
        if !code.isEmpty && !code.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) {
            out.append("\(prefix)Mã đơn vị \"\(code)\" chỉ được chứa chữ, số, dấu gạch ngang, gạch dưới và dấu chấm.")
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { out.append("\(prefix)Tên đơn vị (name) không được để trống.") }
        if name.count > 200 { out.append("\(prefix)Tên đơn vị quá dài (tối đa 200 ký tự).") }
        if !Levels.isValid(level) { out.append("\(prefix)Cấp \"\(level)\" không hợp lệ; dùng province, department, district hoặc commune.") }
        if group.trimmingCharacters(in: .whitespaces).isEmpty { out.append("\(prefix)Nhóm xếp hạng (group) không được để trống.") }
        if group.count > 200 { out.append("\(prefix)Tên nhóm quá dài (tối đa 200 ký tự).") }
        if (tags ?? "").count > 500 { out.append("\(prefix)Danh sách nhãn quá dài.") }
        return out
    }
}

/// Units: listing, search, creation and CSV import. Every write is checked
/// whole first and done in one transaction.
enum UnitDirectory {
    static func row(_ unit: UnitModel, parentCode: String?) -> UnitRow {
        UnitRow(id: unit.id, code: unit.code, name: unit.name, level: unit.level, levelLabel: Levels.label(unit.level),
                group: unit.groupName, tags: unit.tagList, parentCode: parentCode)
    }

    /// Units matching `query` (typed with or without diacritics), in
    /// Vietnamese alphabetical order within each level.
    static func search(_ query: String, on db: any Database) async throws -> [UnitRow] {
        let units = try await UnitModel.query(on: db).all()
        let codes = Dictionary(uniqueKeysWithValues: units.compactMap { u in u.id.map { ($0, u.code) } })
        let key = VietnameseText.searchKey(query.trimmingCharacters(in: .whitespaces))
        let order = Dictionary(uniqueKeysWithValues: Levels.all.enumerated().map { ($1.value, $0) })
        return units
            .filter { key.isEmpty || $0.searchKey.contains(key) || $0.code.lowercased().contains(key) }
            .sorted { a, b in
                let (la, lb) = (order[a.level] ?? 9, order[b.level] ?? 9)
                return la != lb ? la < lb : VietnameseText.precedes(a.name, b.name)
            }
            .map { row($0, parentCode: $0.$parent.id.flatMap { codes[$0] }) }
    }

    /// Creates the units, or none: returns every problem found.
    /// `audit` runs inside the same transaction, so the units and their audit entry commit together.
    static func create(_ inputs: [UnitInput], lines: [Int]? = nil, on db: any Database,
                       audit: (@Sendable ([UnitModel], any Database) async throws -> Void)? = nil) async throws -> (created: [UnitModel], problems: [String]) {
        var problems: [String] = []
        let existing = try await UnitModel.query(on: db).all()
        let byCode = Dictionary(uniqueKeysWithValues: existing.map { ($0.code, $0) })
        var seen: [String: Int] = [:]
        for (i, input) in inputs.enumerated() {
            let prefix = lines.map { "Dòng \($0[i]): " } ?? ""
            problems += input.problems(prefix: prefix)
            let code = input.code.trimmingCharacters(in: .whitespaces)
            if byCode[code] != nil { problems.append("\(prefix)Mã đơn vị \"\(code)\" đã tồn tại.") }
            if let first = seen[code] { problems.append("\(prefix)Mã đơn vị \"\(code)\" trùng với \(lines.map { "dòng \($0[first])" } ?? "đơn vị khác")."); }
            seen[code] = i
            if let parent = input.parentCode?.trimmingCharacters(in: .whitespaces), !parent.isEmpty,
               byCode[parent] == nil, !inputs.contains(where: { $0.code.trimmingCharacters(in: .whitespaces) == parent }) {
                problems.append("\(prefix)Đơn vị cấp trên \"\(parent)\" không tồn tại.")
            }
        }
        guard problems.isEmpty else { return ([], problems) }
        let created = try await db.retryingTransaction { tx -> [UnitModel] in
            var byCode = byCode
            var created: [UnitModel] = []
            for input in inputs {
                let name = VietnameseText.normalized(input.name.trimmingCharacters(in: .whitespaces))
                let tags = (input.tags ?? "").split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " }).map(String.init)
                let unit = UnitModel(code: input.code.trimmingCharacters(in: .whitespaces), name: name, level: input.level,
                                     groupName: VietnameseText.normalized(input.group.trimmingCharacters(in: .whitespaces)), tags: tags)
                unit.searchKey = VietnameseText.searchKey(name)
                try await unit.create(on: tx)
                byCode[unit.code] = unit
                created.append(unit)
            }
            for (unit, input) in zip(created, inputs) {
                if let parent = input.parentCode?.trimmingCharacters(in: .whitespaces), !parent.isEmpty {
                    unit.$parent.id = byCode[parent]?.id
                    try await unit.save(on: tx)
                }
            }
            try await audit?(created, tx)
            return created
        }
        return (created, problems)
    }

    /// Reads a units CSV (`code`, `name`, `level`, `group`, optional `tags`,
    /// `parent`) with the CLI's rules; problems name the line and column.
    static func parseCSV(_ text: String, file: String = "tệp CSV") -> (inputs: [UnitInput], lines: [Int], problems: [String]) {
        let document: CSVDocument
        do { document = try CSVReader.parse(Array(text.utf8), file: file) } catch { return ([], [], [error.description]) }
        let required = ["code", "name", "level", "group"]
        let missing = required.filter { document.column($0) == nil }
        if !missing.isEmpty {
            return ([], [], ["\(file):\(document.header.line):1: thiếu cột bắt buộc \(missing.map { "\"\($0)\"" }.joined(separator: ", ")); cần code, name, level, group (tùy chọn tags, parent)"])
        }
        let c = required.map { document.column($0)! }
        let tags = document.column("tags"), parent = document.column("parent")
        var inputs: [UnitInput] = [], lines: [Int] = [], problems: [String] = []
        for record in document.records {
            guard record.fields.count == document.header.fields.count else {
                problems.append("\(file):\(record.line):1: dòng có \(record.fields.count) cột nhưng tiêu đề có \(document.header.fields.count)")
                continue
            }
            inputs.append(UnitInput(code: record.fields[c[0]], name: record.fields[c[1]], level: record.fields[c[2]].trimmingCharacters(in: .whitespaces),
                                    group: record.fields[c[3]], tags: tags.map { record.fields[$0] }, parentCode: parent.map { record.fields[$0] }))
            lines.append(record.line)
        }
        if document.records.isEmpty { problems.append("\(file): không có dòng dữ liệu nào") }
        return (inputs, lines, problems)
    }
}
