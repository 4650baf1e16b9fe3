import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Failed sign-ins counted per client address: past `limit` failures within
/// `window`, the address is refused (429) until the oldest failure ages out.
/// The per-account lockout stops guessing one password; this stops one
/// address from trying many accounts. Kept in memory, per process: each
/// server process counts its own (nginx `limit_req` covers a farm, DEPLOY.md).
final class AddressThrottle: Sendable {
    let limit: Int
    let window: TimeInterval
    /// Address → times of its recent failures, oldest first.
    private let failures = NIOLockedValueBox<[String: [Date]]>([:])
    /// Addresses kept at most: the oldest entries go first past this.
    static let capacity = 10_000

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// The address a request is counted under: the peer, or — when the peer
    /// is the reverse proxy on this machine — the client it forwards for.
    /// A client-sent X-Forwarded-For from anywhere else is not believed.
    static func address(of request: Request) -> String {
        let peer = request.remoteAddress?.ipAddress ?? ""
        if peer == "127.0.0.1" || peer == "::1", let forwarded = request.headers.first(name: "X-Forwarded-For")?.split(separator: ",").last {
            return String(forwarded).trimmingCharacters(in: .whitespaces)
        }
        return peer
    }

    /// Takes a place for one attempt from `address` before its password is
    /// checked, in one step, so that attempts sent at once each count: false
    /// when the address already has `limit` recent failures.
    func reserve(_ address: String, now: Date) -> Bool {
        failures.withLockedValue { map in
            let recent = (map[address] ?? []).filter { now.timeIntervalSince($0) < window }
            guard recent.count < limit else {
                map[address] = recent
                return false
            }
            if map[address] == nil, map.count >= Self.capacity {
                // Forget the address whose last failure is oldest.
                if let oldest = map.min(by: { ($0.value.last ?? .distantPast) < ($1.value.last ?? .distantPast) })?.key { map[oldest] = nil }
            }
            map[address] = recent + [now]
            return true
        }
    }

    /// The attempt reserved at `at` was a right password: its place is given
    /// back. The address's other failures stay: signing in to one's own
    /// account does not clear what the address guessed at others.
    func release(_ address: String, at: Date) {
        failures.withLockedValue { map in
            guard var times = map[address], let index = times.lastIndex(of: at) else { return }
            times.remove(at: index)
            map[address] = times.isEmpty ? nil : times
        }
    }
}
