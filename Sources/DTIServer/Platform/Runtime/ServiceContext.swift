import Fluent
import Vapor

/// What a service needs from a request, and nothing else: the acting
/// account, the database, the clock, the password hasher and the client's
/// address for the audit log. Controllers build it once per request
/// (`req.context`); services take it instead of a `Request`, so they can be
/// called — and tested — without HTTP.
struct ServiceContext: Sendable {
    var actor: UserAccount?
    var db: any Database
    var clock: any WallClock
    /// The client's address, for the audit log.
    var address: String
    var hashPassword: @Sendable (String) async throws -> String
    /// Whether a password matches a stored hash.
    var verifyPassword: @Sendable (String, String) async throws -> Bool = { _, _ in false }
    /// This process's kept periods (PeriodCache), when the context comes from a request.
    var periods: PeriodCache? = nil
    /// This process's kept answers (KeptAnswers), when the context comes from a request.
    var keptAnswers: KeptAnswers? = nil
    /// This process's kept published pages (PublishedBytes), forgotten by a correction.
    var publishedPages: PublishedBytes? = nil

    var now: Date { clock.now() }
    /// Today in Việt Nam, ISO.
    var today: String { DateText.todayISO(now) }

    /// The acting account, or 401.
    func signedIn() throws -> UserAccount {
        guard let actor else { throw DomainError.unauthenticated }
        return actor
    }

    /// The same context on another database handle (a transaction).
    func on(_ db: any Database) -> ServiceContext {
        var copy = self
        copy.db = db
        return copy
    }
}

extension ServiceContext {
    /// The context of work no request brought (the demo's loading, a scheduled pull): nobody signed in,
    /// `address` says what did it, and the process's caches are kept up to date as a request's would be.
    static func background(_ app: Application, address: String) -> ServiceContext {
        ServiceContext(actor: nil, db: app.db, clock: app.clock, address: address, hashPassword: { _ in "" },
                       periods: app.periodCache, keptAnswers: app.keptAnswers, publishedPages: app.publishedBytes)
    }
}

extension Request {
    /// This request's service context.
    var context: ServiceContext {
        let address = headers.first(name: "X-Forwarded-For")?.split(separator: ",").first.map { String($0).trimmingCharacters(in: .whitespaces) }
            ?? remoteAddress?.ipAddress ?? ""
        return ServiceContext(actor: user, db: db, clock: application.clock, address: address,
                              hashPassword: { [work = application.passwordWork] in try await work.hash($0) },
                              verifyPassword: { [work = application.passwordWork] in try await work.verify($0, created: $1) },
                              periods: application.periodCache, keptAnswers: application.keptAnswers, publishedPages: application.publishedBytes)
    }
}
