import DTICore

/// A JSON value written by hand so that numbers come out exactly as computed
/// (0.91507, never 0.91507000000000001) and keys keep their order.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(ScaledDecimal)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func number(_ value: ScaledDecimal?) -> JSONValue { value.map { .number($0) } ?? .null }
    public static func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }

    /// Pretty-printed with two-space indentation.
    public func serialized(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1)
        let close = String(repeating: "  ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d): return d.formatted(decimals: d.significantDecimals, separator: ".")
        case .string(let s): return Self.quote(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { pad + $0.serialized(indent: indent + 1) }.joined(separator: ",\n") + "\n\(close)]"
        case .object(let pairs):
            if pairs.isEmpty { return "{}" }
            return "{\n" + pairs.map { pad + Self.quote($0.0) + ": " + $0.1.serialized(indent: indent + 1) }.joined(separator: ",\n") + "\n\(close)}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
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
        return out + "\""
    }
}
