extension StringProtocol {
    /// At most `limit` characters of the text, with "…" where it was cut.
    /// Error messages quote what the user typed through this, so a message
    /// about a one-megabyte cell stays a line long.
    public func excerpt(limit: Int = 40) -> String {
        var end = startIndex
        var count = 0
        while end < endIndex, count < limit {
            end = index(after: end)
            count += 1
        }
        return end == endIndex ? String(self) : String(self[startIndex..<end]) + "…"
    }
}
