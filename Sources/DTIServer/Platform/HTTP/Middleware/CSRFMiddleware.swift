import Vapor

/// Vapor has no CSRF protection. State-changing requests that carry the
/// session cookie must carry the session's token (form field `csrf` or
/// header `X-CSRF-Token`), whatever else they carry (a bearer header beside
/// the cookie changes nothing), and no unsafe request may come from another
/// site. A request without the cookie has no ambient credentials to abuse:
/// it is signed in by its bearer token or not at all (then the route answers
/// 401), and the API's sign-in needs no earlier GET.
struct CSRFMiddleware: AsyncMiddleware {
    static let sessionKey = "csrf"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let unsafe = ![.GET, .HEAD, .OPTIONS].contains(request.method)
        if unsafe {
            if request.headers.first(name: "Sec-Fetch-Site") == "cross-site" {
                throw Abort(.forbidden, reason: "Yêu cầu đến từ trang web khác bị từ chối.")
            }
            if let origin = request.headers.first(name: .origin), let host = request.headers.first(name: .host),
               URL(string: origin).flatMap({ url in url.host.map { h in url.port.map { "\(h):\($0)" } ?? h } }) != host {
                throw Abort(.forbidden, reason: "Yêu cầu đến từ trang web khác bị từ chối.")
            }
        }
        let carriesCookie = request.cookies[request.application.sessions.configuration.cookieName] != nil
        if unsafe && carriesCookie {
            let expected = request.hasSession ? request.session.data[Self.sessionKey] : nil
            if Self.streamsForm(request), let expected, !expected.isEmpty, request.headers.first(name: "X-CSRF-Token") == nil {
                // The body is not read here: `MultipartStream` checks the token, the form's first field.
                request.storage[DeferredCSRF.self] = expected
                return try await next.respond(to: request)
            }
            var sent = request.headers.first(name: "X-CSRF-Token")
            if sent == nil {
                // A form whose body did not arrive in one piece is still streaming
                // here (middleware runs before the route collects it): collect it,
                // within the routes' limit, to read the token.
                if request.body.data == nil {
                    _ = try await request.body.collect(max: request.formBodyLimit).get()
                }
                sent = try? request.content.get(String.self, at: "csrf")
            }
            guard let expected, let sent, !expected.isEmpty, Self.constantTimeEqual(expected, sent) else { throw Self.refusal }
        }
        return try await next.respond(to: request)
    }

    static let refusal = CSRFRefusal()

    /// The browser upload forms, whose multipart bodies stream to the handler:
    /// `/periods/:id/units/:code/evidence` and `…/workbook`. Only these paths,
    /// so that no other route can be reached with an unchecked multipart body.
    static func streamsForm(_ request: Request) -> Bool {
        guard request.method == .POST, request.headers.contentType?.subType == "form-data" else { return false }
        let parts = request.url.path.split(separator: "/")
        return parts.count == 5 && parts[0] == "periods" && parts[2] == "units" && (parts[4] == "evidence" || parts[4] == "workbook" || parts[4] == "complaints")
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension Request {
    /// How much of a form body middleware may collect before the route does:
    /// the routes' limit, and 10 MB for the administrator's import forms,
    /// which carry files (frameworks, past results).
    var formBodyLimit: Int {
        url.path.hasPrefix("/admin/") ? 10 << 20 : application.routes.defaultMaxBodySize.value
    }

    /// The session's CSRF token, created on first use.
    var csrfToken: String {
        if let token = session.data[CSRFMiddleware.sessionKey] { return token }
        let token = [UInt8].random(count: 24).base64URLEncoded
        session.data[CSRFMiddleware.sessionKey] = token
        if session.data[SessionSweep.issuedAtKey] == nil { session.data[SessionSweep.issuedAtKey] = String(now.timeIntervalSince1970) }
        return token
    }
}

extension Array where Element == UInt8 {
    static func random(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    var base64URLEncoded: String {
        Data(self).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// A missing or wrong CSRF token. Its own type rather than an `Abort`, so
/// that page forms, which show refusals inside the page, always let it through
/// as an error page.
struct CSRFRefusal: AbortError {
    var status: HTTPResponseStatus { .forbidden }
    var reason: String { "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF). Hãy tải lại trang và thử lại." }
}

