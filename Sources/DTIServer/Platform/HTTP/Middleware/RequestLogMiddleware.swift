import Foundation
import Logging
import Vapor

/// One log line per request, when it is answered: method, path, status and
/// time taken (`GET /results/… 200 0.4 ms`). Future-based, like the metrics,
/// so a kept page costs no hop into Swift concurrency; nothing is formatted
/// when the level is above info (`LOG_LEVEL=warning`). Vapor's own route
/// logger wrote the line before the answer, without its status or time.
struct RequestLogMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard request.logger.logLevel <= .info else { return next.respond(to: request) }
        let start = DispatchTime.now().uptimeNanoseconds
        return next.respond(to: request).map { response in
            Self.log(request, response.status, since: start)
            return response
        }
    }

    /// The line for an answered request (also written for the kept pages `FrontResponder` answers
    /// itself, which know their path: Vapor's `URI.path` is a Foundation replacement over the text).
    ///
    /// With the text log format the line goes straight to `TextLogHandler.writeInfo`, in that
    /// handler's format, without swift-log: no message value, no merge of the logger's metadata
    /// (Vapor's `request-id` is `request.id`). Measured by the server's CPU per kept answer
    /// (PERFORMANCE.md).
    static func log(_ request: Request, _ status: HTTPResponseStatus, since start: UInt64, path: String? = nil) {
        let micros = (DispatchTime.now().uptimeNanoseconds &- start) / 1000
        let target = path ?? request.url.path
        // "GET /results/… 200 0.4 ms"
        func message(_ line: inout String) {
            line += request.method.rawValue
            line += " "
            line += target
            line += " "
            line += String(status.code)
            line += " "
            line += String(micros / 1000)
            line += "."
            line += String(micros % 1000 / 100)
            line += " ms"
        }
        guard TextLogHandler.writesRequestLines.load(ordering: .relaxed) else {
            var text = ""
            message(&text)
            request.logger.info("\(text)")
            return
        }
        TextLogHandler.writeInfo(requestID: request.id, reserving: target.utf8.count + 32, message)
    }
}
