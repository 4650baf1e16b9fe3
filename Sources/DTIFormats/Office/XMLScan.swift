/// A small XML reader for the parts of Office files OpenDTI reads: elements,
/// attributes and text, with the five named entities and character
/// references. No DTDs (so no entity expansion attacks), no namespaces
/// resolution: names keep their prefix ("r:id").
public struct XMLScan {
    enum Event: Equatable {
        case start(name: String, attributes: [String: String], selfClosing: Bool)
        case end(name: String)
        case text(String)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Each event handed to `visit` as it is read, none kept: memory stays
    /// with what the caller keeps, whatever the document's size (a sheet of
    /// millions of empty cells is not a list of millions of events).
    static func scan(_ bytes: [UInt8], _ visit: (Event) throws -> Void) throws {
        var i = 0
        let n = bytes.count
        func find(_ pattern: [UInt8], from: Int) -> Int? {
            guard pattern.count <= n else { return nil }
            var k = from
            while k + pattern.count <= n {
                if bytes[k] == pattern[0], Array(bytes[k..<(k + pattern.count)]) == pattern { return k }
                k += 1
            }
            return nil
        }
        while i < n {
            if bytes[i] != UInt8(ascii: "<") {
                var j = i
                while j < n, bytes[j] != UInt8(ascii: "<") { j += 1 }
                try visit(.text(try decode(bytes[i..<j])))
                i = j
                continue
            }
            if bytes[i..<min(n, i + 4)].elementsEqual("<!--".utf8) {
                guard let e = find(Array("-->".utf8), from: i + 4) else { throw Failure(description: "chú thích XML không đóng") }
                i = e + 3
            } else if bytes[i..<min(n, i + 9)].elementsEqual("<![CDATA[".utf8) {
                guard let e = find(Array("]]>".utf8), from: i + 9) else { throw Failure(description: "CDATA không đóng") }
                try visit(.text(String(decoding: bytes[(i + 9)..<e], as: UTF8.self)))
                i = e + 3
            } else if i + 1 < n, bytes[i + 1] == UInt8(ascii: "?") || bytes[i + 1] == UInt8(ascii: "!") {
                if bytes[i + 1] == UInt8(ascii: "!") { throw Failure(description: "XML có khai báo DTD; không nhận") }
                guard let e = find(Array("?>".utf8), from: i + 2) else { throw Failure(description: "khai báo XML không đóng") }
                i = e + 2
            } else {
                // A tag: scan to '>' outside quotes.
                var j = i + 1
                var quote: UInt8 = 0
                while j < n {
                    let c = bytes[j]
                    if quote != 0 { if c == quote { quote = 0 } } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c } else if c == UInt8(ascii: ">") { break }
                    j += 1
                }
                guard j < n else { throw Failure(description: "thẻ XML không đóng") }
                var body = Array(bytes[(i + 1)..<j])
                i = j + 1
                if body.first == UInt8(ascii: "/") {
                    try visit(.end(name: String(decoding: body.dropFirst(), as: UTF8.self).trimmingSpaces))
                    continue
                }
                let selfClosing = body.last == UInt8(ascii: "/")
                if selfClosing { body.removeLast() }
                try visit(try tag(body, selfClosing: selfClosing))
            }
        }
    }

    static func tag(_ body: [UInt8], selfClosing: Bool) throws -> Event {
        var k = 0
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        while k < body.count, !isSpace(body[k]) { k += 1 }
        let name = String(decoding: body[0..<k], as: UTF8.self)
        var attributes: [String: String] = [:]
        while k < body.count {
            while k < body.count, isSpace(body[k]) { k += 1 }
            guard k < body.count else { break }
            let nameStart = k
            while k < body.count, body[k] != UInt8(ascii: "="), !isSpace(body[k]) { k += 1 }
            let attribute = String(decoding: body[nameStart..<k], as: UTF8.self)
            while k < body.count, isSpace(body[k]) || body[k] == UInt8(ascii: "=") { k += 1 }
            guard k < body.count, body[k] == UInt8(ascii: "\"") || body[k] == UInt8(ascii: "'") else {
                throw Failure(description: "thuộc tính \(attribute) của thẻ \(name) không có giá trị")
            }
            let quote = body[k]
            k += 1
            let valueStart = k
            while k < body.count, body[k] != quote { k += 1 }
            attributes[attribute] = try decode(body[valueStart..<k])
            k += 1
        }
        return .start(name: name, attributes: attributes, selfClosing: selfClosing)
    }

    static func decode(_ raw: ArraySlice<UInt8>) throws -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        var k = raw.startIndex
        while k < raw.endIndex {
            guard raw[k] == UInt8(ascii: "&") else { out.append(raw[k]); k += 1; continue }
            guard let semi = raw[k...].firstIndex(of: UInt8(ascii: ";")), semi - k <= 10 else { throw Failure(description: "tham chiếu ký tự XML hỏng") }
            let entity = String(decoding: raw[(k + 1)..<semi], as: UTF8.self)
            let scalar: Unicode.Scalar?
            switch entity {
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "amp": scalar = "&"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if entity.hasPrefix("#x") { scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                else if entity.hasPrefix("#") { scalar = UInt32(entity.dropFirst(1)).flatMap(Unicode.Scalar.init) }
                else { scalar = nil }
            }
            guard let scalar else { throw Failure(description: "thực thể XML \"&\(entity);\" không hỗ trợ") }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
            k = semi + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Text for an XML document: the five characters escaped, and the
    /// control characters XML 1.0 forbids dropped.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
