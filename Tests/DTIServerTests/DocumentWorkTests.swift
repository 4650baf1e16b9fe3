import Dispatch
import Foundation
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// A converter whose charts take as long as the test says: each PNG waits at a gate,
/// as `rsvg-convert` takes about a second per chart of a 4,000-unit decision.
final class GatedConverter: DocumentConverter {
    let calls = NIOLockedValueBox(0)
    let gate = DispatchSemaphore(value: 0)
    var canMakePDF: Bool { false }
    func pdf(fromDOCX docx: Data) async throws -> Data { throw Abort(.serviceUnavailable) }
    func png(fromSVG svg: String) -> Data? {
        calls.withLockedValue { $0 += 1 }
        gate.wait()
        return nil
    }
    func open() { for _ in 0..<1_000 { gate.signal() } }
}

/// Issue 13: on results day the draft decision of a long ranking takes half a minute to
/// build. It is built once for everyone who asks meanwhile, off the threads other requests need.
@Suite("Slow downloads: built once, off the request threads", .serialized)
struct DocumentWorkTests {
    func published(_ app: Application) async throws -> UUID {
        struct Item: Decodable { var id: UUID; var year: Int }
        return try #require(try await Browser(app).send(.GET, "/api/v1/results").json([Item].self).first { $0.year == 2023 }?.id)
    }

    @Test("two readers download a decision while it is being built: it is built once, both get its bytes, and a signed-in page answers meanwhile",
          // A guard against the deadlock this test would find, not a timing: with every suite running
          // at once on PostgreSQL beside the browser journeys, a test here took 60–85 s to finish.
          .timeLimit(.minutes(5)))
    func builtOnce() async throws {
        try await withDemoApp { app in
            let converter = GatedConverter()
            app.converter = converter
            let id = try await published(app)
            let path = "/results/\(id)/decision.docx"
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            try await withThrowingTaskGroup(of: (HTTPStatus, String).self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let answer = try await Browser(app).send(.GET, path)
                        return (answer.status, answer.body)
                    }
                }
                // The first chart is being drawn: the build holds the documents' thread.
                while converter.calls.withLockedValue({ $0 }) == 0 { try await Task.sleep(nanoseconds: 10_000_000) }
                // Before, two builds at once held both of Swift's threads here, and this page waited for them.
                let page = try await focal.send(.GET, "/periods")
                #expect(page.status == .ok)
                #expect(converter.calls.withLockedValue { $0 } == 1, "the second reader waits for the first build instead of starting one")
                converter.open()
                var bodies: [String] = []
                for try await (status, body) in group {
                    #expect(status == .ok)
                    bodies.append(body)
                }
                #expect(bodies.count == 2 && bodies[0] == bodies[1] && bodies[0].hasPrefix("PK"))
            }
            let perBuild = converter.calls.withLockedValue { $0 }
            #expect(perBuild >= 1)
            // Kept: the next reader, and a signed-in one, are served the bytes without a build.
            let anonymous = try await Browser(app).send(.GET, path)
            let signedIn = try await focal.send(.GET, path)
            #expect(anonymous.status == .ok && signedIn.status == .ok)
            #expect(anonymous.body == signedIn.body)
            #expect(signedIn.headers.first(name: .eTag) != nil, "a download is the same bytes for every reader")
            #expect(converter.calls.withLockedValue { $0 } == perBuild)
            // A signed-in reader's page is still rendered for them (their name in its header).
            let page = try await focal.send(.GET, "/results/\(id)")
            #expect(page.headers.first(name: .eTag) == nil)
            // Built again from nothing: the same number of charts as the one build above.
            app.publishedBytes.forget(period: id)
            #expect(try await Browser(app).send(.GET, path).status == .ok)
            #expect(converter.calls.withLockedValue { $0 } == 2 * perBuild)
        }
    }
}
