import Vapor

/// Headers that keep the pages in their own frame and origin: a strict
/// Content-Security-Policy (the pages' own script and style files only; no
/// inline code), no framing, no MIME sniffing, no referrer to other sites,
/// and HSTS where the site is served over HTTPS (secure cookies).
/// A future-based middleware: no hop into Swift concurrency per request.
struct SecurityHeadersMiddleware: Middleware {
    var strictTransport: Bool

    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
            response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
            response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
            response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
            if strictTransport { response.headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000") }
            return response
        }
    }
}
