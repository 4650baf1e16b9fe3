import Vapor

/// Turns every error into a Vietnamese answer: JSON `{"error": true,
/// "reason": …}` for the API, an HTML page otherwise. Never exposes
/// internals; logs what went wrong.
struct ErrorPageMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let (status, reason) = Self.describe(error)
            if status == .internalServerError {
                request.logger.report(error: error)
            }
            // Headers an error carries (Allow on a 405) go out with its answer.
            let extra = (error as? any AbortError)?.headers ?? [:]
            if request.isAPI {
                let response = Response(status: status, headers: extra)
                try response.content.encode(APIError(error: true, reason: reason))
                return response
            }
            do {
                let view = try await request.view.render("error", ErrorPage(layout: .init(request, title: "Lỗi"), status: Int(status.code), reason: reason))
                let response = try await view.encodeResponse(for: request)
                response.status = status
                for (name, value) in extra { response.headers.replaceOrAdd(name: name, value: value) }
                return response
            } catch {
                // The error page itself failed: answer in plain text rather than not at all.
                request.logger.report(error: error)
                var headers = HTTPHeaders()
                headers.contentType = .plainText
                return Response(status: status, headers: headers, body: .init(string: reason))
            }
        }
    }

    static func describe(_ error: any Error) -> (HTTPResponseStatus, String) {
        switch error {
        case let decoding as DecodingError:
            return (.badRequest, "Dữ liệu không hợp lệ: \(describe(decoding))")
        case let abort as any AbortError:
            if abort.status == .notFound && abort.reason == "Not Found" { return (.notFound, "Không tìm thấy trang hoặc dữ liệu yêu cầu.") }
            // Vapor's own refusals carry English reason phrases: say them in Vietnamese.
            if abort.status == .payloadTooLarge && abort.reason == abort.status.reasonPhrase { return (.payloadTooLarge, "Dữ liệu gửi lên quá lớn.") }
            if abort.status == .unsupportedMediaType && abort.reason == abort.status.reasonPhrase { return (.unsupportedMediaType, "Định dạng dữ liệu không được hỗ trợ.") }
            if abort.status == .badRequest, abort.reason.hasPrefix("No such key") || abort.reason.hasPrefix("Data corrupted")
                || abort.reason.hasPrefix("Value") || abort.reason.hasPrefix("Type mismatch") || abort.reason.contains("Unsupported content type") {
                return (.badRequest, "Dữ liệu không hợp lệ hoặc thiếu trường bắt buộc.")
            }
            return (abort.status, abort.reason)
        default:
            return (.internalServerError, "Đã có lỗi trong máy chủ. Dữ liệu của bạn không bị thay đổi; hãy thử lại hoặc báo quản trị.")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map(\.stringValue).joined(separator: ".")
            return p.isEmpty ? "" : "trường \"\(p)\" "
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.map(\.stringValue) + [key.stringValue]
            return "thiếu trường \"\(parent.joined(separator: "."))\""
        case .valueNotFound(_, let context):
            return "thiếu \(path(context))".trimmingCharacters(in: .whitespaces)
        case .typeMismatch(_, let context):
            return "\(path(context))sai kiểu dữ liệu"
        case .dataCorrupted(let context):
            return "\(path(context))không đọc được"
        @unknown default:
            return "không đọc được"
        }
    }
}

struct APIError: Content {
    var error: Bool
    var reason: String
}
