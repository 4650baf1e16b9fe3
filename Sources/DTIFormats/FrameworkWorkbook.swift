import DTICore
import Foundation

/// A framework as an Excel workbook an administrator can edit — one row per
/// node with its rule and parameters in readable columns — and read back as
/// the framework file (`opendti.framework/1`) it stands for. Reading checks
/// every row first and names the sheet, row and column of each problem; what
/// the file format itself refuses (through `FrameworkLoader`, the one set of
/// rules) is reported at the row it came from.
public enum FrameworkWorkbook {
    public static let infoSheet = "Thông tin"
    public static let treeSheet = "Cây chỉ số"
    public static let checksSheet = "Kiểm tra số liệu"

    /// The tree sheet's columns, in order.
    public enum Column: Int, CaseIterable, Sendable {
        case kind, code, parent, name, max, weight, rule, tiers, a, b, whenZero, options, perItem, rubric, range
        case evidence, dataSource, verifyingUnit, exceptTags, notDeployed, note, feed

        public var header: String {
            switch self {
            case .kind: return "Cấp"
            case .code: return "Mã"
            case .parent: return "Mã cấp trên"
            case .name: return "Tên"
            case .max: return "Điểm tối đa"
            case .weight: return "Trọng số"
            case .rule: return "Cách tính điểm"
            case .tiers: return "Bậc (đạt từ → điểm)"
            case .a: return "a là"
            case .b: return "b là"
            case .whenZero: return "Khi b = 0"
            case .options: return "Phương án / điều kiện (mã | nội dung | phần điểm)"
            case .perItem: return "Điểm mỗi mục"
            case .rubric: return "Thang chấm"
            case .range: return "Khoảng giá trị nhập (từ – đến)"
            case .evidence: return "Tài liệu kiểm chứng"
            case .dataSource: return "Nguồn số liệu"
            case .verifyingUnit: return "Đơn vị thẩm định"
            case .exceptTags: return "Không áp dụng cho đơn vị có nhãn"
            case .notDeployed: return "Chưa triển khai (Có)"
            case .note: return "Ghi chú"
            case .feed: return "Lấy tự động từ nguồn (nguồn | trường | cách gộp)"
            }
        }

        var width: Double {
            switch self {
            case .kind: return 16
            case .code, .parent, .max, .weight, .perItem: return 10
            case .name: return 60
            case .rule, .whenZero: return 18
            case .options, .rubric, .evidence, .note: return 40
            default: return 24
            }
        }
    }

    static let ruleLabels: [(type: String, label: String)] = [
        ("yes_no", "Có/Không"), ("tiers", "Theo bậc"), ("ratio", "Tỷ lệ a/b"), ("choice", "Chọn một phương án"),
        ("parts", "Cộng các điều kiện"), ("capped_count", "Đếm có giới hạn"), ("manual", "Chấm theo thang"),
    ]
    static let zeroLabels: [(key: String, label: String)] = [("zero", "0 điểm"), ("full", "Điểm tối đa"), ("not_applicable", "Không áp dụng")]
    static let kindKeys: [(key: String, kind: NodeKind)] = [
        ("pillar", .pillar), ("group", .group), ("index", .mainIndex), ("component", .component), ("criterion", .criterion),
    ]

    // MARK: Writing

    static func number(_ v: ScaledDecimal) -> String { v.formatted(decimals: v.significantDecimals, separator: ",") }

    /// A fraction of the max as people write it: "1", "1/2", "1/3", else a decimal.
    static func fraction(_ v: ScaledDecimal) -> String {
        for d in 1...12 {
            let n = (v.micros * Int64(d) + 500_000) / 1_000_000
            if n >= 0, n <= Int64(d), abs(n * 1_000_000 - v.micros * Int64(d)) < Int64(d) * 2 {
                return d == 1 ? "\(n)" : "\(n)/\(d)"
            }
        }
        return number(v)
    }

    /// The framework as a workbook: its facts, its tree, its consistency checks.
    public static func data(_ framework: Framework) -> Data {
        func text(_ s: String?) -> Workbook.Cell { s.map(Workbook.Cell.text) ?? .empty }
        let info: [[Workbook.Cell]] = [
            [.text("Trường"), .text("Giá trị")],
            [.text("Mã bộ chỉ số"), .text(framework.id)],
            [.text("Tên"), .text(framework.title)],
            [.text("Cấp đánh giá"), .text(framework.level)],
            [.text("Năm"), .integer(framework.year)],
            [.text("Phiên bản"), .integer(framework.version)],
            [.text("Căn cứ"), text(framework.source)],
            [.text("Nguồn gốc"), text(framework.provenance)],
            [.text("Cách tính chỉ số"), .text(framework.method.rawValue)],
            [.text("Số chữ số thập phân"), framework.display.decimals.map(Workbook.Cell.integer) ?? .empty],
            [.text("Dấu thập phân"), .text(String(framework.display.separator))],
            [.text("Bỏ số 0 cuối"), .text(framework.display.trimZeros ? "Có" : "Không")],
            [.text("Xếp loại (tên: % tối thiểu)"), .text(framework.bands.map { "\($0.name): \(number($0.minPercent))" }.joined(separator: "; "))],
            [.text("Ngưỡng phân nhóm (%)"), .text(framework.distributionEdges.map(number).joined(separator: "; "))],
        ]
        var tree: [[Workbook.Cell]] = [Column.allCases.map { .text($0.header) }]
        func walk(_ node: FrameworkNode, parent: String?) {
            var row = [Workbook.Cell](repeating: .empty, count: Column.allCases.count)
            func set(_ c: Column, _ v: String?) { if let v, !v.isEmpty { row[c.rawValue] = .text(v) } }
            set(.kind, node.kind.label)
            set(.code, node.code)
            set(.parent, parent)
            set(.name, node.name)
            row[Column.max.rawValue] = .number(node.max, decimals: node.max.significantDecimals)
            if let w = node.weight { row[Column.weight.rawValue] = .number(w, decimals: w.significantDecimals) }
            if let rule = node.rule {
                set(.rule, ruleLabels.first { $0.type == rule.typeName }?.label)
                switch rule {
                case .yesNo: break
                case .tiers(let tiers): set(.tiers, tiers.map { "\(number($0.atLeast)) → \(number($0.points))" }.joined(separator: "; "))
                case .ratio(let r):
                    set(.a, r.numerator); set(.b, r.denominator)
                    set(.whenZero, zeroLabels.first { $0.key == r.whenDenominatorIsZero.rawValue }?.label)
                case .choice(let options), .parts(let options):
                    set(.options, options.map { "\($0.key) | \($0.label) | \(fraction($0.fraction))" }.joined(separator: "\n"))
                case .cappedCount(let per): set(.perItem, number(per))
                case .manual(let rubric): set(.rubric, rubric)
                }
            }
            if let r = node.inputRange { set(.range, "\(number(r.lowerBound)) – \(number(r.upperBound))") }
            set(.evidence, node.evidence); set(.dataSource, node.dataSource); set(.verifyingUnit, node.verifyingUnit)
            set(.exceptTags, node.applicability.exceptTags.sorted().joined(separator: "; "))
            if node.applicability.notDeployed { set(.notDeployed, "Có") }
            set(.note, node.note)
            if let f = node.feed { set(.feed, "\(f.feed) | \(f.field) | \(f.combine.rawValue)") }
            tree.append(row)
            node.children.forEach { walk($0, parent: node.code) }
        }
        framework.roots.forEach { walk($0, parent: nil) }
        var checks: [[Workbook.Cell]] = [[.text("Vế trái"), .text("So sánh"), .text("Vế phải"), .text("Mức độ"), .text("Thông báo")]]
        for c in framework.checks {
            checks.append([.text(c.left.description), .text(c.comparison.rawValue), .text(c.right.description),
                           .text(c.severity == .error ? "Lỗi" : "Cảnh báo"), .text(c.message)])
        }
        return Workbook(sheets: [
            .init(name: treeSheet, rows: tree, widths: Column.allCases.map(\.width), boldRows: [0]),
            .init(name: infoSheet, rows: info, widths: [28, 80], boldRows: [0]),
            .init(name: checksSheet, rows: checks, widths: [14, 10, 14, 12, 80], boldRows: [0]),
        ]).data()
    }

    // MARK: Reading

    /// A problem at a place in the workbook.
    public struct Problem: Error, CustomStringConvertible, Sendable, Equatable {
        public var sheet: String
        public var row: Int?
        public var column: String?
        public var message: String
        public var description: String {
            "Trang \"\(sheet)\"" + (row.map { ", dòng \($0)" } ?? "") + (column.map { ", cột \"\($0)\"" } ?? "") + ": " + message
        }
    }

    public struct Problems: Error, Sendable {
        public var problems: [Problem]
    }

    /// The framework file a workbook stands for, and the framework it loads
    /// as, with `version` as its version. Throws every problem at once.
    /// The workbook is read within `limits` (by default, those its size allows).
    public static func read(_ data: Data, version: Int? = nil, limits: WorkbookReader.Limits? = nil) throws(Problems) -> (yaml: String, framework: Framework) {
        let book: WorkbookReader
        do { book = try WorkbookReader(data: data, limits: limits ?? .forFile(size: data.count)) } catch {
            throw Problems(problems: [Problem(sheet: "(tệp)", message: "không đọc được tệp Excel (.xlsx): \(error)")])
        }
        guard let tree = book.sheets.first(where: { $0.name == treeSheet }) else {
            throw Problems(problems: [Problem(sheet: treeSheet, message: "không có trang này; hãy tải mẫu từ trang bộ chỉ số và sửa trên đó")])
        }
        var problems: [Problem] = []
        var yaml = YAMLText()
        var lineRows: [Int: (String, Int, String?)] = [:]   // YAML line → sheet, row, code

        // Facts.
        var info: [String: (row: Int, value: String)] = [:]
        if let sheet = book.sheets.first(where: { $0.name == infoSheet }) {
            for r in sheet.rows where r.number > 1 {
                let key = VietnameseText.searchKey(r.cells[0] ?? "")
                if !key.isEmpty { info[key] = (r.number, (r.cells[1] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        } else {
            problems.append(Problem(sheet: infoSheet, message: "không có trang này"))
        }
        func fact(_ label: String, required: Bool = true) -> String? {
            guard let v = info[VietnameseText.searchKey(label)], !v.value.isEmpty else {
                if required { problems.append(Problem(sheet: infoSheet, column: "Giá trị", message: "thiếu \"\(label)\"")) }
                return nil
            }
            lineRows[yaml.line] = (infoSheet, v.row, nil)
            return v.value
        }
        yaml.field("schema", FrameworkLoader.schema)
        for (key, label) in [("id", "Mã bộ chỉ số"), ("title", "Tên"), ("level", "Cấp đánh giá")] { if let v = fact(label) { yaml.field(key, v) } }
        for (key, label) in [("year", "Năm")] { if let v = fact(label) { yaml.field(key, v) } }
        let versionText = version.map(String.init) ?? fact("Phiên bản")
        if let versionText { yaml.field("version", versionText) }
        for (key, label) in [("source", "Căn cứ"), ("provenance", "Nguồn gốc")] { if let v = fact(label, required: false) { yaml.field(key, v) } }
        if let v = fact("Cách tính chỉ số") { yaml.field("method", v) }
        let decimals = fact("Số chữ số thập phân", required: false), separator = fact("Dấu thập phân", required: false)
        let trim = fact("Bỏ số 0 cuối", required: false)
        if decimals != nil || separator != nil || trim != nil {
            yaml.raw("display:")
            if let decimals { yaml.field("decimals", decimals, indent: 2) }
            if let separator { yaml.field("separator", separator, indent: 2) }
            if let trim { yaml.raw("  trim_zeros: \(VietnameseText.searchKey(trim) == "co" ? "true" : "false")") }
        }
        if let bands = fact("Xếp loại (tên: % tối thiểu)", required: false) {
            yaml.raw("bands:")
            for part in bands.split(whereSeparator: { $0 == ";" || $0.isNewline }) {
                let pieces = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pieces.count == 2 else {
                    problems.append(Problem(sheet: infoSheet, row: info[VietnameseText.searchKey("Xếp loại (tên: % tối thiểu)")]?.row, column: "Giá trị",
                                            message: "xếp loại \"\(part)\" cần dạng tên: % tối thiểu, ví dụ Tốt: 90"))
                    continue
                }
                lineRows[yaml.line] = (infoSheet, info[VietnameseText.searchKey("Xếp loại (tên: % tối thiểu)")]?.row ?? 0, nil)
                yaml.raw("  - {name: \(YAMLText.quote(pieces[0])), min: \(YAMLText.quote(decimalPoint(pieces[1])))}")
            }
        }
        if let edges = fact("Ngưỡng phân nhóm (%)", required: false) {
            yaml.raw("distribution_edges: [" + edges.split(separator: ";").map { YAMLText.quote(decimalPoint($0.trimmingCharacters(in: .whitespaces))) }.joined(separator: ", ") + "]")
        }

        // The tree: rows in order, each under the row its parent code names.
        struct Row { var number: Int; var cells: [Column: String]; var children: [Int] = [] }
        var rows: [Row] = []
        var byCode: [String: Int] = [:]
        var roots: [Int] = []
        let headers = Dictionary(uniqueKeysWithValues: (tree.rows.first { $0.number == 1 }?.cells ?? [:]).map { ($0.key, VietnameseText.searchKey($0.value)) })
        var position: [Column: Int] = [:]
        for column in Column.allCases {
            if let found = headers.first(where: { $0.value == VietnameseText.searchKey(column.header) })?.key { position[column] = found }
        }
        for required in [Column.kind, .code, .name] where position[required] == nil {
            problems.append(Problem(sheet: treeSheet, row: 1, column: required.header, message: "thiếu cột này ở dòng tiêu đề"))
        }
        for r in tree.rows where r.number > 1 {
            var cells: [Column: String] = [:]
            for (column, index) in position { cells[column] = (r.cells[index] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
            if cells.values.allSatisfy(\.isEmpty) { continue }
            let row = Row(number: r.number, cells: cells)
            let code = cells[.code] ?? ""
            func problem(_ c: Column, _ m: String) { problems.append(Problem(sheet: treeSheet, row: r.number, column: c.header, message: m)) }
            if code.isEmpty { problem(.code, "thiếu mã"); continue }
            if let earlier = byCode[code] { problem(.code, "mã \"\(code)\" trùng với dòng \(rows[earlier].number)"); continue }
            let index = rows.count
            rows.append(row)
            byCode[code] = index
            let parent = cells[.parent] ?? ""
            if parent.isEmpty { roots.append(index) }
            else if let p = byCode[parent] { rows[p].children.append(index) }
            else { problem(.parent, "không có nút mã \"\(parent)\" ở các dòng phía trên") }
        }
        if rows.isEmpty { problems.append(Problem(sheet: treeSheet, message: "không có nút nào")) }

        yaml.raw("tree:")
        func emit(_ index: Int, indent: Int) {
            let row = rows[index]
            let pad = String(repeating: " ", count: indent)
            func cell(_ c: Column) -> String { row.cells[c] ?? "" }
            func problem(_ c: Column, _ m: String) { problems.append(Problem(sheet: treeSheet, row: row.number, column: c.header, message: m)) }
            func mark() { lineRows[yaml.line] = (treeSheet, row.number, cell(.code)) }
            let kindText = VietnameseText.searchKey(cell(.kind))
            guard let kind = kindKeys.first(where: { VietnameseText.searchKey($0.kind.label) == kindText || $0.key == kindText }) else {
                problem(.kind, "\"\(cell(.kind))\" không hợp lệ; dùng \(kindKeys.map(\.kind.label).joined(separator: ", "))")
                return
            }
            mark(); yaml.raw("\(pad)- \(kind.key): \(YAMLText.quote(cell(.code)))")
            let inner = String(repeating: " ", count: indent + 2)
            mark(); yaml.raw("\(inner)name: \(YAMLText.quote(cell(.name)))")
            if !cell(.max).isEmpty { mark(); yaml.raw("\(inner)max: \(YAMLText.quote(decimalPoint(cell(.max))))") }
            if !cell(.weight).isEmpty { mark(); yaml.raw("\(inner)weight: \(YAMLText.quote(decimalPoint(cell(.weight))))") }
            let ruleText = VietnameseText.searchKey(cell(.rule))
            if !ruleText.isEmpty {
                guard let rule = ruleLabels.first(where: { VietnameseText.searchKey($0.label) == ruleText || $0.type == ruleText }) else {
                    problem(.rule, "\"\(cell(.rule))\" không hợp lệ; dùng \(ruleLabels.map(\.label).joined(separator: ", "))")
                    return
                }
                mark(); yaml.raw("\(inner)rule:")
                mark(); yaml.raw("\(inner)  type: \(rule.type)")
                switch rule.type {
                case "tiers":
                    let steps = cell(.tiers).split(whereSeparator: { $0 == ";" || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    if steps.isEmpty { problem(.tiers, "cách tính theo bậc cần các bậc, ví dụ 4 → 20; 3 → 15") }
                    mark(); yaml.raw("\(inner)  tiers:")
                    for step in steps {
                        let parts = step.replacingOccurrences(of: "->", with: "→").split(separator: "→").map { $0.trimmingCharacters(in: .whitespaces) }
                        guard parts.count == 2 else { problem(.tiers, "bậc \"\(step)\" cần dạng đạt từ → điểm, ví dụ 4 → 20"); continue }
                        mark(); yaml.raw("\(inner)    - {at_least: \(YAMLText.quote(decimalPoint(parts[0]))), points: \(YAMLText.quote(decimalPoint(parts[1])))}")
                    }
                case "ratio":
                    mark(); yaml.raw("\(inner)  a: \(YAMLText.quote(cell(.a)))")
                    mark(); yaml.raw("\(inner)  b: \(YAMLText.quote(cell(.b)))")
                    if !cell(.whenZero).isEmpty {
                        guard let z = zeroLabels.first(where: { VietnameseText.searchKey($0.label) == VietnameseText.searchKey(cell(.whenZero)) || $0.key == cell(.whenZero) }) else {
                            problem(.whenZero, "\"\(cell(.whenZero))\" không hợp lệ; dùng \(zeroLabels.map(\.label).joined(separator: ", "))"); break
                        }
                        mark(); yaml.raw("\(inner)  when_b_is_zero: \(z.key)")
                    }
                case "choice", "parts":
                    let lines = cell(.options).split(whereSeparator: { $0.isNewline || $0 == ";" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    if lines.isEmpty { problem(.options, "cần ít nhất một phương án dạng mã | nội dung | phần điểm") }
                    mark(); yaml.raw("\(inner)  \(rule.type == "choice" ? "options" : "parts"):")
                    for line in lines {
                        let parts = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                        guard parts.count == 3, !parts[0].isEmpty else { problem(.options, "\"\(line)\" cần dạng mã | nội dung | phần điểm, ví dụ pho | Phó Chủ tịch | 1/2"); continue }
                        mark(); yaml.raw("\(inner)    - {key: \(YAMLText.quote(parts[0])), label: \(YAMLText.quote(parts[1])), fraction: \(YAMLText.quote(decimalPoint(parts[2])))}")
                    }
                case "capped_count":
                    if cell(.perItem).isEmpty { problem(.perItem, "cách tính đếm có giới hạn cần số điểm mỗi mục") }
                    mark(); yaml.raw("\(inner)  per_item: \(YAMLText.quote(decimalPoint(cell(.perItem))))")
                case "manual":
                    if !cell(.rubric).isEmpty { mark(); yaml.raw("\(inner)  rubric: \(YAMLText.quote(cell(.rubric)))") }
                default: break
                }
            }
            if !cell(.range).isEmpty {
                let parts = cell(.range).replacingOccurrences(of: "—", with: "–").split(separator: "–").map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { mark(); yaml.raw("\(inner)range: [\(YAMLText.quote(decimalPoint(parts[0]))), \(YAMLText.quote(decimalPoint(parts[1])))]") }
                else { problem(.range, "\"\(cell(.range))\" cần dạng từ – đến, ví dụ 0 – 52") }
            }
            for (column, key) in [(Column.evidence, "evidence"), (.dataSource, "data_source"), (.verifyingUnit, "verifying_unit"), (.note, "note")]
            where !cell(column).isEmpty {
                mark(); yaml.raw("\(inner)\(key): \(YAMLText.quote(cell(column)))")
            }
            if !cell(.feed).isEmpty {
                let parts = cell(.feed).split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                if (2...3).contains(parts.count), !parts[0].isEmpty, !parts[1].isEmpty {
                    let combine = parts.count == 3 && !parts[2].isEmpty ? ", combine: \(YAMLText.quote(parts[2]))" : ""
                    mark(); yaml.raw("\(inner)feed: {key: \(YAMLText.quote(parts[0])), field: \(YAMLText.quote(parts[1]))\(combine)}")
                } else { problem(.feed, "\"\(cell(.feed))\" cần dạng nguồn | trường | cách gộp, ví dụ dvc-766 | so_hoa | mean") }
            }
            let tags = cell(.exceptTags).split(whereSeparator: { $0 == ";" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let notDeployed = VietnameseText.searchKey(cell(.notDeployed)) == "co"
            if !tags.isEmpty || notDeployed {
                mark(); yaml.raw("\(inner)applies:")
                if !tags.isEmpty { mark(); yaml.raw("\(inner)  except_tags: [\(tags.map(YAMLText.quote).joined(separator: ", "))]") }
                if notDeployed { mark(); yaml.raw("\(inner)  not_deployed: true") }
            }
            if !row.children.isEmpty {
                mark(); yaml.raw("\(inner)children:")
                for child in row.children { emit(child, indent: indent + 4) }
            }
        }
        for root in roots { emit(root, indent: 2) }

        if let sheet = book.sheets.first(where: { $0.name == checksSheet }), sheet.rows.contains(where: { $0.number > 1 }) {
            yaml.raw("checks:")
            for r in sheet.rows where r.number > 1 {
                let cells = (0..<5).map { (r.cells[$0] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
                if cells.allSatisfy(\.isEmpty) { continue }
                lineRows[yaml.line] = (checksSheet, r.number, nil)
                let severity = VietnameseText.searchKey(cells[3]) == "canh bao" || cells[3] == "warning" ? "warning" : "error"
                yaml.raw("  - {left: \(YAMLText.quote(cells[0])), op: \(YAMLText.quote(cells[1])), right: \(YAMLText.quote(cells[2])), severity: \(severity), message: \(YAMLText.quote(cells[4]))}")
            }
        }
        // The file format's own rules, run even when rows were refused above,
        // so that every problem is listed at once.
        let loaded: Framework
        do {
            loaded = try FrameworkLoader.parse(yaml.text, file: "bảng tính")
        } catch let list {
            throw Problems(problems: problems + list.problems.map { p in
                let line = Int(p.location.split(separator: ":").dropFirst().first ?? "") ?? 0
                let field = p.message.range(of: "trường \"").flatMap { r in p.message[r.upperBound...].split(separator: "\"").first.map(String.init) }
                let column = field.flatMap { f in fieldColumns.first { f == $0.0 || f.hasPrefix($0.0 + ".") }?.1.header }
                if let place = lineRows[line] ?? lineRows.filter({ $0.key <= line }).max(by: { $0.key < $1.key })?.value {
                    return Problem(sheet: place.0, row: place.1, column: place.0 == treeSheet ? column : nil,
                                   message: (place.2.map { "nút \($0): " } ?? "") + p.message)
                }
                return Problem(sheet: treeSheet, row: nil, column: nil, message: p.message)
            })
        }
        guard problems.isEmpty else { throw Problems(problems: problems) }
        return (yaml.text, loaded)
    }

    /// The file format's field names and the columns they are typed in.
    static let fieldColumns: [(String, Column)] = [
        ("max", .max), ("weight", .weight), ("name", .name), ("rule.tiers", .tiers), ("rule.when_b_is_zero", .whenZero), ("rule.a", .a), ("rule.b", .b),
        ("rule.options", .options), ("rule.parts", .options), ("rule.per_item", .perItem), ("rule", .rule), ("range", .range),
        ("applies", .exceptTags), ("evidence", .evidence), ("note", .note), ("feed", .feed),
    ]

    /// A number typed with a decimal comma ("0,5", "1.000,5") is rewritten;
    /// a number Excel stored (always with a point) is kept.
    static func decimalPoint(_ s: String) -> String {
        guard !s.contains("/"), s.contains(",") else { return s }
        return s.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: ".")
    }
}

/// YAML written line by line, every scalar double-quoted (so nothing typed
/// in a cell can change the document's structure).
struct YAMLText {
    private(set) var lines: [String] = []
    /// The 1-based number of the next line.
    var line: Int { lines.count + 1 }
    var text: String { lines.joined(separator: "\n") + "\n" }

    mutating func raw(_ s: String) { lines.append(s) }
    mutating func field(_ key: String, _ value: String, indent: Int = 0) {
        lines.append(String(repeating: " ", count: indent) + "\(key): \(Self.quote(value))")
    }

    /// A double-quoted scalar: YAML reads JSON's string escapes, so the JSON
    /// writer's quoting serves; a carriage return (Excel's line ends in a
    /// cell) is dropped.
    static func quote(_ s: String) -> String {
        JSONValue.quote(String(String.UnicodeScalarView(s.unicodeScalars.filter { $0 != "\r" })))
    }
}
