/// Warnings for values far from the unit's own last year or from its peers
/// this year. They do not block submission; the evaluator sees them.
public enum Plausibility {
    public struct Finding: Equatable, Sendable {
        public enum Basis: String, Sendable { case lastYear, peers }
        public var basis: Basis
        public var message: String
    }

    /// A count is compared by ratio (three times last year, five times the
    /// peers' median, or that fraction of it); a percentage by distance
    /// (30 points from last year, 40 from the peers' median). Peers count
    /// from three units.
    public static func check(_ current: ScaledDecimal, lastYear: ScaledDecimal?, peers: [ScaledDecimal], isPercent: Bool) -> [Finding] {
        var findings: [Finding] = []
        func text(_ v: ScaledDecimal) -> String { v.formatted(decimals: min(v.significantDecimals, 2), trimZeros: true) + (isPercent ? "%" : "") }
        if let last = lastYear {
            if isPercent {
                if abs((current - last).micros) >= ScaledDecimal(30).micros {
                    findings.append(Finding(basis: .lastYear, message: "Năm trước \(text(last)), năm nay \(text(current)): chênh từ 30 điểm phần trăm trở lên."))
                }
            } else if let factor = farApart(current, last, by: 3) {
                findings.append(Finding(basis: .lastYear, message: "Năm trước \(text(last)), năm nay \(text(current)): \(factor) so với năm trước."))
            }
        }
        if peers.count >= 3 {
            let m = median(peers)
            if isPercent {
                if abs((current - m).micros) >= ScaledDecimal(40).micros {
                    findings.append(Finding(basis: .peers, message: "Trung vị của \(peers.count) đơn vị cùng nhóm là \(text(m)), đơn vị ghi \(text(current)): chênh từ 40 điểm phần trăm trở lên."))
                }
            } else if let factor = farApart(current, m, by: 5) {
                findings.append(Finding(basis: .peers, message: "Trung vị của \(peers.count) đơn vị cùng nhóm là \(text(m)), đơn vị ghi \(text(current)): \(factor) trung vị."))
            }
        }
        return findings
    }

    /// "gấp 4,5 lần" or "chỉ bằng 10%" when `a` is at least `factor` times
    /// `b` or at most `b / factor`; nil otherwise or when `b` is zero.
    static func farApart(_ a: ScaledDecimal, _ b: ScaledDecimal, by factor: Int64) -> String? {
        guard b.micros > 0, a.micros >= 0 else { return nil }
        // In 128 bits: the values come from what units typed.
        if Int128(a.micros) >= Int128(b.micros) * Int128(factor) {
            let times = ScaledDecimal.ratio(a, b, decimals: 1)
            return "gấp \(times.formatted(decimals: 1, trimZeros: true)) lần"
        }
        if Int128(a.micros) * Int128(factor) <= Int128(b.micros) {
            let percent = ScaledDecimal.ratio(a, b, times: 100, decimals: 0)
            return "chỉ bằng \(percent.formatted(decimals: 0))%"
        }
        return nil
    }

    /// The median; the mean of the two middle values for an even count.
    public static func median(_ values: [ScaledDecimal]) -> ScaledDecimal {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        if sorted.count % 2 == 1 { return sorted[mid] }
        return ScaledDecimal(micros: (sorted[mid - 1].micros + sorted[mid].micros) / 2)
    }
}
