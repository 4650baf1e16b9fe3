import Foundation

/// A number as written in a published table or an input file.
public struct WrittenNumber: Hashable, Sendable {
    /// The exact value.
    public var value: ScaledDecimal
    /// How many fractional digits the writer used ("127,00" → 2, "131,5" → 1),
    /// so a legacy table can be printed back exactly as published.
    public var decimals: Int

    public init(value: ScaledDecimal, decimals: Int) {
        self.value = value
        self.decimals = decimals
    }
}

/// Why a text is not a number OpenDTI accepts.
public enum NumberParseError: Error, Equatable, Sendable {
    case notANumber
    case negative
    case tooManyDecimals(Int)
    case tooLarge
    /// "1.5" where a Vietnamese reader writes 1,5: a point groups thousands.
    case pointAsDecimal

    /// A Vietnamese message naming the offending text (a short excerpt of
    /// it: the text may be a megabyte long).
    public func message(for text: String) -> String {
        let shown = text.excerpt()
        switch self {
        case .notANumber: return "\"\(shown)\" không phải là số"
        case .negative: return "\"\(shown)\" là số âm; điểm và số liệu không được âm"
        case .tooManyDecimals(let n): return "\"\(shown)\" có \(n) chữ số thập phân; tối đa \(ScaledDecimal.scale)"
        case .tooLarge: return "\"\(shown)\": số quá lớn (tối đa 999.999.999.999)"
        case .pointAsDecimal:
            return "\"\(shown)\" không rõ: dấu chấm chỉ dùng để nhóm hàng nghìn (1.200); phần thập phân viết sau dấu phẩy (12,5)"
        }
    }
}

extension WrittenNumber {
    /// The largest whole part accepted: below a trillion, so that a value in
    /// millionths, sums of many such values and their products with a
    /// criterion's points all stay far inside 64 bits. No DTI figure (counts,
    /// people, money in millions of đồng) comes near it.
    public static let largestWhole: Int64 = 999_999_999_999

    /// Parses a non-negative decimal number written with a decimal comma
    /// ("162,08") or a decimal point ("769.22"). Where both marks appear the
    /// last one is the decimal separator and the other groups thousands
    /// ("1.234,5"). A lone point is a decimal point: see
    /// docs/decisions/0003-number-conventions.md.
    public static func parse(_ raw: String) -> Result<WrittenNumber, NumberParseError> {
        var text = raw
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// Parses a number as people type it in Vietnamese: a comma is the
    /// decimal mark ("12,5") and points group thousands in threes ("1.200",
    /// "1.200,5"). A point followed by anything but groups of three digits
    /// ("1.5") is refused rather than guessed. Web forms, the API and Excel
    /// text cells read numbers this way; files read by the command line keep
    /// the per-value rule of `parse`.
    public static func parseVietnamese(_ raw: String) -> Result<WrittenNumber, NumberParseError> {
        // Foundation's trimming and search only when there is something to trim or a point to read:
        // most numbers have neither, and both cost more than the parse.
        let isPad = { (byte: UInt8?) -> Bool in byte == 0x20 || byte == 0x09 }
        let padded = isPad(raw.utf8.first) || isPad(raw.utf8.last)
        let text = padded ? raw.trimmingCharacters(in: [" ", "\t"]) : raw
        guard text.utf8.contains(UInt8(ascii: ".")) else { return parse(text) }
        var body = Substring(text)
        var sign = ""
        if let first = body.first, first == "-" || first == "+" { sign = String(first); body = body.dropFirst() }
        let pieces = body.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        let groups = pieces[0].split(separator: ".", omittingEmptySubsequences: false)
        let digitsOnly = { (s: Substring) in !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber } }
        let grouped = groups.count >= 2 && digitsOnly(groups[0]) && groups[0].count <= 3
            && groups.dropFirst().allSatisfy { $0.count == 3 && digitsOnly($0) }
        guard grouped, pieces.count == 1 || digitsOnly(pieces[1]) else {
            let looksNumeric = body.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == "." || $0 == "," } && body.contains { $0.isNumber }
            return .failure(looksNumeric ? .pointAsDecimal : .notANumber)
        }
        let plain = sign + groups.joined() + (pieces.count == 2 ? "," + pieces[1] : "")
        return parse(plain)
    }

    public static func parse<S: StringProtocol>(_ raw: S) -> Result<WrittenNumber, NumberParseError> {
        if let result = raw.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) { return result }
        return Array(raw.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    static func parse(bytes all: UnsafeBufferPointer<UInt8>) -> Result<WrittenNumber, NumberParseError> {
        // Trim ASCII spaces and tabs.
        var bytes = all[...]
        while let f = bytes.first, f == 0x20 || f == 0x09 { bytes.removeFirst() }
        while let l = bytes.last, l == 0x20 || l == 0x09 { bytes.removeLast() }
        guard !bytes.isEmpty else { return .failure(.notANumber) }
        if bytes.first == UInt8(ascii: "-") {
            let rest = bytes.dropFirst()
            if !rest.isEmpty, rest.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2C || $0 == 0x2E }),
               rest.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) {
                return .failure(.negative)
            }
            return .failure(.notANumber)
        }
        if bytes.first == UInt8(ascii: "+") { bytes.removeFirst() }
        let lastComma = bytes.lastIndex(of: 0x2C)
        let lastPoint = bytes.lastIndex(of: 0x2E)
        let decimalMark: Int?
        switch (lastComma, lastPoint) {
        case (nil, nil): decimalMark = nil
        case let (c?, nil): decimalMark = c
        case let (nil, p?): decimalMark = p
        case let (c?, p?): decimalMark = max(c, p)
        }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var sawDigit = false
        var i = bytes.startIndex
        while i < bytes.endIndex {
            defer { i += 1 }
            let b = bytes[i]
            if let mark = decimalMark, i == mark { continue }
            let isDigit = b >= 0x30 && b <= 0x39
            if !isDigit {
                // Grouping marks are allowed only before the decimal mark.
                let isGroup = (b == 0x2C || b == 0x2E) && (decimalMark.map { i < $0 && b != bytes[$0] } ?? false)
                if isGroup { continue }
                return .failure(.notANumber)
            }
            sawDigit = true
            let d = Int64(b - 0x30)
            if let mark = decimalMark, i > mark {
                fractionDigits += 1
                if fractionDigits > ScaledDecimal.scale {
                    if d != 0 { return .failure(.tooManyDecimals(bytes.endIndex - mark - 1)) }
                    continue
                }
                fraction = fraction * 10 + d
            } else {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(d)
                if o1 || o2 || s > WrittenNumber.largestWhole { return .failure(.tooLarge) }
                whole = s
            }
        }
        guard sawDigit else { return .failure(.notANumber) }
        let written = min(fractionDigits, ScaledDecimal.scale)
        fraction *= ScaledDecimal.pow10(ScaledDecimal.scale - written)
        return .success(WrittenNumber(
            value: ScaledDecimal(micros: whole * ScaledDecimal.unit + fraction),
            decimals: fractionDigits > ScaledDecimal.scale ? ScaledDecimal.scale : fractionDigits))
    }
}
