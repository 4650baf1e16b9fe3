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
        let archive: Archive
        do { archive = try Archive(data: data, accessMode: .read) } catch {
            throw Problem(message: "không phải tệp ZIP/Office hợp lệ")
        }
        var result: [String: Data] = [:]
        var total = 0
        for entry in archive where entry.type == .file {
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
}
