import DTIMultipart
import Vapor

/// Reads a `multipart/form-data` body of a request as it streams in, through
/// `MultipartReader` (DTIMultipart): small fields are collected, the file
/// part is handed over chunk by chunk and never held whole. Browsers send
/// fields in page order, so the form puts its file last and the metadata
/// (and the CSRF token, checked first) arrives before it.
enum MultipartStream {
    typealias Event = MultipartReader.Event

    static var maxFieldBytes: Int { MultipartReader.maxFieldBytes }

    /// Reads the body, calling `handle` for each event in order. A body that
    /// ends before its closing boundary throws after the last chunk, so the
    /// handler can discard what it began.
    static func read(_ req: Request, handle: (Event) async throws -> Void) async throws {
        guard let type = req.headers.contentType, type.type == "multipart", type.subType == "form-data",
              let boundary = type.parameters["boundary"], !boundary.isEmpty else {
            throw Abort(.unsupportedMediaType, reason: "Biểu mẫu phải gửi dạng multipart/form-data.")
        }
        let reader = MultipartReader(boundary: boundary)
        var fileOpen = false
        var complete = false
        var csrfChecked = req.storage[DeferredCSRF.self] == nil
        for try await chunk in req.body {
            let ready: [Event]
            do { ready = try reader.feed(chunk) } catch {
                switch error {
                case .malformed: throw Abort(.badRequest, reason: "Biểu mẫu gửi lên bị hỏng (multipart).")
                case .fieldTooLong(let name): throw Abort(.payloadTooLarge, reason: "Trường \"\(name)\" của biểu mẫu quá dài.")
                }
            }
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
}

/// Set by `CSRFMiddleware` on the streamed upload forms: the token is the
/// first form field, checked by `MultipartStream` before anything is used.
enum DeferredCSRF: StorageKey { typealias Value = String }
