import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The time of day, as an effect: workflow rules (phases, deadlines, locks,
/// token expiry) ask the application's clock, so tests can set the date.
protocol WallClock: Sendable {
    func now() -> Date
}

/// The machine's clock.
struct SystemClock: WallClock {
    func now() -> Date { Date() }
}

/// A clock that says what it is told (tests).
final class FixedClock: WallClock {
    private let current: NIOLockedValueBox<Date>
    init(_ date: Date) { current = .init(date) }
    func now() -> Date { current.withLockedValue { $0 } }
    func set(_ date: Date) { current.withLockedValue { $0 = date } }
    func advance(_ seconds: TimeInterval) { current.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
}

extension Application {
    private struct WallClockKey: StorageKey { typealias Value = any WallClock }

    /// The application's clock: the system clock unless a test sets another.
    var clock: any WallClock {
        get { storage[WallClockKey.self] ?? SystemClock() }
        set { storage[WallClockKey.self] = newValue }
    }
}

extension Request {
    var now: Date { application.clock.now() }
    /// Today in Việt Nam, ISO (yyyy-mm-dd), by the application's clock.
    var today: String { DateText.todayISO(now) }
}
