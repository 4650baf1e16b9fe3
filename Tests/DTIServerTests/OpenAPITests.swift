import Fluent
import Testing
import Vapor
import VaporTesting
import Yams
@testable import DTIServer

@Suite("The OpenAPI document and the routes agree", .serialized)
struct OpenAPITests {
    @Test("every API route is documented, every documented operation exists, and the document is served")
    func agreement() async throws {
        try await withDemoApp { app in
            let served = try await Browser(app).send(.GET, "/api/openapi.yaml")
            #expect(served.status == .ok)
            let document = try #require(try Yams.load(yaml: served.body) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: Any])
            var documented = Set<String>()
            for (path, item) in paths {
                for method in ((item as? [String: Any]) ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                    // OpenAPI writes {code}; the router writes :code.
                    let routerPath = path.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : String($0) }.joined(separator: "/")
                    documented.insert("\(method.uppercased()) /\(routerPath)")
                }
            }
            let apiRoutes = Set(app.routes.all.compactMap { route -> String? in
                let path = "/" + route.path.map(\.description).joined(separator: "/")
                guard path.hasPrefix("/api/") || path == "/healthz" || path == "/metrics" else { return nil }
                return "\(route.method.rawValue) \(path)"
            })
            #expect(documented == apiRoutes, "undocumented: \(apiRoutes.subtracting(documented).sorted()); not routed: \(documented.subtracting(apiRoutes).sorted())")
        }
    }

    @Test("metrics count requests in Prometheus format")
    func metrics() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            try await b.send(.GET, "/healthz")
            let r = try await b.send(.GET, "/metrics")
            #expect(r.status == .ok)
            #expect(r.body.contains("# TYPE dti_http_requests_total counter"))
            #expect(r.body.contains(#"dti_http_requests_total{method="GET",status="200"}"#))
            // Durations as a Prometheus histogram (swift-metrics Timer → swift-prometheus).
            #expect(r.body.contains("# TYPE dti_http_request_duration_seconds histogram"))
            #expect(r.body.contains(#"dti_http_request_duration_seconds_bucket{le="0.005"}"#))
            #expect(r.body.contains("dti_process_start_time_seconds"))
        }
    }

    @Test("kept pages are counted like every other answer: 200s and 304s")
    func keptPagesCounted() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            let published = try #require(try await Period.query(on: app.db).filter(\.$year == 2023).filter(\.$resultsOnly == true).first()).id!
            func count(_ status: Int) async throws -> Int {
                let body = try await b.send(.GET, "/metrics").body
                let prefix = #"dti_http_requests_total{method="GET",status="\#(status)"} "#
                let line = body.split(separator: "\n").first { $0.hasPrefix(prefix) }
                return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
            }
            let etag = try #require(try await b.send(.GET, "/results/\(published)").headers.first(name: .eTag))  // rendered and kept
            let (ok, notModified) = (try await count(200), try await count(304))
            for _ in 1...3 { #expect(try await b.send(.GET, "/results/\(published)").status == .ok) }
            #expect(try await b.send(.GET, "/results/\(published)", headers: ["If-None-Match": etag]).status == .notModified)
            // The three kept pages and the two /metrics reads after the first count (each counted once answered).
            let after = try await count(200)
            #expect(after == ok + 3 + 2, "\(ok) → \(after)")
            #expect(try await count(304) == notModified + 1)
        }
    }
}
