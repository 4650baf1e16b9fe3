import DTICore
import Foundation
import Yams

/// Reads feed files (`feeds/*.yaml`, schema `opendti.feed/1`, documented in
/// docs/FRAMEWORK-FORMAT.md) with the framework loader's rules: every error
/// names the file, the line, the column and the field; unknown fields are errors.
public enum FeedLoader {
    public static let schema = "opendti.feed/1"

    public static func load(path: String) throws(ProblemList) -> Feed {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProblemList([TableProblem(location: path, message: "không đọc được tệp nguồn dữ liệu (không tồn tại hoặc không có quyền đọc)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProblemList([TableProblem(location: "\(path):1:1", message: "tệp nguồn dữ liệu không phải văn bản UTF-8")])
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ProblemList) -> Feed {
        let root = try FrameworkLoader.compose(text, file: file, empty: "tệp nguồn dữ liệu trống")
        var reader = YAMLReader(file: file)
        let feed = reader.feed(root)
        if !reader.problems.isEmpty { throw ProblemList(reader.problems) }
        return feed!
    }

    /// Every `*.yaml` feed of a folder, by key; every problem of every file together.
    public static func loadDirectory(_ directory: String) throws(ProblemList) -> [Feed] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var feeds: [Feed] = []
        var problems: [TableProblem] = []
        var files: [String: String] = [:]
        for name in names {
            let path = directory + "/" + name
            do throws(ProblemList) {
                let feed = try load(path: path)
                if let other = files[feed.key] {
                    problems.append(TableProblem(location: "\(path):1:1", message: "nguồn dữ liệu \"\(feed.key)\" đã có ở \(other)"))
                } else {
                    files[feed.key] = path
                    feeds.append(feed)
                }
            } catch { problems += error.problems }
        }
        if !problems.isEmpty { throw ProblemList(problems) }
        return feeds
    }

    /// The problems of `framework`'s feed bindings against the known feeds: an unknown feed or field.
    public static func check(_ framework: Framework, feeds: [Feed], file: String) -> [TableProblem] {
        var problems: [TableProblem] = []
        for node in framework.allNodes {
            guard let binding = node.feed else { continue }
            guard let feed = feeds.first(where: { $0.key == binding.feed }) else {
                let known = feeds.map(\.key).sorted().joined(separator: ", ")
                problems.append(TableProblem(location: file, message: "tiêu chí \(node.code): không có nguồn dữ liệu \"\(binding.feed)\" (đang có: \(known.isEmpty ? "không có" : known))"))
                continue
            }
            if feed.field(binding.field) == nil {
                problems.append(TableProblem(location: file, message: "tiêu chí \(node.code): nguồn \"\(feed.key)\" không có trường \"\(binding.field)\" (có: \(feed.fields.map(\.key).joined(separator: ", ")))"))
            }
        }
        return problems
    }
}

extension YAMLReader {
    mutating func feed(_ root: Node) -> Feed? {
        let allowed: Set = ["schema", "key", "name", "publisher", "legal_basis", "provenance", "version", "granularity", "units",
                            "source", "fields", "alert_drop"]
        guard let f = fields(root, "nguồn dữ liệu", allowed: allowed) else { return nil }
        if let schema = string(f, "schema", required: true, in: root), schema != FeedLoader.schema {
            fail(f["schema"]!, "schema", "\"\(schema)\" không được hỗ trợ; cần \"\(FeedLoader.schema)\"")
        }
        let key = string(f, "key", required: true, in: root) ?? ""
        if !key.isEmpty, !key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            fail(f["key"]!, "key", "\"\(key)\" chỉ được gồm chữ không dấu, số, \"-\" và \"_\" (dùng trong địa chỉ)")
        }
        let name = string(f, "name", required: true, in: root) ?? ""
        let publisher = string(f, "publisher", required: true, in: root) ?? ""
        let legalBasis = string(f, "legal_basis", required: true, in: root) ?? ""
        let version = integer(f, "version", in: root) ?? 0
        if f["version"] != nil, version < 1 { fail(f["version"]!, "version", "phiên bản là số nguyên từ 1") }
        var granularity = FeedGranularity.month
        if let g = string(f, "granularity", required: true, in: root) {
            if let parsed = FeedGranularity(rawValue: g) { granularity = parsed } else {
                fail(f["granularity"]!, "granularity", "\"\(g)\" không hợp lệ; dùng month, quarter hoặc year")
            }
        }
        var identification = UnitIdentification.code
        if let u = string(f, "units", required: false, in: root) {
            if let parsed = UnitIdentification(rawValue: u) { identification = parsed } else {
                fail(f["units"]!, "units", "\"\(u)\" không hợp lệ; dùng code (mã, nếu không có thì tên) hoặc name")
            }
        }
        var feedFields: [FeedField] = []
        if let node = f["fields"] {
            if let seq = node.sequence, !seq.isEmpty {
                for item in seq {
                    guard let field = feedField(item) else { continue }
                    if feedFields.contains(where: { $0.key == field.key }) {
                        fail(item, "fields.key", "trường \"\(field.key)\" lặp lại")
                    } else if ["unit", "period"].contains(field.key) {
                        fail(item, "fields.key", "\"\(field.key)\" là tên cột dành cho đơn vị và kỳ; đặt tên khác")
                    } else {
                        feedFields.append(field)
                    }
                }
            } else { fail(node, "fields", "cần một danh sách không rỗng các trường") }
        } else { fail(root, "fields", "bắt buộc nhưng không có") }
        var source = FeedSource.upload
        if let node = f["source"] { source = feedSource(node) ?? .upload } else { fail(root, "source", "bắt buộc nhưng không có") }
        let alertDrop = f["alert_drop"].flatMap { number($0, "alert_drop") }
        return Feed(key: key, name: name, publisher: publisher, legalBasis: legalBasis,
                    provenance: string(f, "provenance", required: false, in: root), version: version,
                    granularity: granularity, identification: identification, fields: feedFields, source: source, alertDrop: alertDrop)
    }

    mutating func feedField(_ yaml: Node) -> FeedField? {
        guard let f = fields(yaml, "fields", allowed: ["key", "name", "type", "unit", "min", "max"]) else { return nil }
        let key = string(f, "key", required: true, in: yaml) ?? ""
        let name = string(f, "name", required: true, in: yaml) ?? ""
        var kind = FeedField.Kind.number
        if let t = string(f, "type", required: true, in: yaml) {
            if let parsed = FeedField.Kind(rawValue: t) { kind = parsed } else {
                fail(f["type"]!, "fields.type", "\"\(t)\" không hợp lệ; dùng number, integer hoặc percent")
            }
        }
        let min = f["min"].flatMap { number($0, "fields.min") }
        let max = f["max"].flatMap { number($0, "fields.max") }
        if let min, let max, min > max { fail(f["min"]!, "fields.min", "mức thấp nhất lớn hơn mức cao nhất") }
        guard !key.isEmpty else { return nil }
        return FeedField(key: key, name: name, kind: kind, unit: string(f, "unit", required: false, in: yaml), min: min, max: max)
    }

    mutating func feedSource(_ yaml: Node) -> FeedSource? {
        guard let f = fields(yaml, "source", allowed: ["type", "url", "format", "every_minutes", "timeout_seconds", "header", "token_env"]) else { return nil }
        guard let type = string(f, "type", required: true, in: yaml) else { return nil }
        switch type {
        case "upload":
            for extra in ["url", "format", "every_minutes", "timeout_seconds", "header", "token_env"] where f[extra] != nil {
                fail(f[extra]!, "source.\(extra)", "chỉ dùng khi type là pull")
            }
            return .upload
        case "pull":
            let url = string(f, "url", required: true, in: yaml) ?? ""
            if let node = f["url"], !url.isEmpty, !Self.pullable(url) {
                fail(node, "source.url", "cần địa chỉ https:// (http:// chỉ cho máy này: localhost, 127.0.0.1)")
            }
            var format = FeedDataFormat.json
            if let t = string(f, "format", required: true, in: yaml) {
                if let parsed = FeedDataFormat(rawValue: t), parsed != .xlsx { format = parsed } else {
                    fail(f["format"]!, "source.format", "\"\(t)\" không hợp lệ; dùng json hoặc csv")
                }
            }
            let every = f["every_minutes"] == nil ? 1440 : (integer(f, "every_minutes", in: yaml) ?? 1440)
            if let node = f["every_minutes"], !(1...44_640).contains(every) { fail(node, "source.every_minutes", "cần số phút từ 1 đến 44640") }
            let timeout = f["timeout_seconds"] == nil ? 30 : (integer(f, "timeout_seconds", in: yaml) ?? 30)
            if let node = f["timeout_seconds"], !(1...300).contains(timeout) { fail(node, "source.timeout_seconds", "cần số giây từ 1 đến 300") }
            let header = string(f, "header", required: false, in: yaml)
            let token = string(f, "token_env", required: false, in: yaml)
            if (header == nil) != (token == nil) {
                fail(yaml, "source.header", "header và token_env đi cùng nhau: tên tiêu đề và biến môi trường chứa mã truy cập")
            }
            return .pull(.init(url: url, format: format, everyMinutes: every, timeoutSeconds: timeout, header: header, tokenVariable: token))
        default:
            fail(f["type"]!, "source.type", "\"\(type)\" không hợp lệ; dùng upload hoặc pull")
            return nil
        }
    }

    /// HTTPS anywhere; plain HTTP only to this machine (the tests' feed server, a local relay).
    static func pullable(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
    }
}
