import Vapor

/// Why a service refuses, in the domain's words: the one family of errors the
/// services throw. `DomainError+HTTP` is the one place that turns each into
/// an HTTP status; the message is the Vietnamese text the user reads.
enum DomainError: Error, Equatable {
    /// Nobody is signed in.
    case unauthenticated
    /// This account may not do this (whatever the moment).
    case forbidden(String)
    /// No such thing, or not one this account may know of.
    case notFound(String)
    /// Not now: a phase, a lock, a status, or someone else's newer change.
    case conflict(String)
    /// What was sent does not fit the rules; every problem named.
    case invalid(String)
    /// A tool the server needs is not installed.
    case unavailable(String)
    /// Too much of this work is already running or waiting: try again shortly.
    case busy(String)
    /// The server failed; the message says what it could not do.
    case failure(String)

    var message: String {
        switch self {
        case .unauthenticated: return "Cần đăng nhập."
        case .forbidden(let m), .notFound(let m), .conflict(let m), .invalid(let m), .unavailable(let m), .busy(let m), .failure(let m): return m
        }
    }
}
