import Foundation
import Vapor

/// Vapor's own floor for serving kept bytes: the fewest steps a Vapor
/// application can take to answer a GET with bytes already in memory, on
/// the same HTTP server configuration as `dti serve`. `bench/web/floor.py`
/// runs it beside nginx and the kept page of `dti serve`, so the gap between
/// OpenDTI and nginx is split into what Vapor costs and what OpenDTI adds.
///
///     vapor-floor FILE PORT route|route-quiet|responder|responder-headers|responder-lean [HEADERS_FILE]
///
/// `route`: one route (`GET **`) answering the bytes, no middleware at all.
/// `route-quiet`: the same without Vapor's per-request metrics (`reportMetrics`).
/// `responder`: the application's responder replaced by one that answers the
/// bytes (no router, no middleware): only Vapor's HTTP server is left.
/// `responder-headers`: the same with the headers of `HEADERS_FILE` (one
/// `Name: value` a line: the headers `dti serve` sends with its kept page),
/// so the floor answers exactly what the kept page answers.
/// `responder-lean`: `responder-headers` on the fewest handlers Vapor's HTTP/1
/// pipeline can be configured down to (no request decompressor, no support
/// for pipelined requests): what no setting of Vapor's server can go below.
@main
struct VaporFloor {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 4 || arguments.count == 5, let port = Int(arguments[2]), let data = FileManager.default.contents(atPath: arguments[1]) else {
            FileHandle.standardError.write(Data("usage: vapor-floor FILE PORT route|route-quiet|responder|responder-headers|responder-lean [HEADERS_FILE]\n".utf8))
            exit(2)
        }
        let bytes = ByteBuffer(data: data)
        var headers: HTTPHeaders = ["Content-Type": "text/html; charset=utf-8"]
        if arguments.count == 5, let text = try? String(contentsOfFile: arguments[4], encoding: .utf8) {
            headers = HTTPHeaders(text.split(separator: "\n").compactMap { line in
                let pair = line.split(separator: ":", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1].drop { $0 == " " })) : nil
            })
        }
        let app = try await Application.make(Environment(name: "production", arguments: ["vapor-floor"]))
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = port
        app.middleware = Middlewares()
        app.http.server.configuration.reportMetrics = arguments[3] != "route-quiet"
        if arguments[3] == "responder-lean" {
            app.http.server.configuration.requestDecompression = .disabled
            app.http.server.configuration.supportPipelining = false
        }
        if arguments[3].hasPrefix("responder") {
            app.responder.use { _ in FixedResponder(bytes: bytes, headers: headers) }
        } else {
            app.get("**") { _ in FixedResponder.response(bytes, headers) }
        }
        do {
            try await app.startup()
            try await app.running?.onStop.get()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

/// Answers every request with the same bytes, on the event loop.
struct FixedResponder: Responder {
    let bytes: ByteBuffer
    let headers: HTTPHeaders

    static func response(_ bytes: ByteBuffer, _ headers: HTTPHeaders) -> Response {
        Response(status: .ok, headers: headers, body: .init(buffer: bytes))
    }

    func respond(to request: Request) -> EventLoopFuture<Response> {
        request.eventLoop.makeSucceededFuture(Self.response(bytes, headers))
    }
}
