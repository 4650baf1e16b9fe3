/// Whole numbers written the Vietnamese way.
public enum NumberText {
    /// 32767 → "32.767": thousands grouped with a dot.
    public static func grouped(_ n: Int) -> String {
        let digits = Array(String(n.magnitude))
        var out = n < 0 ? "-" : ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(".") }
            out.append(d)
        }
        return out
    }
}
