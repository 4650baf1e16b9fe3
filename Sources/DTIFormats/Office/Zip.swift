import DTICore
import Foundation
import ZIPFoundation

/// ZIP archives as Office files use them, through ZIPFoundation (ADR 0013):
/// written deflated and with a fixed timestamp, read with every entry's size
/// bounded while it is expanded (a guard against ZIP bombs) and its checksum
/// checked.
public enum Zip {
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
    }

    /// Every entry dated 1980-01-01, so the same entries give the same bytes.
    static let epoch = Date(timeIntervalSince1970: 315_532_800)

    /// An archive of `entries` (path, bytes), in order.
    public static func archive(_ entries: [(path: String, data: Data)]) -> Data {
        do {
            let archive = try Archive(accessMode: .create)
            for entry in entries {
                let bytes = entry.data
                try archive.addEntry(with: entry.path, type: .file, uncompressedSize: Int64(bytes.count), modificationDate: epoch,
                                     compressionMethod: .deflate) { position, size in
                    bytes.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
            return archive.data ?? Data()
        } catch {
            // Writing to memory fails only if the process is out of memory.
            preconditionFailure("ZIP archive in memory: \(error)")
        }
    }

    /// Stops an expansion past the limit.
    struct TooLarge: Error {}
    /// Stops an expansion the caller no longer wants.
    struct Stopped: Error {}

    /// The refusal of an archive that expands past `limit` bytes.
    static func tooLarge(_ limit: Int) -> String {
        limit >= 1 << 20 ? "nội dung giải nén vượt \(limit >> 20) MB, quá lớn so với kích thước của tệp" : "nội dung giải nén vượt \(limit >> 10) KB, quá lớn so với kích thước của tệp"
    }

    /// The entries of an archive, by path. Refuses what it cannot read
    /// safely: more than `maxTotal` bytes once expanded (counted while
    /// expanding, not taken from the headers), a checksum that does not
    /// match, a structure that points outside the archive. Our walk of the
    /// central directory finds each entry's bytes; ZIPFoundation's zlib
    /// inflater expands them from a provider that never serves a byte past
    /// the entry (ADR 0013: its own reader trapped, and looped for ever, on
    /// archives the fuzzer made).
    /// `shouldStop` is asked between entries and every 64 KB expanded: true
    /// ends the reading (a deadline passed, the request was cancelled).
    public static func entries(of data: Data, maxTotal: Int = 64 << 20, shouldStop: () -> Bool = { false }) throws -> [String: Data] {
        let bytes = [UInt8](data)
        var result: [String: Data] = [:]
        var total = 0
        for entry in try checkStructure(bytes) where !entry.path.hasSuffix("/") {
            if shouldStop() { throw Problem(message: "việc đọc tệp đã dừng") }
            if entry.flags & 1 != 0 { throw Problem(message: "tệp có mật khẩu (\(entry.path.excerpt())); hãy bỏ mật khẩu rồi tải lên lại") }
            let raw = data[(data.startIndex + entry.start)..<(data.startIndex + entry.start + entry.compressed)]
            var content = Data()
            switch entry.method {
            case 0:
                total += raw.count
                if total > maxTotal { throw Problem(message: Self.tooLarge(maxTotal)) }
                content = Data(raw)
            case 8:
                do {
                    _ = try Data.decompress(size: Int64(raw.count), bufferSize: 64 * 1024, skipCRC32: true, provider: { position, size in
                        let from = Int(position)
                        guard from < raw.count else { throw EndOfEntry() }
                        let lower = raw.startIndex + from
                        return Data(raw[lower..<min(lower + size, raw.endIndex)])
                    }, consumer: { chunk in
                        total += chunk.count
                        if total > maxTotal { throw TooLarge() }
                        if shouldStop() { throw Stopped() }
                        content.append(chunk)
                    })
                } catch is TooLarge {
                    throw Problem(message: Self.tooLarge(maxTotal))
                } catch is Stopped {
                    throw Problem(message: "việc đọc tệp đã dừng")
                } catch {
                    throw Problem(message: "mục \(entry.path.excerpt()) hỏng (dữ liệu nén không đọc được)")
                }
            default:
                throw Problem(message: "mục \(entry.path.excerpt()) nén theo cách không hỗ trợ (\(entry.method))")
            }
            guard content.count == entry.size, content.crc32(checksum: 0) == entry.crc else {
                throw Problem(message: "mục \(entry.path.excerpt()) sai mã kiểm tra")
            }
            result[entry.path] = content
        }
        if result.isEmpty { throw Problem(message: "không phải tệp ZIP/Office (không có mục nào)") }
        return result
    }

    /// A deflate stream that does not end within its entry.
    struct EndOfEntry: Error {}

    /// One entry as the central directory and its local header place it.
    struct EntryPlace {
        var path: String
        var flags: Int, method: Int
        var crc: UInt32
        var compressed: Int, size: Int
        /// Offset of the entry's data in the archive.
        var start: Int
    }

    /// Checks what ZIPFoundation takes on trust (found by fuzz/run.sh, ADR
    /// 0013): the end record and every central-directory entry lie inside
    /// the archive, and each entry's local header and data do too. A local
    /// header offset past the end made ZIPFoundation read nothing for ever.
    @discardableResult
    static func checkStructure(_ bytes: [UInt8]) throws -> [EntryPlace] {
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
        guard at <= end else { throw Problem(message: "mục lục ZIP trỏ ra ngoài tệp") }
        var places: [EntryPlace] = []
        for _ in 0..<count {
            guard try u32(at) == 0x0201_4B50 else { throw Problem(message: "mục lục ZIP hỏng") }
            let flags = try u16(at + 8), method = try u16(at + 10), crc = UInt32(try u32(at + 16))
            let compressed = try u32(at + 20), size = try u32(at + 24)
            let nameLength = try u16(at + 28), extraLength = try u16(at + 30), commentLength = try u16(at + 32)
            let local = try u32(at + 42)
            if compressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF || local == 0xFFFF_FFFF { throw Problem(message: "tệp quá lớn (ZIP64)") }
            guard local + 30 <= bytes.count, try u32(local) == 0x0403_4B50 else { throw Problem(message: "một mục của tệp ZIP nằm ngoài tệp") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start + compressed <= bytes.count else { throw Problem(message: "một mục của tệp ZIP bị cắt cụt") }
            guard at + 46 + nameLength <= bytes.count else { throw Problem(message: "mục lục ZIP hỏng") }
            let path = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            places.append(EntryPlace(path: path, flags: flags, method: method, crc: crc, compressed: compressed, size: size, start: start))
            at += 46 + nameLength + extraLength + commentLength
        }
        return places
    }
}
