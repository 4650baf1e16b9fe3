import DTIMultipart
import Vapor

/// Vapor decodes `multipart/form-data` bodies with MultipartKit 4.7.1, whose
/// parser traps on a part-header name byte above 0x7F: one request to any
/// route that reads its body (sign-in included, before anyone is signed in)
/// took the whole server down (found by fuzzing, ADR 0013). Every multipart
/// body is therefore read first by our own parser (`MultipartReader`), and
/// refused with 400 unless it is well formed; only then may Vapor decode it.
/// The streamed upload forms are read by our parser alone (`MultipartStream`).
struct MultipartGuardMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let type = request.headers.contentType, type.type == "multipart", !CSRFMiddleware.streamsForm(request) else {
            return try await next.respond(to: request)
        }
        guard let boundary = type.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 else {
            throw Abort(.badRequest, reason: "Biểu mẫu gửi lên bị hỏng (multipart thiếu boundary).")
        }
        if request.body.data == nil {
            _ = try await request.body.collect(max: request.formBodyLimit).get()
        }
        let reader = MultipartReader(boundary: boundary)
        do {
            _ = try reader.feed(request.body.data ?? ByteBuffer())
        } catch {
            throw Abort(.badRequest, reason: "Biểu mẫu gửi lên bị hỏng (multipart).")
        }
        guard reader.isFinished else { throw Abort(.badRequest, reason: "Biểu mẫu gửi lên bị hỏng hoặc bị cắt (multipart).") }
        return try await next.respond(to: request)
    }
}
