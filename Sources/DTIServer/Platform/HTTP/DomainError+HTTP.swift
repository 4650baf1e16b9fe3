import Vapor

/// The one place where domain refusals become HTTP statuses: the error
/// middleware shows `reason` as a Vietnamese page or as `{"error": true,
/// "reason": …}` under /api/.
extension DomainError: AbortError {
    var status: HTTPResponseStatus {
        switch self {
        case .unauthenticated: return .unauthorized
        case .forbidden: return .forbidden
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .invalid: return .unprocessableEntity
        case .unavailable: return .serviceUnavailable
        case .busy: return .tooManyRequests
        case .failure: return .internalServerError
        }
    }

    var reason: String { message }

    /// A busy refusal says when to try again.
    var headers: HTTPHeaders {
        if case .busy = self { return ["Retry-After": "5"] }
        return [:]
    }
}
