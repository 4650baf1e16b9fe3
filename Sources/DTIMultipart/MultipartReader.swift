import Foundation
import NIOCore

/// A `multipart/form-data` body (RFC 7578) read as it streams in, chunk by
/// chunk: small fields are collected (at most `maxFieldBytes` each), a file
/// part is handed over as it comes and never held whole. No Vapor here, so
/// the reader is fuzzed on its own (`fuzz/run.sh multipart`); the server's
/// `MultipartStream` adds the request, the CSRF check and the messages.
///
/// Our own parser, not MultipartKit's: MultipartKit 4.7.1 (the version this
/// machine offers) trapped on a part-header name byte above 0x7F — one upload
/// took the whole server down (found by fuzzing; ADR 0013).
public final class MultipartReader {
    public enum Event: Equatable {
        case field(name: String, value: String)
        case fileStart(name: String, fileName: String)
        case fileData(ByteBuffer)
        case fileEnd
    }

    public enum Failure: Error, Equatable {
        /// The body does not follow the multipart grammar.
        case malformed
        /// A field (not a file) longer than `maxFieldBytes`.
        case fieldTooLong(String)
    }

    public static let maxFieldBytes = 64 * 1024
    /// A header line, and the number of header lines of a part: browsers send two or three.
    static let maxHeaderLine = 8 * 1024, maxHeaders = 32

    enum Phase { case preamble, afterDelimiter, headers, body, epilogue }

    /// "\r\n--boundary": every delimiter, the first one included (the body is
    /// read as if it began with a line break, so a body that starts with the
    /// delimiter needs no special case).
    let delimiter: [UInt8]
    var phase = Phase.preamble
    /// Bytes received and not yet consumed.
    var pending: [UInt8] = [0x0D, 0x0A]
    var headers: [String: String] = [:]
    var headerCount = 0
    var part: (name: String, fileName: String?) = ("", nil)
    var field: [UInt8] = []
    var fileStarted = false
    var events: [Event] = []

    public init(boundary: String) {
        delimiter = [0x0D, 0x0A, 0x2D, 0x2D] + Array(boundary.utf8)
    }

    /// The closing delimiter has been read.
    public var isFinished: Bool { phase == .epilogue }

    /// The events the chunk completes, in order.
    public func feed(_ chunk: ByteBuffer) throws(Failure) -> [Event] {
        guard phase != .epilogue else { return [] }
        pending.append(contentsOf: chunk.readableBytesView)
        var consumed = 0
        defer { pending.removeFirst(consumed) }
        loop: while true {
            switch phase {
            case .preamble:
                if let at = find(delimiter, from: consumed) {
                    consumed = at + delimiter.count
                    phase = .afterDelimiter
                } else {
                    // Keep what could be the start of a delimiter; the preamble is ignored.
                    consumed = max(consumed, pending.count - (delimiter.count - 1))
                    break loop
                }
            case .afterDelimiter:
                // "--" closes the body; otherwise optional spaces, then a line break.
                var i = consumed
                while i < pending.count, pending[i] == 0x20 || pending[i] == 0x09 { i += 1 }
                guard i + 1 < pending.count else { break loop }
                if i == consumed, pending[i] == 0x2D, pending[i + 1] == 0x2D { phase = .epilogue; consumed = pending.count; break loop }
                guard pending[i] == 0x0D, pending[i + 1] == 0x0A else { throw .malformed }
                consumed = i + 2
                phase = .headers
                headers = [:]
                headerCount = 0
            case .headers:
                guard let end = find([0x0D, 0x0A], from: consumed) else {
                    if pending.count - consumed > Self.maxHeaderLine { throw .malformed }
                    break loop
                }
                if end - consumed > Self.maxHeaderLine { throw .malformed }
                let line = pending[consumed..<end]
                consumed = end + 2
                if line.isEmpty {
                    startPart()
                    phase = .body
                    continue
                }
                headerCount += 1
                guard headerCount <= Self.maxHeaders, let colon = line.firstIndex(of: 0x3A), colon > line.startIndex else { throw .malformed }
                // A header name is a token (RFC 9110): visible ASCII, no separators.
                guard line[line.startIndex..<colon].allSatisfy({ $0 > 0x20 && $0 < 0x7F && !Self.separators.contains($0) }) else { throw .malformed }
                let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
                let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                headers[name] = value
            case .body:
                if let at = find(delimiter, from: consumed) {
                    try emit(pending[consumed..<at])
                    completePart()
                    consumed = at + delimiter.count
                    phase = .afterDelimiter
                } else {
                    // Everything but what could be the start of the delimiter.
                    let safe = max(consumed, pending.count - (delimiter.count - 1))
                    try emit(pending[consumed..<safe])
                    consumed = safe
                    break loop
                }
            case .epilogue:
                consumed = pending.count
                break loop
            }
        }
        let ready = events
        events.removeAll(keepingCapacity: true)
        return ready
    }

    static let separators: Set<UInt8> = Set("()<>@,;:\\\"/[]?={}".utf8)

    /// The first position of `needle` at or after `start`.
    func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, pending.count - start >= needle.count else { return nil }
        var i = start
        let last = pending.count - needle.count
        while i <= last {
            if pending[i] == first {
                var j = 1
                while j < needle.count, pending[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    func startPart() {
        var name = "", fileName: String?
        for piece in (headers["content-disposition"] ?? "").split(separator: ";") {
            let kv = piece.trimmingCharacters(in: .whitespaces)
            func value(_ prefix: String) -> String? {
                guard kv.lowercased().hasPrefix(prefix) else { return nil }
                var v = String(kv.dropFirst(prefix.count))
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                return v.replacingOccurrences(of: "%22", with: "\"")
            }
            if let v = value("name=") { name = v }
            if let v = value("filename=") { fileName = v }
        }
        part = (name, fileName)
        field = []
        fileStarted = false
    }

    func emit(_ bytes: ArraySlice<UInt8>) throws(Failure) {
        guard !bytes.isEmpty else { return }
        if let fileName = part.fileName {
            if !fileStarted {
                fileStarted = true
                events.append(.fileStart(name: part.name, fileName: fileName))
            }
            events.append(.fileData(ByteBuffer(bytes: bytes)))
        } else {
            field.append(contentsOf: bytes)
            if field.count > Self.maxFieldBytes { throw .fieldTooLong(part.name) }
        }
    }

    func completePart() {
        if let fileName = part.fileName {
            // An empty file part still starts and ends.
            if !fileStarted { events.append(.fileStart(name: part.name, fileName: fileName)) }
            events.append(.fileEnd)
        } else {
            events.append(.field(name: part.name, value: String(decoding: field, as: UTF8.self)))
        }
        field = []
        fileStarted = false
    }
}
