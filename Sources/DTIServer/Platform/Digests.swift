import Crypto
import Foundation

/// SHA-256 as lowercase hex, for the command line (`dti verify`) and the
/// server alike: a record's hash and a framework file's hash are computed
/// the same way everywhere.
public enum Digests {
    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).lowercaseHex
    }
}

extension Sequence<UInt8> {
    /// The bytes as lowercase hex, two digits each (`String(format:)` per byte cost 2 % of
    /// the server's CPU under saves: every API token is hashed and compared as hex).
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
