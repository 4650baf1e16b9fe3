import Foundation

/// Vietnamese text conventions: NFC storage, a folded search key, and
/// collation in Vietnamese alphabetical order.
public enum VietnameseText {
    private static let locale = Locale(identifier: "vi_VN")

    /// NFC form, as stored.
    public static func normalized(_ text: String) -> String {
        // Foundation's normalisation is slow on Linux; text made only of
        // scalars that are their own NFC form (ASCII, Latin-1 and Latin
        // Extended, the precomposed Vietnamese letters U+1E00–U+1EFF, common
        // punctuation) needs none.
        if text.unicodeScalars.allSatisfy({ $0.value < 0x0300 || (0x1E00...0x1EFF).contains($0.value) || (0x2010...0x206F).contains($0.value) }) {
            return text
        }
        return text.precomposedStringWithCanonicalMapping
    }

    /// Diacritics removed, đ→d, lower case, apostrophes dropped: "Krông Pắc"
    /// and "krong pac" fold to the same key, and so do "Cư M’gar" and "cu mgar".
    public static func searchKey(_ text: String) -> String {
        let unified = text.replacingOccurrences(of: "’", with: "").replacingOccurrences(of: "‘", with: "").replacingOccurrences(of: "'", with: "")
        let folded = unified.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: locale)
        return folded.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "d").lowercased()
    }

    /// Vietnamese alphabetical order (Dung < Đức). `localizedCompare` uses the
    /// root order on Linux and gets this wrong.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: [], range: nil, locale: locale) == .orderedAscending
    }
}
