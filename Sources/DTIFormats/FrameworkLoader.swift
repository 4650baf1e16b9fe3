import DTICore
import Foundation
import Yams

/// Reads framework files (`frameworks/*.yaml`, schema `opendti.framework/1`,
/// documented in docs/FRAMEWORK-FORMAT.md). Every error names the file, the
/// line, the column and the field; unknown fields are errors, so a typo never
/// silently changes a score.
public enum FrameworkLoader {
    public static let schema = "opendti.framework/1"
    /// The largest version number a framework may carry: a version above it leaves no room for the next (issue 31).
    public static let maxVersion = 1_000_000

    public static func load(path: String) throws(ProblemList) -> Framework {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProblemList([TableProblem(location: path, message: "không đọc được tệp bộ chỉ số (không tồn tại hoặc không có quyền đọc)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProblemList([TableProblem(location: "\(path):1:1", message: "tệp bộ chỉ số không phải văn bản UTF-8")])
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ProblemList) -> Framework {
        let root = try compose(text, file: file, empty: "tệp bộ chỉ số trống")
        var reader = YAMLReader(file: file)
        let framework = reader.framework(root)
        if !reader.problems.isEmpty { throw ProblemList(reader.problems) }
        return framework!
    }

    /// The YAML document's root node; a syntax error at its line and column.
    static func compose(_ text: String, file: String, empty: String) throws(ProblemList) -> Node {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ProblemList([TableProblem(location: "\(file):1:1", message: empty)])
            }
            return node
        } catch let error as ProblemList {
            throw error
        } catch let error as YamlError {
            throw ProblemList([yamlProblem(error, file: file)])
        } catch {
            throw ProblemList([TableProblem(location: "\(file):1:1", message: "YAML không hợp lệ: \(error)")])
        }
    }

    static func yamlProblem(_ error: YamlError, file: String) -> TableProblem {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return TableProblem(location: "\(file):\(mark.line):\(mark.column)", message: "YAML không hợp lệ: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return TableProblem(location: "\(file):\(context.mark.line):\(context.mark.column)", message: "trường lặp lại: \(duplicates.joined(separator: ", "))")
        default:
            return TableProblem(location: "\(file):1:1", message: "YAML không hợp lệ: \(error)")
        }
    }
}

/// Walks the YAML nodes, collecting every problem with its position.
struct YAMLReader {
    let file: String
    var problems: [TableProblem] = []
    var codes: [String: String] = [:]

    init(file: String) { self.file = file }

    func at(_ node: Node) -> String {
        guard let mark = node.mark else { return "\(file):1:1" }
        return "\(file):\(mark.line):\(mark.column)"
    }

    mutating func fail(_ node: Node, _ field: String, _ message: String) {
        problems.append(TableProblem(location: at(node), message: "trường \"\(field)\": \(message)"))
    }

    /// The mapping's fields by name, reporting unknown ones.
    mutating func fields(_ node: Node, _ context: String, allowed: Set<String>) -> [String: Node]? {
        guard let mapping = node.mapping else {
            problems.append(TableProblem(location: at(node), message: "\(context): cần một ánh xạ (các cặp tên: giá trị)"))
            return nil
        }
        var out: [String: Node] = [:]
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            if !allowed.contains(name) {
                problems.append(TableProblem(location: at(key), message: "\(context): trường không được hỗ trợ \"\(name)\" (được phép: \(allowed.sorted().joined(separator: ", ")))"))
                continue
            }
            out[name] = value
        }
        return out
    }

    mutating func string(_ f: [String: Node], _ name: String, required: Bool, in node: Node) -> String? {
        guard let value = f[name] else {
            if required { fail(node, name, "bắt buộc nhưng không có") }
            return nil
        }
        guard let s = value.scalar?.string else { fail(value, name, "cần một chuỗi"); return nil }
        let t = VietnameseText.normalized(s.trimmingCharacters(in: .whitespacesAndNewlines))
        if required && t.isEmpty { fail(value, name, "không được để trống") }
        return t
    }

    mutating func number(_ value: Node, _ name: String) -> ScaledDecimal? {
        guard let s = value.scalar?.string else { fail(value, name, "cần một số"); return nil }
        let parts = s.split(separator: "/")
        if parts.count == 2 {
            guard case .success(let n) = WrittenNumber.parse(parts[0]), case .success(let d) = WrittenNumber.parse(parts[1]), d.value.micros > 0 else {
                fail(value, name, "\"\(s)\" không phải phân số hợp lệ"); return nil
            }
            return n.value.multiplied(by: ScaledDecimal(1), dividedBy: d.value)
        }
        switch WrittenNumber.parse(s) {
        case .success(let n): return n.value
        case .failure(let e): fail(value, name, e.message(for: s)); return nil
        }
    }

    mutating func integer(_ f: [String: Node], _ name: String, in node: Node) -> Int? {
        guard let value = f[name] else { fail(node, name, "bắt buộc nhưng không có"); return nil }
        guard let s = value.scalar?.string, let i = Int(s) else { fail(value, name, "cần một số nguyên"); return nil }
        return i
    }

    mutating func framework(_ root: Node) -> Framework? {
        let allowed: Set = ["schema", "id", "title", "level", "year", "version", "source", "provenance", "method",
                            "display", "bands", "distribution_edges", "tree", "checks"]
        guard let f = fields(root, "bộ chỉ số", allowed: allowed) else { return nil }
        if let schema = string(f, "schema", required: true, in: root), schema != FrameworkLoader.schema {
            fail(f["schema"]!, "schema", "\"\(schema)\" không được hỗ trợ; cần \"\(FrameworkLoader.schema)\"")
        }
        let id = string(f, "id", required: true, in: root) ?? ""
        let title = string(f, "title", required: true, in: root) ?? ""
        let level = string(f, "level", required: true, in: root) ?? ""
        if !["province", "department", "district", "commune"].contains(level) && !level.isEmpty {
            fail(f["level"]!, "level", "\"\(level)\" không hợp lệ; dùng province, department, district hoặc commune")
        }
        let year = integer(f, "year", in: root) ?? 0
        let written = integer(f, "version", in: root)   // nil: missing or not an integer, refused already
        if let written, !(1...FrameworkLoader.maxVersion).contains(written) {
            fail(f["version"]!, "version", "\(written) không hợp lệ; phiên bản là số nguyên từ 1 đến \(FrameworkLoader.maxVersion)")
        }
        let version = written ?? 0
        var method = IndexMethod.raw
        if let m = string(f, "method", required: true, in: root) {
            if let parsed = IndexMethod(rawValue: m) { method = parsed } else {
                fail(f["method"]!, "method", "\"\(m)\" không hợp lệ; dùng raw, fraction, percent hoặc weighted")
            }
        }
        var display = DisplayStyle.default(for: method)
        if let node = f["display"], let d = fields(node, "display", allowed: ["decimals", "trim_zeros", "separator"]) {
            if let v = d["decimals"] {
                if let s = v.scalar?.string, let n = Int(s), (0...6).contains(n) { display.decimals = n } else { fail(v, "display.decimals", "cần số nguyên 0…6") }
            }
            if let v = d["trim_zeros"] {
                if let b = v.bool { display.trimZeros = b } else { fail(v, "display.trim_zeros", "cần true hoặc false") }
            }
            if let v = d["separator"] {
                if let s = v.scalar?.string, s == "," || s == "." { display.separator = Character(s) } else { fail(v, "display.separator", "cần \",\" hoặc \".\"") }
            }
        }
        var bands: [Band] = []
        if let node = f["bands"] {
            if let seq = node.sequence {
                for item in seq {
                    guard let b = fields(item, "bands", allowed: ["name", "min"]) else { continue }
                    let name = string(b, "name", required: true, in: item) ?? ""
                    guard let minNode = b["min"] else { fail(item, "bands.min", "bắt buộc nhưng không có"); continue }
                    if let min = number(minNode, "bands.min") {
                        if min > ScaledDecimal(100) { fail(minNode, "bands.min", "ngưỡng là % điểm tối đa, không quá 100") }
                        bands.append(Band(name: name, minPercent: min))
                    }
                }
            } else { fail(node, "bands", "cần một danh sách") }
        }
        var edges = [ScaledDecimal(80), ScaledDecimal(50)]
        if let node = f["distribution_edges"] {
            if let seq = node.sequence { edges = seq.compactMap { number($0, "distribution_edges") } } else { fail(node, "distribution_edges", "cần một danh sách") }
        }
        var roots: [FrameworkNode] = []
        if let tree = f["tree"] {
            if let seq = tree.sequence, !seq.isEmpty {
                roots = seq.compactMap { self.node($0) }
            } else { fail(tree, "tree", "cần một danh sách không rỗng các nút") }
        } else { fail(root, "tree", "bắt buộc nhưng không có") }
        var checks: [ConsistencyCheck] = []
        if let node = f["checks"] {
            for item in node.sequence ?? [] {
                if let c = check(item, leaves: Set(Framework.leafCodes(roots))) { checks.append(c) }
            }
            if node.sequence == nil { fail(node, "checks", "cần một danh sách") }
        }
        return Framework(
            id: id, title: title, level: level, year: year, version: version,
            source: string(f, "source", required: false, in: root),
            provenance: string(f, "provenance", required: false, in: root),
            method: method, display: display, bands: bands, distributionEdges: edges,
            roots: roots, checks: checks)
    }

    static let kindKeys: [String: NodeKind] = [
        "pillar": .pillar, "group": .group, "index": .mainIndex, "component": .component, "criterion": .criterion,
    ]

    mutating func node(_ yaml: Node) -> FrameworkNode? {
        let allowed = Set(Self.kindKeys.keys).union(["name", "max", "weight", "rule", "evidence", "data_source",
                                                      "verifying_unit", "applies", "range", "note", "feed", "children"])
        guard let f = fields(yaml, "nút", allowed: allowed) else { return nil }
        let kinds = Self.kindKeys.filter { f[$0.key] != nil }
        guard kinds.count == 1, let (kindKey, kind) = kinds.first else {
            problems.append(TableProblem(location: at(yaml), message: "mỗi nút cần đúng một trong các trường pillar, group, index, component, criterion (mã của nút)"))
            return nil
        }
        let code = string(f, kindKey, required: true, in: yaml) ?? ""
        if let previous = codes[code] {
            fail(f[kindKey]!, kindKey, "mã \"\(code)\" đã dùng ở \(previous)")
        } else {
            codes[code] = at(f[kindKey]!)
        }
        let name = string(f, "name", required: true, in: yaml) ?? ""
        var children: [FrameworkNode] = []
        if let c = f["children"] {
            if let seq = c.sequence, !seq.isEmpty { children = seq.compactMap { self.node($0) } } else { fail(c, "children", "cần một danh sách không rỗng") }
        }
        let childSum = children.reduce(ScaledDecimal.zero) { $0 + $1.max }
        var max = childSum
        if let m = f["max"] {
            if let v = number(m, "max") {
                max = v
                if !children.isEmpty && v != childSum {
                    fail(m, "max", "nút \(code) ghi \(v) điểm nhưng các nút con cộng lại \(childSum)")
                }
            }
        } else if children.isEmpty {
            fail(yaml, "max", "nút lá \(code) cần điểm tối đa")
        }
        var rule: Rule?
        if let r = f["rule"] {
            if !children.isEmpty { fail(r, "rule", "nút \(code) có nút con nên không có cách tính điểm riêng") }
            rule = self.rule(r, max: max, code: code)
        } else if children.isEmpty {
            fail(yaml, "rule", "nút lá \(code) cần cách tính điểm (rule)")
        }
        var applicability = Applicability.always
        if let a = f["applies"], let af = fields(a, "applies", allowed: ["except_tags", "not_deployed"]) {
            if let tags = af["except_tags"] {
                if let seq = tags.sequence { applicability.exceptTags = Set(seq.compactMap { $0.scalar?.string }) } else { fail(tags, "applies.except_tags", "cần danh sách nhãn") }
            }
            if let nd = af["not_deployed"] {
                if let b = nd.bool { applicability.notDeployed = b } else { fail(nd, "applies.not_deployed", "cần true hoặc false") }
            }
        }
        var range: ClosedRange<ScaledDecimal>?
        if let r = f["range"] {
            if let seq = r.sequence, seq.count == 2, let lo = number(seq[0], "range"), let hi = number(seq[1], "range") {
                if lo <= hi { range = lo...hi } else { fail(r, "range", "giới hạn dưới lớn hơn giới hạn trên") }
            } else { fail(r, "range", "cần [nhỏ nhất, lớn nhất]") }
        }
        var feed: FeedBinding?
        if let node = f["feed"] {
            feed = self.feedBinding(node)
            if !children.isEmpty { fail(node, "feed", "nút \(code) có nút con; chỉ nút lá được lấy từ nguồn dữ liệu") }
            if let rule, !FeedBinding.accepts(rule) {
                fail(node, "feed", "tiêu chí \(code) tính điểm kiểu \(rule.typeName): chỉ tiêu chí kiểu tiers hoặc capped_count (một con số) lấy được từ nguồn dữ liệu")
            }
        }
        return FrameworkNode(
            kind: kind, code: code, name: name, max: max,
            weight: f["weight"].flatMap { number($0, "weight") },
            rule: rule,
            evidence: string(f, "evidence", required: false, in: yaml),
            dataSource: string(f, "data_source", required: false, in: yaml),
            verifyingUnit: string(f, "verifying_unit", required: false, in: yaml),
            applicability: applicability, inputRange: range,
            note: string(f, "note", required: false, in: yaml),
            feed: feed,
            children: children)
    }

    /// `feed: {key: dvc-766, field: cong_khai, combine: latest}`. Whether the feed and
    /// its field exist is checked where feeds are known (`FeedCatalog.check`).
    mutating func feedBinding(_ yaml: Node) -> FeedBinding? {
        guard let f = fields(yaml, "feed", allowed: ["key", "field", "combine"]) else { return nil }
        let key = string(f, "key", required: true, in: yaml) ?? ""
        let field = string(f, "field", required: true, in: yaml) ?? ""
        var combine = FeedBinding.Combine.latest
        if let c = string(f, "combine", required: false, in: yaml) {
            if let parsed = FeedBinding.Combine(rawValue: c) { combine = parsed } else {
                fail(f["combine"]!, "feed.combine", "\"\(c)\" không hợp lệ; dùng latest, mean hoặc sum")
            }
        }
        guard !key.isEmpty, !field.isEmpty else { return nil }
        return FeedBinding(feed: key, field: field, combine: combine)
    }

    mutating func rule(_ yaml: Node, max: ScaledDecimal, code: String) -> Rule? {
        let allowed: Set = ["type", "tiers", "a", "b", "when_b_is_zero", "options", "parts", "per_item", "rubric"]
        guard let f = fields(yaml, "rule", allowed: allowed) else { return nil }
        guard let type = string(f, "type", required: true, in: yaml) else { return nil }
        switch type {
        case "yes_no":
            return .yesNo
        case "tiers":
            guard let seq = f["tiers"]?.sequence, !seq.isEmpty else { fail(yaml, "rule.tiers", "cần danh sách bậc {at_least, points}"); return nil }
            var tiers: [Tier] = []
            for item in seq {
                guard let t = fields(item, "rule.tiers", allowed: ["at_least", "points"]),
                      let a = t["at_least"], let p = t["points"] else { fail(item, "rule.tiers", "mỗi bậc cần at_least và points"); continue }
                guard let atLeast = number(a, "rule.tiers.at_least"), let points = number(p, "rule.tiers.points") else { continue }
                if points > max { fail(p, "rule.tiers.points", "\(points) vượt điểm tối đa \(max) của \(code)") }
                if let last = tiers.last, atLeast >= last.atLeast { fail(a, "rule.tiers.at_least", "các bậc phải xếp giảm dần") }
                tiers.append(Tier(atLeast: atLeast, points: points))
            }
            return .tiers(tiers)
        case "ratio":
            var zero = RatioRule.ZeroDenominator.zero
            if let z = string(f, "when_b_is_zero", required: false, in: yaml) {
                if let parsed = RatioRule.ZeroDenominator(rawValue: z) { zero = parsed } else { fail(f["when_b_is_zero"]!, "rule.when_b_is_zero", "dùng full, zero hoặc not_applicable") }
            }
            return .ratio(RatioRule(
                numerator: string(f, "a", required: true, in: yaml) ?? "",
                denominator: string(f, "b", required: true, in: yaml) ?? "",
                whenDenominatorIsZero: zero))
        case "choice", "parts":
            let key = type == "choice" ? "options" : "parts"
            guard let seq = f[key]?.sequence, !seq.isEmpty else { fail(yaml, "rule.\(key)", "cần danh sách {key, label, fraction}"); return nil }
            var options: [RuleOption] = []
            for item in seq {
                guard let o = fields(item, "rule.\(key)", allowed: ["key", "label", "fraction"]) else { continue }
                let k = string(o, "key", required: true, in: item) ?? ""
                let label = string(o, "label", required: true, in: item) ?? ""
                guard let fr = o["fraction"] else { fail(item, "rule.\(key).fraction", "bắt buộc nhưng không có"); continue }
                guard let fraction = number(fr, "rule.\(key).fraction") else { continue }
                if fraction > ScaledDecimal(1) { fail(fr, "rule.\(key).fraction", "phần điểm phải từ 0 đến 1") }
                if options.contains(where: { $0.key == k }) { fail(item, "rule.\(key).key", "khóa \"\(k)\" lặp lại") }
                options.append(RuleOption(key: k, label: label, fraction: fraction))
            }
            if type == "parts", options.reduce(ScaledDecimal.zero, { $0 + $1.fraction }) > ScaledDecimal(1) {
                fail(f[key]!, "rule.parts", "tổng các phần vượt 1 (điểm tối đa)")
            }
            return type == "choice" ? .choice(options) : .parts(options)
        case "capped_count":
            guard let p = f["per_item"] else { fail(yaml, "rule.per_item", "bắt buộc nhưng không có"); return nil }
            return number(p, "rule.per_item").map { .cappedCount(perItem: $0) }
        case "manual":
            return .manual(rubric: string(f, "rubric", required: false, in: yaml))
        default:
            fail(f["type"]!, "rule.type", "\"\(type)\" không hợp lệ; dùng yes_no, tiers, ratio, choice, parts, capped_count hoặc manual")
            return nil
        }
    }

    mutating func check(_ yaml: Node, leaves: Set<String>) -> ConsistencyCheck? {
        guard let f = fields(yaml, "checks", allowed: ["left", "op", "right", "severity", "message"]) else { return nil }
        let l = string(f, "left", required: true, in: yaml).flatMap(InputReference.init(parsing:))
        let r = string(f, "right", required: true, in: yaml).flatMap(InputReference.init(parsing:))
        let opText = string(f, "op", required: true, in: yaml) ?? ""
        let op = ConsistencyCheck.Comparison(rawValue: opText)
        if op == nil, f["op"] != nil { fail(f["op"]!, "checks.op", "dùng <=, <, ==, >= hoặc >") }
        var severity = ConsistencyCheck.Severity.error
        if let s = string(f, "severity", required: false, in: yaml) {
            if let parsed = ConsistencyCheck.Severity(rawValue: s) { severity = parsed } else { fail(f["severity"]!, "checks.severity", "dùng error hoặc warning") }
        }
        let message = string(f, "message", required: true, in: yaml) ?? ""
        for (side, ref) in [("left", l), ("right", r)] {
            if let ref, !leaves.contains(ref.criterion) { fail(f[side]!, "checks.\(side)", "không có tiêu chí \"\(ref.criterion)\" trong bộ chỉ số") }
        }
        guard let l, let r, let op else { return nil }
        return ConsistencyCheck(left: l, comparison: op, right: r, severity: severity, message: message)
    }
}

extension Framework {
    /// Codes of every leaf under `roots`.
    static func leafCodes(_ roots: [FrameworkNode]) -> [String] {
        roots.flatMap { $0.isLeaf ? [$0.code] : leafCodes($0.children) }
    }
}
