import Crypto
import DTICore
import Foundation

// Small helpers every room uses: dates and points as the interface writes them, SHA-256 as hex.

/// Dates as stored (ISO yyyy-mm-dd) and as shown (dd/mm/yyyy).
enum DateText {
    /// The Gregorian calendar in Việt Nam's time zone, made once (every save asks for today).
    static let vietnam: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        return calendar
    }()

    static func parseISO(_ text: String) -> DateComponents? {
        let parts = text.split(separator: "-").map { Int($0) }
        guard parts.count == 3, let y = parts[0], let m = parts[1], let d = parts[2],
              (1900...2200).contains(y), (1...12).contains(m), (1...31).contains(d) else { return nil }
        let c = DateComponents(calendar: vietnam, timeZone: vietnam.timeZone, year: y, month: m, day: d)
        return c.isValidDate ? c : nil
    }

    /// "2024-03-26" → "26/03/2024".
    static func display(_ iso: String) -> String {
        let p = iso.split(separator: "-")
        return p.count == 3 ? "\(p[2])/\(p[1])/\(p[0])" : iso
    }

    /// Today in Việt Nam, as ISO.
    static func todayISO(_ now: Date = Date()) -> String {
        let c = vietnam.dateComponents([.year, .month, .day], from: now)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    /// A moment in Việt Nam time: "23/11/2026 14:05".
    static func dateTime(_ date: Date) -> String {
        let c = vietnam.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%02d/%02d/%04d %02d:%02d", c.day!, c.month!, c.year!, c.hour!, c.minute!)
    }

    /// A moment in Việt Nam time for a file name: "20261123-1405".
    static func compactStamp(_ date: Date) -> String {
        let c = vietnam.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d%02d%02d-%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    /// ISO date `days` after `iso`.
    static func adding(days: Int, to iso: String) -> String {
        guard let c = parseISO(iso), let date = c.calendar?.date(from: c) else { return iso }
        return todayISO(date.addingTimeInterval(Double(days) * 86_400 + 3_600))
    }

    /// The same day a year later ("2025-02-29" has none: 2026-02-28).
    static func yearLater(_ iso: String) -> String {
        guard let c = parseISO(iso), let y = c.year, let m = c.month, var d = c.day else { return iso }
        if m == 2 && d == 29 { d = 28 }
        return String(format: "%04d-%02d-%02d", y + 1, m, d)
    }

    /// Whole days from one ISO date to another (negative when `to` is earlier).
    static func days(from: String, to: String) -> Int? {
        guard let a = parseISO(from), let b = parseISO(to), let x = a.calendar?.date(from: a), let y = b.calendar?.date(from: b) else { return nil }
        return Int((y.timeIntervalSince(x) / 86_400).rounded())
    }

    /// A file size as people read it: "1,2 MB", "340 KB".
    static func size(_ bytes: Int64) -> String {
        if bytes >= 1_048_576 { return String(format: "%.1f MB", Double(bytes) / 1_048_576).replacingOccurrences(of: ".", with: ",") }
        return "\(max(1, (bytes + 1023) / 1024)) KB"
    }
}

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

/// Points as the interface prints them: two decimals, decimal comma; "-" where there is no score.
enum PointsText {
    static func points(_ value: ScaledDecimal) -> String { value.formatted(decimals: 2, separator: ",") }
    static func points(_ micros: Int64) -> String { points(ScaledDecimal(micros: micros)) }
    static func points(_ micros: Int64?) -> String { micros.map { points($0) } ?? "-" }
}

extension String {
    /// A path segment or path as the site's links write it.
    var urlPathEncoded: String { addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? self }
}
