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

    /// The entries of an archive, by path. Refuses what it cannot read
    /// safely: more than `maxTotal` bytes once expanded (counted while
    /// expanding, not taken from the headers), a checksum that does not
    /// match, an archive ZIPFoundation cannot open.
    public static func entries(of data: Data, maxTotal: Int = 64 << 20) throws -> [String: Data] {
        try checkStructure([UInt8](data))
        // Read from a temporary file, not from memory: ZIPFoundation's in-memory
        // reader traps on an offset past the end of the data (found by fuzz/run.sh,
        // ADR 0013); reading a file past its end just reads nothing, and the
        // archive is refused.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("opendti-zip-\(UUID().uuidString)")
        do { try data.write(to: file) } catch { throw Problem(message: "không ghi được tệp tạm để đọc tệp ZIP") }
        defer { try? FileManager.default.removeItem(at: file) }
        let archive: Archive
        do { archive = try Archive(url: file, accessMode: .read) } catch {
            throw Problem(message: "không phải tệp ZIP/Office hợp lệ")
        }
        var result: [String: Data] = [:]
        var total = 0
        for entry in archive where entry.type == .file {
            // Sizes the headers claim beyond the archive itself are lies: ZIPFoundation
            // would go on reading past the end (found by fuzz/run.sh, ADR 0013).
            let stored = entry.isCompressed ? entry.compressedSize : entry.uncompressedSize
            if stored < 0 || stored > Int64(data.count) || entry.compressedSize > Int64(data.count) {
                throw Problem(message: "mục \(entry.path.excerpt()) khai kích thước lớn hơn cả tệp; tệp hỏng")
            }
            if entry.isCompressed, entry.compressedSize > Int64(maxTotal) { throw Problem(message: "mục \(entry.path.excerpt()) quá lớn") }
            var content = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    total += chunk.count
                    if total > maxTotal { throw TooLarge() }
                    content.append(chunk)
                }
            } catch is TooLarge {
                throw Problem(message: "nội dung giải nén vượt \(maxTotal >> 20) MB")
            } catch {
                throw Problem(message: "mục \(entry.path.excerpt()) hỏng hoặc sai mã kiểm tra")
            }
            result[entry.path] = content
        }
        if result.isEmpty { throw Problem(message: "không phải tệp ZIP/Office (không có mục nào)") }
        return result
    }

    /// Checks what ZIPFoundation takes on trust (found by fuzz/run.sh, ADR
    /// 0013): the end record and every central-directory entry lie inside
    /// the archive, and each entry's local header and data do too. A local
    /// header offset past the end made ZIPFoundation read nothing for ever.
    static func checkStructure(_ bytes: [UInt8]) throws {
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
        for _ in 0..<count {
            guard try u32(at) == 0x0201_4B50 else { throw Problem(message: "mục lục ZIP hỏng") }
            let compressed = try u32(at + 20), size = try u32(at + 24)
            let nameLength = try u16(at + 28), extraLength = try u16(at + 30), commentLength = try u16(at + 32)
            let local = try u32(at + 42)
            if compressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF || local == 0xFFFF_FFFF { throw Problem(message: "tệp quá lớn (ZIP64)") }
            guard local + 30 <= bytes.count, try u32(local) == 0x0403_4B50 else { throw Problem(message: "một mục của tệp ZIP nằm ngoài tệp") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start + compressed <= bytes.count else { throw Problem(message: "một mục của tệp ZIP bị cắt cụt") }
            at += 46 + nameLength + extraLength + commentLength
        }
    }
}
