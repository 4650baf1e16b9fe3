import DTICore

/// A JSON value written by hand so that numbers come out exactly as computed
/// (0.91507, never 0.91507000000000001) and keys keep their order.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(ScaledDecimal)
    /// A number with the decimals it was written with ("127.00").
    case written(WrittenNumber)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func number(_ value: ScaledDecimal?) -> JSONValue { value.map { .number($0) } ?? .null }
    public static func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    public static func written(_ value: WrittenNumber?) -> JSONValue { value.map { .written($0) } ?? .null }

    // MARK: Reading

    /// The value of `key` in an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }
    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .written(let n) where n.value.significantDecimals == 0: return Int(exactly: n.value.micros / ScaledDecimal.unit)
        default: return nil
        }
    }
    /// A number exactly as written (the decimals it was written with kept).
    public var writtenNumber: WrittenNumber? {
        switch self {
        case .int(let i): return WrittenNumber(value: ScaledDecimal(micros: Int64(i) * ScaledDecimal.unit), decimals: 0)
        case .written(let n): return n
        case .number(let d): return WrittenNumber(value: d, decimals: d.significantDecimals)
        default: return nil
        }
    }
    public var decimal: ScaledDecimal? { writtenNumber?.value }

    /// Pretty-printed with two-space indentation.
    public func serialized(indent: Int = 0) -> String {
        var out = ""
        write(into: &out, indent: indent)
        return out
    }

    /// Appends the pretty-printed text to `out`: one buffer for the whole
    /// document (a 4,000-unit ranking is 2.6 MB; joining each level's
    /// strings copied it once per level of nesting).
    public func write(into out: inout String, indent: Int = 0) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let d): out += d.formatted(decimals: d.significantDecimals, separator: ".")
        case .written(let n): out += n.value.formatted(decimals: n.decimals, separator: ".")
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (n, item) in items.enumerated() {
                if n > 0 { out += ",\n" }
                Self.pad(&out, indent + 1)
                item.write(into: &out, indent: indent + 1)
            }
            out += "\n"
            Self.pad(&out, indent)
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{\n"
            for (n, pair) in pairs.enumerated() {
                if n > 0 { out += ",\n" }
                Self.pad(&out, indent + 1)
                Self.quote(pair.0, into: &out)
                out += ": "
                pair.1.write(into: &out, indent: indent + 1)
            }
            out += "\n"
            Self.pad(&out, indent)
            out += "}"
        }
    }

    private static func pad(_ out: inout String, _ indent: Int) {
        for _ in 0..<indent { out += "  " }
    }

    static func quote(_ s: String) -> String {
        var out = ""
        quote(s, into: &out)
        return out
    }

    public static func quote(_ s: String, into out: inout String) {
        out += "\""
        // Most strings need no escape: appended whole.
        if !s.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// Why a JSON text could not be read: where, and what was expected.
public struct JSONReadError: Error, CustomStringConvertible, Equatable {
    public var offset: Int
    public var message: String
    public var description: String { "byte \(offset): \(message)" }
}

extension JSONValue {
    /// Reads JSON exactly: numbers keep their written decimals and are never
    /// routed through binary floating point; nesting is limited to 64 levels
    /// and every number to what `WrittenNumber` accepts, so a hostile file
    /// costs time and memory in proportion to its size only.
    public static func parse(_ bytes: [UInt8]) throws(JSONReadError) -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.at == bytes.count else { throw JSONReadError(offset: reader.at, message: "dữ liệu thừa sau giá trị JSON") }
        return value
    }
}

struct JSONReader {
    let bytes: [UInt8]
    var at = 0
    static let maxDepth = 64

    mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }

    func fail(_ message: String) -> JSONReadError { JSONReadError(offset: at, message: message) }

    mutating func literal(_ word: String, _ value: JSONValue) throws(JSONReadError) -> JSONValue {
        let w = Array(word.utf8)
        guard at + w.count <= bytes.count, Array(bytes[at..<(at + w.count)]) == w else { throw fail("cần \(word)") }
        at += w.count
        return value
    }

    mutating func value(depth: Int) throws(JSONReadError) -> JSONValue {
        guard depth < Self.maxDepth else { throw fail("lồng nhau quá \(Self.maxDepth) cấp") }
        guard at < bytes.count else { throw fail("thiếu giá trị") }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            at += 1
            var pairs: [(String, JSONValue)] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
            while true {
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("cần tên trường trong ngoặc kép") }
                let key = try string()
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw fail("cần dấu :") }
                at += 1
                skipSpace()
                pairs.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard at < bytes.count else { throw fail("thiếu }") }
                if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
                throw fail("cần , hoặc }")
            }
        case UInt8(ascii: "["):
            at += 1
            var items: [JSONValue] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard at < bytes.count else { throw fail("thiếu ]") }
                if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                throw fail("cần , hoặc ]")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return try number()
        }
    }

    mutating func number() throws(JSONReadError) -> JSONValue {
        let start = at
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        while at < bytes.count, (0x30...0x39).contains(bytes[at]) || bytes[at] == UInt8(ascii: ".") { at += 1 }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            throw fail("số viết dạng mũ không được dùng cho số liệu công bố")
        }
        let text = String(decoding: bytes[start..<at], as: UTF8.self)
        guard !text.isEmpty, text != "-" else { throw fail("cần một giá trị JSON") }
        if text.hasPrefix("-") {
            // Published figures are never negative; an integer may be (none is today).
            guard let i = Int(text) else { throw fail("số âm \"\(text.excerpt())\" không hợp lệ") }
            return .int(i)
        }
        if !text.contains("."), let i = Int(text), i <= Int(WrittenNumber.largestWhole) { return .int(i) }
        switch WrittenNumber.parse(text) {
        case .success(let n): return .written(n)
        case .failure(let e): throw fail(e.message(for: text))
        }
    }

    mutating func string() throws(JSONReadError) -> String {
        at += 1  // the opening quote
        var out: [UInt8] = []
        while at < bytes.count {
            let b = bytes[at]
            at += 1
            switch b {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw fail("chuỗi bị cắt") }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else { throw fail("thiếu nửa sau của cặp UTF-16") }
                        at += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("cặp UTF-16 không hợp lệ") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("ký tự \\u không hợp lệ") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: out.append(e)
                }
            default:
                guard b >= 0x20 else { throw fail("ký tự điều khiển trong chuỗi") }
                out.append(b)
            }
        }
        throw fail("chuỗi thiếu dấu \" đóng")
    }

    mutating func hex4() throws(JSONReadError) -> UInt32 {
        guard at + 4 <= bytes.count else { throw fail("\\u cần 4 chữ số hex") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[at]
            at += 1
            switch c {
            case 0x30...0x39: v = v * 16 + UInt32(c - 0x30)
            case 0x41...0x46: v = v * 16 + UInt32(c - 0x41 + 10)
            case 0x61...0x66: v = v * 16 + UInt32(c - 0x61 + 10)
            default: throw fail("\\u cần 4 chữ số hex")
            }
        }
        return v
    }
}
