import Foundation
import DTICore

/// One record of a delimited file, with where each field started.
public struct CSVRecord: Sendable {
    /// 1-based line number of the record's first line.
    public var line: Int
    public var fields: [String]
    /// 1-based character column where each field starts.
    public var columns: [Int]
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

/// Reads CSV and TSV as spreadsheet programs write them: a header line,
/// quoted fields with doubled quotes, CRLF or LF, an optional UTF-8 BOM. The
/// delimiter (tab, comma or semicolon) is the one the header uses most.
/// Errors name the file, line and column.
public enum CSVReader {
    public static func parse(_ bytes: [UInt8], file: String) throws(TableProblem) -> CSVDocument {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        guard String(validating: bytes[start...], as: UTF8.self) != nil else {
            throw TableProblem(location: "\(file):\(firstInvalidLine(bytes)):1", message: "tệp không phải văn bản UTF-8; hãy lưu lại dưới dạng CSV UTF-8")
        }
        let delimiter = detectDelimiter(bytes, from: start)
        var records: [CSVRecord] = []
        var fields: [String] = []
        var columns: [Int] = []
        var field: [UInt8] = []
        var i = start
        var line = 1
        var lineStart = start
        var recordLine = 1
        var fieldColumn = 1
        var inQuotes = false
        var quoteLine = 1
        func column(_ at: Int) -> Int {
            // Characters, not bytes, from the start of the line.
            bytes[lineStart..<at].reduce(1) { $0 + (($1 & 0xC0) == 0x80 ? 0 : 1) }
        }
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            columns.append(fieldColumn)
            field.removeAll(keepingCapacity: true)
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(CSVRecord(line: recordLine, fields: fields, columns: columns))
            }
            fields = []
            columns = []
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 2; continue }
                    inQuotes = false
                } else {
                    if b == 0x0A { line += 1; lineStart = i + 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "\"") where field.isEmpty:
                inQuotes = true
                quoteLine = line
            case delimiter:
                endField()
                fieldColumn = column(i + 1)
            case 0x0D where i + 1 < bytes.count && bytes[i + 1] == 0x0A:
                break
            case 0x0A:
                endRecord()
                line += 1
                lineStart = i + 1
                recordLine = line
                fieldColumn = 1
            default:
                field.append(b)
            }
            i += 1
        }
        if inQuotes {
            throw TableProblem(location: "\(file):\(quoteLine):1", message: "dấu ngoặc kép mở nhưng không đóng")
        }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        guard let header = records.first else {
            throw TableProblem(location: "\(file):1:1", message: "tệp trống: cần một dòng tiêu đề và các dòng dữ liệu")
        }
        return CSVDocument(file: file, delimiter: delimiter, header: header, records: Array(records.dropFirst()))
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
