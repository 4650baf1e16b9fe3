import Foundation

/// ZIP archives as Office files use them (ADR 0010): written with stored
/// entries, read with stored or deflated entries. No encryption, no ZIP64.
public enum Zip {
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
    }

    /// An archive of `entries` (path, bytes), in order. The same entries give
    /// the same bytes: every timestamp is 1980-01-01.
    public static func archive(_ entries: [(path: String, data: Data)]) -> Data {
        var out = Data()
        var central = Data()
        for entry in entries {
            let name = Array(entry.path.utf8)
            let crc = CRC32.checksum(entry.data)
            let offset = UInt32(out.count)
            out.append(le32: 0x0403_4B50)
            out.append(le16: 20)            // version needed
            out.append(le16: 0x0800)        // UTF-8 names
            out.append(le16: 0)             // stored
            out.append(le16: 0)             // time
            out.append(le16: 0x0021)        // date 1980-01-01
            out.append(le32: crc)
            out.append(le32: UInt32(entry.data.count))
            out.append(le32: UInt32(entry.data.count))
            out.append(le16: UInt16(name.count))
            out.append(le16: 0)
            out.append(contentsOf: name)
            out.append(entry.data)

            central.append(le32: 0x0201_4B50)
            central.append(le16: 20)        // made by
            central.append(le16: 20)
            central.append(le16: 0x0800)
            central.append(le16: 0)
            central.append(le16: 0)
            central.append(le16: 0x0021)
            central.append(le32: crc)
            central.append(le32: UInt32(entry.data.count))
            central.append(le32: UInt32(entry.data.count))
            central.append(le16: UInt16(name.count))
            central.append(le16: 0)         // extra
            central.append(le16: 0)         // comment
            central.append(le16: 0)         // disk
            central.append(le16: 0)         // internal attributes
            central.append(le32: 0)         // external attributes
            central.append(le32: offset)
            central.append(contentsOf: name)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        out.append(le32: 0x0605_4B50)
        out.append(le16: 0)
        out.append(le16: 0)
        out.append(le16: UInt16(entries.count))
        out.append(le16: UInt16(entries.count))
        out.append(le32: UInt32(central.count))
        out.append(le32: centralOffset)
        out.append(le16: 0)
        return out
    }

    /// The entries of an archive, by path. Refuses what it cannot read
    /// safely: encrypted or ZIP64 entries, more than `maxTotal` bytes once
    /// expanded (a guard against ZIP bombs), a checksum that does not match.
    public static func entries(of data: Data, maxTotal: Int = 64 << 20) throws -> [String: Data] {
        let bytes = [UInt8](data)
        func u16(_ i: Int) throws -> Int {
            guard i >= 0, i + 2 <= bytes.count else { throw Problem(message: "tệp ZIP bị cắt cụt") }
            return Int(bytes[i]) | Int(bytes[i + 1]) << 8
        }
        func u32(_ i: Int) throws -> Int { try u16(i) | (u16(i + 2) << 16) }
        guard bytes.count >= 22 else { throw Problem(message: "không phải tệp ZIP/Office (quá ngắn)") }
        var end = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65_535) {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06 { end = i; break }
            i -= 1
        }
        guard end >= 0 else { throw Problem(message: "không phải tệp ZIP/Office (thiếu mục lục)") }
        let count = try u16(end + 10)
        var at = try u32(end + 16)
        var result: [String: Data] = [:]
        var total = 0
        for _ in 0..<count {
            guard try u32(at) == 0x0201_4B50 else { throw Problem(message: "mục lục ZIP hỏng") }
            let flags = try u16(at + 8), method = try u16(at + 10)
            let crc = UInt32(try u32(at + 16)), compressed = try u32(at + 20), size = try u32(at + 24)
            let nameLength = try u16(at + 28), extraLength = try u16(at + 30), commentLength = try u16(at + 32)
            let local = try u32(at + 42)
            guard at + 46 + nameLength <= bytes.count else { throw Problem(message: "mục lục ZIP hỏng") }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            at += 46 + nameLength + extraLength + commentLength
            if flags & 1 != 0 { throw Problem(message: "tệp có mật khẩu (\(name)); hãy bỏ mật khẩu rồi tải lên lại") }
            if compressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF { throw Problem(message: "tệp quá lớn (ZIP64)") }
            total += size
            if total > maxTotal { throw Problem(message: "nội dung giải nén vượt \(maxTotal >> 20) MB") }
            guard try u32(local) == 0x0403_4B50 else { throw Problem(message: "mục \(name) hỏng") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start + compressed <= bytes.count else { throw Problem(message: "mục \(name) bị cắt cụt") }
            let raw = bytes[start..<(start + compressed)]
            let content: [UInt8]
            switch method {
            case 0: content = Array(raw)
            case 8:
                do { content = try Inflate.decompress(Array(raw), limit: size) }
                catch { throw Problem(message: "mục \(name) hỏng (\(error))") }
            default: throw Problem(message: "mục \(name) nén theo cách không hỗ trợ (\(method))")
            }
            guard content.count == size, CRC32.checksum(content) == crc else { throw Problem(message: "mục \(name) sai mã kiểm tra") }
            result[name] = Data(content)
        }
        return result
    }
}

enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

extension Data {
    mutating func append(le16 v: UInt16) { append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8)]) }
    mutating func append(le32 v: UInt32) { append(contentsOf: [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]) }
}
