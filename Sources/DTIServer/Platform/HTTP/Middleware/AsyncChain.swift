import Vapor

/// Several async middlewares run in one task, in order.
///
/// Vapor runs every `AsyncMiddleware` in a task of its own and passes the
/// request on through an `EventLoopFuture`, so each one costs a task and two
/// thread hops per request. In a chain the request goes from one to the next
/// by a plain call: the same middlewares, the same order, one task (ADR 0023).
struct AsyncChain: AsyncMiddleware {
    let middlewares: [any AsyncMiddleware]

    init(_ middlewares: [any AsyncMiddleware]) { self.middlewares = middlewares }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await Link(middlewares: middlewares[...], last: next).respond(to: request)
    }

    private struct Link: AsyncResponder {
        let middlewares: ArraySlice<any AsyncMiddleware>
        let last: any AsyncResponder

        func respond(to request: Request) async throws -> Response {
            guard let first = middlewares.first else { return try await last.respond(to: request) }
            return try await first.respond(to: request, chainingTo: Link(middlewares: middlewares.dropFirst(), last: last))
        }
    }
}

/// Vapor's `FileMiddleware`, asked only for paths that begin with a name in
/// the public folder (listed once at start: the folder ships inside the
/// bundle and never changes while the server runs). Vapor's asks the file
/// system about every request's path, on another thread, before any route.
struct PublicFilesMiddleware: AsyncMiddleware {
    let files: FileMiddleware
    let names: Set<Substring>

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory)
        names = Set(((try? FileManager.default.contentsOfDirectory(atPath: publicDirectory)) ?? []).map { Substring($0) })
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let first = request.url.path.dropFirst().prefix { $0 != "/" }
        guard names.contains(first) else { return try await next.respond(to: request) }
        return try await files.respond(to: request, chainingTo: next)
    }
}
