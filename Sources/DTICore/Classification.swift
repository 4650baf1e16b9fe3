import Foundation

/// Assigns classification bands (Xếp loại).
public enum Classification {
    /// The band for a score of `percent` % of the applicable max: the band with
    /// the highest threshold that the score reaches; `nil` when none does.
    public static func band(forPercent percent: ScaledDecimal, bands: [Band]) -> String? {
        // Bands are few; the highest threshold reached wins, whatever the order given.
        var best: Band?
        for band in bands where percent >= band.minPercent && band.minPercent >= (best?.minPercent ?? band.minPercent) {
            best = band
        }
        return best?.name
    }

    /// Parses "Tốt:90,Khá:70,Trung bình:50,Yếu:0".
    public static func parseBands(_ text: String) -> Result<[Band], BandParseError> {
        var bands: [Band] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: true) {
            guard let colon = piece.lastIndex(of: ":") else { return .failure(.missingThreshold(String(piece))) }
            let name = piece[..<colon].trimmingCharacters(in: .whitespaces)
            let number = piece[piece.index(after: colon)...]
            guard !name.isEmpty else { return .failure(.missingName(String(piece))) }
            guard case .success(let n) = WrittenNumber.parse(number), n.value <= ScaledDecimal(100) else {
                return .failure(.badThreshold(String(piece)))
            }
            bands.append(Band(name: VietnameseText.normalized(name), minPercent: n.value))
        }
        guard !bands.isEmpty else { return .failure(.empty) }
        return .success(bands)
    }

    public enum BandParseError: Error, Equatable {
        case empty, missingThreshold(String), missingName(String), badThreshold(String)
        public var message: String {
            switch self {
            case .empty: return "danh sách xếp loại trống; ví dụ: \"Tốt:90,Khá:70,Trung bình:50,Yếu:0\""
            case .missingThreshold(let p): return "\"\(p)\": thiếu ngưỡng; viết TÊN:NGƯỠNG, ví dụ \"Khá:70\""
            case .missingName(let p): return "\"\(p)\": thiếu tên xếp loại"
            case .badThreshold(let p): return "\"\(p)\": ngưỡng phải là số từ 0 đến 100 (% điểm tối đa)"
            }
        }
    }
}
