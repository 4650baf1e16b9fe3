import Foundation
import NIOConcurrencyHelpers
import Testing
import Vapor
@testable import DTIServer

/// Shutting down waits for the requests being answered, so that no handler
/// finds the databases gone (`InFlightRequests`).
@Suite("Shutdown waits for requests in flight")
struct InFlightRequestsTests {
    @Test("shutdown returns only after the last request has been answered, or after its patience")
    func waits() async throws {
        let app = try await Application.make(.testing)
        let requests = InFlightRequests(patience: .seconds(5))
        requests.begin()
        let answered = NIOLockedValueBox(false)
        let shutdown = Task {
            await requests.shutdownAsync(app)
            return answered.withLockedValue { $0 }
        }
        try await Task.sleep(for: .milliseconds(200))
        answered.withLockedValue { $0 = true }
        requests.end()
        #expect(await shutdown.value, "shutdown returned while a request was still being answered")

        let impatient = InFlightRequests(patience: .milliseconds(100))
        impatient.begin()
        let started = ContinuousClock.now
        await impatient.shutdownAsync(app)
        #expect(ContinuousClock.now - started < .seconds(3))
        try await app.asyncShutdown()
    }
}
