import Vapor

/// The application's responder: the future-based middlewares every answer
/// passes (the request's log line, the security headers, the last-resort
/// error page, the metrics, the published bytes) run before Vapor's router,
/// and Vapor's `DefaultResponder` (the route lookup, then the other
/// middlewares and the route) only after them.
///
/// Vapor looks the route up before any middleware runs: a kept page paid for
/// a route lookup it never used. `bench/web/floor.py` measured a Vapor
/// application that answers fixed bytes at 0.28–0.34× nginx through a route
/// and at 0.43–0.50× through a responder that skips the router (PERFORMANCE.md).
/// The order of the middlewares is the same as in one chain; unmatched paths
/// still reach every middleware (Vapor's not-found responder is wrapped in them).
struct FrontResponder: Responder {
    private let responder: any Responder

    /// `next` is Vapor's default responder (`app.responder.default`): the router and `app.middleware`.
    init(front: [any Middleware], next: any Responder) {
        responder = front.makeResponder(chainingTo: next)
    }

    func respond(to request: Request) -> EventLoopFuture<Response> {
        responder.respond(to: request)
    }
}
