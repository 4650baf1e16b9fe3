import Foundation
import Vapor

/// The application's responder: a fresh kept page (`PublishedBytes`) is
/// answered first, on the event loop, with what the front middlewares would
/// have done to it; every other request passes the future-based middlewares
/// every answer passes (the request's log line, the security headers, the
/// last-resort error page, the metrics, the published bytes) before Vapor's
/// router, and Vapor's `DefaultResponder` (the route lookup, then the other
/// middlewares and the route) only after them.
///
/// Vapor looks the route up before any middleware runs: a kept page paid for
/// a route lookup it never used. `bench/web/floor.py` measured a Vapor
/// application that answers fixed bytes at 0.28–0.34× nginx through a route
/// and at 0.43–0.50× through a responder that skips the router (PERFORMANCE.md).
/// The order of the middlewares is the same as in one chain; unmatched paths
/// still reach every middleware (Vapor's not-found responder is wrapped in them).
///
/// A kept answer skips the chain's five futures (ADR 0035): its headers —
/// the security headers among them — were made once when it was kept, its
/// metrics and log line are written here, and it cannot fail or be left in
/// flight (it is made within this call).
struct FrontResponder: Responder {
    private let responder: any Responder
    private let kept: PublishedBytesMiddleware
    private let metrics: RequestMetrics?
    private let logRequests: Bool

    /// `next` is Vapor's default responder (`app.responder.default`): the router and `app.middleware`.
    init(front: [any Middleware], next: any Responder, kept: PublishedBytesMiddleware, metrics: RequestMetrics?, logRequests: Bool) {
        responder = front.makeResponder(chainingTo: next)
        self.kept = kept
        self.metrics = metrics
        self.logRequests = logRequests
    }

    func respond(to request: Request) -> EventLoopFuture<Response> {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let (response, path) = kept.kept(request) else { return responder.respond(to: request) }
        metrics?.record(method: request.method, status: response.status,
                        nanoseconds: Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
        if logRequests, request.logger.logLevel <= .info { RequestLogMiddleware.log(request, response.status, since: start, path: path) }
        return request.eventLoop.makeSucceededFuture(response)
    }
}
