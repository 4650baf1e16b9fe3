import Vapor

/// Headers that keep the pages in their own frame and origin: a strict
/// Content-Security-Policy (the pages' own script and style files only; no
/// inline code), no framing, no MIME sniffing, no referrer to other sites,
/// and HSTS where the site is served over HTTPS (secure cookies).
/// A future-based middleware: no hop into Swift concurrency per request.
struct SecurityHeadersMiddleware: Middleware {
    /// The headers, in the order they are set (kept pages carry them from the start: `PublishedBytes`).
    let headers: [(String, String)]

    init(strictTransport: Bool) {
        headers = [("Content-Security-Policy", Self.contentSecurityPolicy), ("X-Frame-Options", "DENY"),
                   ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]
            + (strictTransport ? [("Strict-Transport-Security", "max-age=31536000")] : [])
    }

    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let headers = self.headers
        return next.respond(to: request).map { response in
            for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        }
    }
}
