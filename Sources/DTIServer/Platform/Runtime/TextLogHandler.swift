#if canImport(Glibc)
@preconcurrency import Glibc  // `stdout`, the C library's stream `print` writes to
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// Log lines as Vapor's console logger writes them (`[ INFO ] GET /path
/// [request-id: …]`), through the C library's buffer on standard output.
///
/// Vapor's console logger flushes standard output after every line: a
/// system call per request, most of what the request log cost at results-day
/// rates (bench/web/observability.py). Here a line goes into the buffer and
/// the buffer is written when full, within 100 ms, and at once for warnings
/// and errors; `print` shares the same buffer, so the order of the output
/// is kept. A crash may lose the last 100 ms of info lines. ADR 0020.
struct TextLogHandler: LogHandler {
    /// Set when the process logs through this handler: the request log then writes its
    /// lines in this handler's format itself (`RequestLogMiddleware.log`).
    static let writesRequestLines = Atomic<Bool>(false)

    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = Self.prefix(event.level)
        line.append(event.message.description)
        if let extra = event.metadata, !extra.isEmpty || event.error != nil {
            var all = metadata
            all.merge(extra) { $1 }
            if let error = event.error { all["error"] = "\(error)" }
            Self.append(all, to: &line)
        } else if let error = event.error {
            var all = metadata
            all["error"] = "\(error)"
            Self.append(all, to: &line)
        } else if !metadata.isEmpty {
            Self.append(metadata, to: &line)
        }
        if event.level <= .debug { line.append(" (\(event.file):\(event.line))") }
        line.append("\n")
        LogOutput.write(line, urgent: event.level >= .warning)
    }

    private static func prefix(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "[ TRACE ] "
        case .debug: "[ DEBUG ] "
        case .info: "[ INFO ] "
        case .notice: "[ NOTICE ] "
        case .warning: "[ WARNING ] "
        case .error: "[ ERROR ] "
        case .critical: "[ CRITICAL ] "
        }
    }

    /// An info line with the request id as its one metadata key, exactly as `log(event:)` writes
    /// one from a request's logger, made without a `LogEvent`: `message` appends the message
    /// (`reserving` about its length) to the line. The request log's line (`RequestLogMiddleware`).
    static func writeInfo(requestID: String, reserving: Int, _ message: (inout String) -> Void) {
        var line = prefix(.info)
        line.reserveCapacity(reserving + requestID.utf8.count + 32)
        message(&line)
        appendOne("request-id", requestID, to: &line)
        line.append("\n")
        LogOutput.write(line, urgent: false)
    }

    /// ` [key: value]`.
    private static func appendOne(_ key: String, _ value: String, to line: inout String) {
        line.append(" [")
        line.append(key)
        line.append(": ")
        line.append(value)
        line.append("]")
    }

    /// ` [key: value, …]`, keys in order (one key, the request id, needs no sorting nor array).
    private static func append(_ metadata: Logger.Metadata, to line: inout String) {
        if metadata.count == 1, let (key, value) = metadata.first {
            appendOne(key, value.description, to: &line)
            return
        }
        line.append(" [")
        var first = true
        for key in metadata.keys.sorted() {
            if !first { line.append(", ") }
            first = false
            line.append(key)
            line.append(": ")
            line.append(metadata[key]!.description)
        }
        line.append("]")
    }
}

/// Standard output, flushed in batches: when the C library's buffer is
/// full, 100 ms after the first line waiting, or at once when urgent.
enum LogOutput {
    private static let flushPending = NIOLockedValueBox(false)

    static func write(_ text: String, urgent: Bool) {
        var text = text
        text.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }  // the buffer `print` writes to, so the order is kept
        if urgent {
            fflush(nil)  // every output stream: standard output is the one buffered
            return
        }
        let schedule = flushPending.withLockedValue { pending in
            defer { pending = true }
            return !pending
        }
        if schedule {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) {
                flushPending.withLockedValue { $0 = false }
                fflush(nil)
            }
        }
    }
}
