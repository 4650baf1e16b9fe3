import Crypto
import Foundation

/// SHA-256 as lowercase hex, for the command line (`dti verify`) and the
/// server alike: a record's hash and a framework file's hash are computed
/// the same way everywhere.
public enum Digests {
    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
