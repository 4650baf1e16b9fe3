import Foundation
import ZIPFoundation

/// gzip (RFC 1952) around ZIPFoundation's raw deflate and CRC-32: what the
/// server sends to browsers that accept it, compressed once per published
/// page rather than once per request.
public enum Gzip {
    public static func compress(_ data: Data) throws -> Data {
        var out = Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])  // magic, deflate, no flags, no mtime, OS unknown
        let crc = try Data.compress(size: Int64(data.count), bufferSize: 64 * 1024, provider: { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }, consumer: { out.append($0) })
        for value in [crc, UInt32(truncatingIfNeeded: data.count)] {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }
}
