import NIOConcurrencyHelpers
import Vapor

/// The requests being answered, so that shutting down waits for them.
///
/// A route handler runs in a task of its own: when its client hangs up, the
/// connection closes and Vapor's server may stop while the handler still
/// runs. Shutdown then takes the databases away under it, and Fluent's
/// `request.db` traps (the fresh-clone CI run crashed so, in the
/// interrupted-upload test). Registered after the databases, this handler's
/// shutdown runs before theirs (Vapor shuts handlers down in reverse) and
/// waits, up to `patience`, until every request has been answered.
final class InFlightRequests: LifecycleHandler, Sendable {
    private let count = NIOLockedValueBox(0)
    let patience: Duration

    init(patience: Duration = .seconds(10)) { self.patience = patience }

    var current: Int { count.withLockedValue { $0 } }

    func begin() { count.withLockedValue { $0 += 1 } }
    func end() { count.withLockedValue { $0 -= 1 } }

    func shutdownAsync(_ application: Application) async {
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        while current > 0, clock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if current > 0 { application.logger.warning("Dừng máy chủ khi còn \(current) yêu cầu chưa trả lời xong.") }
    }

    /// Counts each request from its first middleware to its answer (or its error).
    struct Middleware: Vapor.Middleware {
        let requests: InFlightRequests

        func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
            requests.begin()
            return next.respond(to: request).always { _ in requests.end() }
        }
    }
}
