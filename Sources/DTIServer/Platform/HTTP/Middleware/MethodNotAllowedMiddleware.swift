import RoutingKit
import Vapor

/// A request to a path that exists with another method answers 405 with an
/// `Allow` header (RFC 9110), not 404: the API tells a client what it may
/// do there. Paths are matched as the router matches them (constants,
/// `:parameters`, `**`), against the routes registered at start.
struct MethodNotAllowedMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let notFound as RouteNotFound {
            // The router found no route for this method: does the path exist with another?
            let segments = request.url.path.split(separator: "/").map(String.init)
            // As the API documents its paths: a constant segment ("import") wins over a parameter (":code").
            let matching = request.application.routes.all.filter { Self.matches($0.path, segments) }
            let mostSpecific = matching.map { $0.path.filter { if case .constant = $0 { return true } else { return false } }.count }.max() ?? 0
            let allowed = Set(matching.filter { route in
                route.path.filter { if case .constant = $0 { return true } else { return false } }.count == mostSpecific
            }.map(\.method.rawValue))
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw notFound }
            var methods = allowed
            if methods.contains("GET") { methods.insert("HEAD") }
            let error = Abort(.methodNotAllowed, headers: ["Allow": methods.sorted().joined(separator: ", ")],
                              reason: "Phương thức \(request.method.rawValue) không dùng được ở địa chỉ này; dùng: \(allowed.sorted().joined(separator: ", ")).")
            throw error
        }
    }

    static func matches(_ path: [PathComponent], _ segments: [String]) -> Bool {
        var i = 0
        for component in path {
            switch component {
            case .catchall: return i < segments.count
            case .anything, .parameter: guard i < segments.count else { return false }
            case .constant(let c): guard i < segments.count, segments[i] == c else { return false }
            }
            i += 1
        }
        return i == segments.count
    }
}
