import DTICore
import Foundation

/// One record of a delimited file, with where each field started.
public struct CSVRecord: Sendable {
    /// 1-based line number of the record's first line.
    public var line: Int
    public var fields: [String]
    /// 1-based character column where each field starts.
    public var columns: [Int]

    public init(line: Int, fields: [String], columns: [Int]) {
        self.line = line
        self.fields = fields
        self.columns = columns
    }
}

/// A whole delimited file: the header and the records after it.
public struct CSVDocument: Sendable {
    public var file: String
    public var delimiter: UInt8
    public var header: CSVRecord
    public var records: [CSVRecord]

    /// The position of a header name, compared case-insensitively after trimming.
    public func column(_ name: String) -> Int? {
        header.fields.firstIndex { $0.trimmingCharacters(in: .whitespaces).lowercased() == name }
    }
}

/// A record as the scanner sees it: field bytes in a buffer reused from
/// record to record, so that reading 400,000 answers allocates almost nothing.
public struct RawRecord: ~Copyable {
    public internal(set) var line = 1
    var bytes: [UInt8] = []
    var bounds: [Range<Int>] = []
    var starts: [Int] = []

    public var count: Int { bounds.count }
    /// 1-based character column where field `i` starts.
    public func column(_ i: Int) -> Int { i < starts.count ? starts[i] : (starts.last ?? 1) }
    public func string(_ i: Int) -> String {
        let range = bounds[i]
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }
    /// True when field `i` holds exactly `other`'s bytes.
    public func field(_ i: Int, equals other: [UInt8]) -> Bool {
        let range = bounds[i]
        guard range.count == other.count else { return false }
        return bytes.withUnsafeBufferPointer { mine in
            other.withUnsafeBufferPointer { theirs in
                memcmp(mine.baseAddress! + range.lowerBound, theirs.baseAddress!, range.count) == 0
            }
        }
    }
    public func fieldBytes(_ i: Int) -> ArraySlice<UInt8> { bytes[bounds[i]] }
    /// "file:line:column" of field `i`.
    public func location(_ file: String, _ i: Int) -> String { "\(file):\(line):\(column(i))" }

    mutating func reset(line: Int) {
        self.line = line
        bytes.removeAll(keepingCapacity: true)
        bounds.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
    }

    var isBlank: Bool { bounds.count == 1 && bounds[0].isEmpty }
}

/// Reads CSV and TSV as spreadsheet programs write them: a header line,
/// quoted fields with doubled quotes, CRLF or LF, an optional UTF-8 BOM. The
/// delimiter (tab, comma or semicolon) is the one the header uses most.
/// Errors name the file, line and column.
public enum CSVReader {
    /// Reads a whole (small) file into records.
    public static func parse(_ bytes: [UInt8], file: String) throws(TableProblem) -> CSVDocument {
        var records: [CSVRecord] = []
        let delimiter = try scan(bytes, file: file) { record in
            records.append(CSVRecord(line: record.line, fields: (0..<record.count).map { record.string($0) }, columns: record.starts))
        }
        guard let header = records.first else {
            throw TableProblem(location: "\(file):1:1", message: "tệp trống: cần một dòng tiêu đề và các dòng dữ liệu")
        }
        return CSVDocument(file: file, delimiter: delimiter, header: header, records: Array(records.dropFirst()))
    }

    /// Calls `body` for every non-blank record, header included, and returns
    /// the delimiter. Checks UTF-8 first; a quote left open at the end of the
    /// file is thrown after the records before it were seen, so callers must
    /// treat a throw as "nothing read".
    @discardableResult
    public static func scan(_ bytes: [UInt8], file: String, _ body: (borrowing RawRecord) -> Void) throws(TableProblem) -> UInt8 {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        guard String(validating: bytes[start...], as: UTF8.self) != nil else {
            throw TableProblem(location: "\(file):\(firstInvalidLine(bytes)):1", message: "tệp không phải văn bản UTF-8; hãy lưu lại dưới dạng CSV UTF-8")
        }
        let delimiter = detectDelimiter(bytes, from: start)
        var unclosedQuoteLine: Int?
        let quote = UInt8(ascii: "\"")
        var record = RawRecord()
        bytes.withUnsafeBufferPointer { buffer in
            let end = buffer.count
            var i = start
            var line = 1
            var column = 1
            record.reset(line: 1)
            while true {
                // One field starts at i.
                record.starts.append(column)
                let fieldStart = record.bytes.count
                if i < end && buffer[i] == quote {
                    let openedAt = line
                    var closed = false
                    i += 1; column += 1
                    while i < end {
                        let b = buffer[i]
                        if b == quote {
                            if i + 1 < end && buffer[i + 1] == quote { record.bytes.append(b); i += 2; column += 2; continue }
                            i += 1; column += 1
                            closed = true
                            break
                        }
                        if b == 0x0A { line += 1; column = 1 } else if (b & 0xC0) != 0x80 { column += 1 }
                        record.bytes.append(b)
                        i += 1
                    }
                    if !closed { unclosedQuoteLine = openedAt; return }
                }
                // Unquoted text, or anything after a closing quote, up to the delimiter.
                let runStart = i
                while i < end {
                    let b = buffer[i]
                    if b == delimiter || b == 0x0A || (b == 0x0D && i + 1 < end && buffer[i + 1] == 0x0A) { break }
                    if (b & 0xC0) != 0x80 { column += 1 }
                    i += 1
                }
                if i > runStart { record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<i])) }
                record.bounds.append(fieldStart..<record.bytes.count)
                if i < end && buffer[i] == delimiter {
                    i += 1; column += 1
                    continue
                }
                // End of record: CRLF, LF or end of file.
                if i < end && buffer[i] == 0x0D { i += 1 }
                if !record.isBlank { body(record) }
                if i >= end - 1 { break }
                i += 1 // the LF
                line += 1
                column = 1
                record.reset(line: line)
            }
        }
        if let line = unclosedQuoteLine {
            throw TableProblem(location: "\(file):\(line):1", message: "dấu ngoặc kép mở nhưng không đóng")
        }
        return delimiter
    }

    static func detectDelimiter(_ bytes: [UInt8], from start: Int) -> UInt8 {
        var counts: [UInt8: Int] = [0x09: 0, 0x2C: 0, 0x3B: 0]
        var inQuotes = false
        for b in bytes[start...] {
            if b == 0x0A && !inQuotes { break }
            if b == UInt8(ascii: "\"") { inQuotes.toggle() }
            if !inQuotes, counts[b] != nil { counts[b]! += 1 }
        }
        // Ties go to tab, then comma.
        return [UInt8(0x09), 0x2C, 0x3B].max { counts[$0]! < counts[$1]! || (counts[$0]! == counts[$1]! && $0 > $1) }!
    }

    static func firstInvalidLine(_ bytes: [UInt8]) -> Int {
        var line = 1
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if String(validating: bytes[start..<i], as: UTF8.self) == nil { return line }
            line += 1
            start = i + 1
        }
        return line
    }
}
