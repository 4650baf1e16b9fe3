import Foundation

/// Dates as stored (ISO yyyy-mm-dd) and as shown (dd/mm/yyyy).
enum DateText {
    static func parseISO(_ text: String) -> DateComponents? {
        let parts = text.split(separator: "-").map { Int($0) }
        guard parts.count == 3, let y = parts[0], let m = parts[1], let d = parts[2],
              (1900...2200).contains(y), (1...12).contains(m), (1...31).contains(d) else { return nil }
        var c = DateComponents(calendar: Calendar(identifier: .gregorian), year: y, month: m, day: d)
        c.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        return c.isValidDate ? c : nil
    }

    /// "2024-03-26" → "26/03/2024".
    static func display(_ iso: String) -> String {
        let p = iso.split(separator: "-")
        return p.count == 3 ? "\(p[2])/\(p[1])/\(p[0])" : iso
    }

    /// Today in Việt Nam, as ISO.
    static func todayISO(_ now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        let c = calendar.dateComponents([.year, .month, .day], from: now)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
