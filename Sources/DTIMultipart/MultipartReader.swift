import Foundation
import MultipartKit
import NIOCore

/// A `multipart/form-data` body read as it streams in, chunk by chunk:
/// small fields are collected (at most `maxFieldBytes` each), a file part is
/// handed over as it comes and never held whole. No Vapor here, so the
/// reader is fuzzed on its own (`fuzz/run.sh multipart`); the server's
/// `MultipartStream` adds the request, the CSRF check and the messages.
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

    private let parser: MultipartParser
    private var guardState: HeaderGuard
    private var headers: [String: String] = [:]
    private var field: [UInt8] = []
    private var inFile = false
    private var events: [Event] = []
    private var failure: Failure?
    /// The current part's name and file name, read from its headers once.
    private var part: (name: String, fileName: String?)?

    public init(boundary: String) {
        parser = MultipartParser(boundary: boundary)
        guardState = HeaderGuard(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in
            // A part has a handful of headers; more is an attack on memory.
            if self.headers.count < 32 { self.headers[name.lowercased()] = String(value.prefix(4096)) }
        }
        parser.onBody = { [unowned self] buffer in self.body(&buffer) }
        parser.onPartComplete = { [unowned self] in self.complete() }
    }

    /// The events the chunk completes, in order.
    public func feed(_ chunk: ByteBuffer) throws(Failure) -> [Event] {
        // MultipartKit 4.7.1 traps on a header-name byte ≥ 0x80 (it indexes a
        // 128-entry table with it): found by fuzz/run.sh multipart, a crash of
        // the whole server by one upload. Such a body is refused before the
        // parser sees it.
        guard guardState.accepts(chunk.readableBytesView) else { throw .malformed }
        do { try parser.execute(chunk) } catch { throw .malformed }
        if let failure { throw failure }
        let ready = events
        events.removeAll(keepingCapacity: true)
        return ready
    }

    private var disposition: (name: String, fileName: String?) {
        if let part { return part }
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
        return (name, fileName)
    }

    private func body(_ buffer: inout ByteBuffer) {
        let (name, fileName) = disposition
        if let fileName {
            if !inFile {
                inFile = true
                events.append(.fileStart(name: name, fileName: fileName))
            }
            events.append(.fileData(buffer))
        } else {
            field.append(contentsOf: buffer.readableBytesView)
            if field.count > Self.maxFieldBytes { failure = .fieldTooLong(name) }
        }
    }

    private func complete() {
        let (name, fileName) = disposition
        if let fileName {
            // An empty file part still starts and ends.
            if !inFile { events.append(.fileStart(name: name, fileName: fileName)) }
            events.append(.fileEnd)
        } else {
            events.append(.field(name: name, value: String(decoding: field, as: UTF8.self)))
        }
        headers = [:]
        part = nil
        field = []
        inFile = false
    }
}

/// Follows a multipart body just enough to find the header lines of each
/// part, and refuses a header name that is not ASCII (names are tokens,
/// RFC 9110; values such as a Vietnamese file name may be UTF-8).
struct HeaderGuard {
    enum State { case outside, afterDelimiter, headers }
    let delimiter: [UInt8]
    var state = State.outside
    /// The last bytes seen (a ring as long as the delimiter), to find the
    /// delimiter across chunks without copying: a file part may be 20 MB.
    var ring: [UInt8]
    var position = 0
    var filled = 0
    var lineLength = 0
    var lineHasColon = false

    init(boundary: String) {
        delimiter = Array(("--" + boundary).utf8)
        ring = [UInt8](repeating: 0, count: delimiter.count)
    }

    /// Whether the ring, oldest byte first, holds the delimiter.
    func ringIsDelimiter() -> Bool {
        guard filled == delimiter.count else { return false }
        for i in 0..<delimiter.count where ring[(position + i) % delimiter.count] != delimiter[i] { return false }
        return true
    }

    mutating func accepts<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        for b in bytes {
            switch state {
            case .outside:
                ring[position] = b
                position = (position + 1) % delimiter.count
                filled = min(filled + 1, delimiter.count)
                if b == delimiter.last, ringIsDelimiter() { state = .afterDelimiter; filled = 0 }
            case .afterDelimiter:
                if b == 0x0A { state = .headers; lineLength = 0; lineHasColon = false }
            case .headers:
                if b == 0x0A {
                    // An empty line (CR LF) ends the headers; the body follows.
                    if lineLength <= 1 { state = .outside } else { lineLength = 0; lineHasColon = false }
                    continue
                }
                lineLength += 1
                if !lineHasColon {
                    if b == UInt8(ascii: ":") { lineHasColon = true } else if b >= 0x80 { return false }
                }
            }
        }
        return true
    }
}
