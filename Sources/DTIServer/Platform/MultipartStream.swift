import MultipartKit
import Vapor

/// Reads a `multipart/form-data` body as it streams in: small fields are
/// collected, the file part is handed over chunk by chunk and never held
/// whole. Browsers send fields in page order, so the form puts its file last
/// and the metadata (and the CSRF token, checked first) arrives before it.
final class MultipartStream {
    enum Event {
        case field(name: String, value: String)
        case fileStart(name: String, fileName: String)
        case fileData(ByteBuffer)
        case fileEnd
    }

    static let maxFieldBytes = 64 * 1024

    private var headers: [String: String] = [:]
    private var field: [UInt8] = []
    private var inFile = false
    private var events: [Event] = []
    private var failure: (any Error)?

    /// Reads the body, calling `handle` for each event in order. A body that
    /// ends before its closing boundary throws after the last chunk, so the
    /// handler can discard what it began.
    static func read(_ req: Request, handle: (Event) async throws -> Void) async throws {
        guard let type = req.headers.contentType, type.type == "multipart", type.subType == "form-data",
              let boundary = type.parameters["boundary"], !boundary.isEmpty else {
            throw Abort(.unsupportedMediaType, reason: "Biểu mẫu phải gửi dạng multipart/form-data.")
        }
        let stream = MultipartStream()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in stream.headers[name.lowercased()] = value }
        parser.onBody = { buffer in stream.body(&buffer) }
        parser.onPartComplete = { stream.complete() }
        var fileOpen = false
        var complete = false
        var csrfChecked = req.storage[DeferredCSRF.self] == nil
        for try await chunk in req.body {
            do { try parser.execute(chunk) } catch { throw Abort(.badRequest, reason: "Biểu mẫu gửi lên bị hỏng (multipart).") }
            if let failure = stream.failure { throw failure }
            let ready = stream.events
            stream.events.removeAll(keepingCapacity: true)
            for event in ready {
                switch event {
                case .field("csrf", let token) where !csrfChecked:
                    guard let expected = req.storage[DeferredCSRF.self], CSRFMiddleware.constantTimeEqual(expected, token) else {
                        throw CSRFMiddleware.refusal
                    }
                    csrfChecked = true
                    continue
                case .fileStart: fileOpen = true
                case .fileEnd: fileOpen = false; complete = true
                case .field: complete = true
                default: break
                }
                // Nothing reaches the handler before the token is checked.
                guard csrfChecked else { throw CSRFMiddleware.refusal }
                try await handle(event)
            }
        }
        if fileOpen || !complete { throw Abort(.badRequest, reason: "Tệp gửi lên bị gián đoạn; không có gì được lưu. Hãy gửi lại.") }
        if !csrfChecked { throw CSRFMiddleware.refusal }
    }

    /// The current part's name and file name, read from its headers once.
    private var part: (name: String, fileName: String?)?

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
            if field.count > Self.maxFieldBytes { failure = Abort(.payloadTooLarge, reason: "Trường \"\(name)\" của biểu mẫu quá dài.") }
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

/// Set by `CSRFMiddleware` on the streamed upload forms: the token is the
/// first form field, checked by `MultipartStream` before anything is used.
enum DeferredCSRF: StorageKey { typealias Value = String }
