import Foundation
import Metrics
import Prometheus
import NIOConcurrencyHelpers
import Vapor

/// Request counters and durations through swift-metrics, exposed in the
/// Prometheus text format at /metrics by swift-prometheus. Each application
/// has its own registry and factory (passed explicitly, not bootstrapped
/// globally), so test applications and two servers in one process never
/// share counts.
final class RequestMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let started: Metrics.Gauge
    let duration: Metrics.Timer
    /// Session rows written (created, changed, deleted): a signed-in request that changes nothing writes none.
    let sessionWrites: Metrics.Counter
    /// One counter per method and status, made once: building one through
    /// the factory on every request (a locked lookup by label and
    /// dimensions, the dimension strings made anew) was most of what the
    /// metrics cost (bench/web/observability.py).
    private let counters = NIOLockedValueBox<[Key: Metrics.Counter]>([:])

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                                   .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]
        self.factory = factory
        started = Metrics.Gauge(label: "dti_process_start_time_seconds", factory: factory)
        started.record(Int(Date().timeIntervalSince1970))
        duration = Metrics.Timer(label: "dti_http_request_duration_seconds", dimensions: [], factory: factory)
        sessionWrites = Metrics.Counter(label: "dti_session_writes_total", dimensions: [], factory: factory)
    }

    func record(method: HTTPMethod, status: HTTPResponseStatus, nanoseconds: Int64) {
        counter(method: method, status: status).increment()
        duration.recordNanoseconds(nanoseconds)
    }

    private func counter(method: HTTPMethod, status: HTTPResponseStatus) -> Metrics.Counter {
        let key = Key(method: method, status: status.code)
        if let kept = counters.withLockedValue({ $0[key] }) { return kept }
        let made = Metrics.Counter(label: "dti_http_requests_total", dimensions: [("method", method.rawValue), ("status", String(status.code))], factory: factory)
        counters.withLockedValue { $0[key] = made }
        return made
    }

    private struct Key: Hashable {
        var method: HTTPMethod
        var status: UInt
        static func == (a: Key, b: Key) -> Bool { a.status == b.status && a.method == b.method }
        func hash(into hasher: inout Hasher) {
            hasher.combine(status)
            hasher.combine(method.rawValue)
        }
    }

    func exposition() -> String { registry.emitToString() }
}

/// Future-based: no hop into Swift concurrency per request. A request that
/// fails with an error is counted by the error middleware's answer, outside.
struct MetricsMiddleware: Middleware {
    let metrics: RequestMetrics

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = DispatchTime.now().uptimeNanoseconds
        return next.respond(to: request).map { response in
            metrics.record(method: request.method, status: response.status,
                           nanoseconds: Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
            return response
        }
    }
}
