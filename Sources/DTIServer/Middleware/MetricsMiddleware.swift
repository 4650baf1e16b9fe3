import Foundation
import Vapor

/// Request counters and durations in Prometheus text format at /metrics.
final class RequestMetrics: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private var durationSum: Double = 0
    private var durationCount = 0
    let startedAt = Date()

    func record(method: HTTPMethod, status: HTTPResponseStatus, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        counts["method=\"\(method.rawValue)\",status=\"\(status.code)\"", default: 0] += 1
        durationSum += seconds
        durationCount += 1
    }

    func exposition() -> String {
        lock.lock(); defer { lock.unlock() }
        var lines = [
            "# HELP dti_http_requests_total HTTP requests answered, by method and status.",
            "# TYPE dti_http_requests_total counter",
        ]
        for key in counts.keys.sorted() { lines.append("dti_http_requests_total{\(key)} \(counts[key]!)") }
        lines += [
            "# HELP dti_http_request_duration_seconds Time spent answering requests.",
            "# TYPE dti_http_request_duration_seconds summary",
            "dti_http_request_duration_seconds_sum \(durationSum)",
            "dti_http_request_duration_seconds_count \(durationCount)",
            "# HELP dti_process_start_time_seconds Start time of the process since the Unix epoch.",
            "# TYPE dti_process_start_time_seconds gauge",
            "dti_process_start_time_seconds \(Int(startedAt.timeIntervalSince1970))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

struct MetricsMiddleware: AsyncMiddleware {
    let metrics: RequestMetrics

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next.respond(to: request)
        metrics.record(method: request.method, status: response.status,
                       seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return response
    }
}
