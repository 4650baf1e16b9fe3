import DTIFormats
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Leaf
import LeafKit
import Vapor

/// Configures the application with settings read from the environment.
public func configure(_ app: Application) async throws {
    try await configure(app, settings: ServerSettings.fromEnvironment())
}

/// Configures databases, sessions, views, middleware and routes, and runs
/// the migrations. Tests call this with in-memory settings.
public func configure(_ app: Application, settings: ServerSettings) async throws {
    // Views and static files ship inside the module's resource bundle, so the
    // server runs from any working directory.
    let resources = Bundle.module.bundleURL.appendingPathComponent("Resources")
    app.directory.viewsDirectory = resources.appendingPathComponent("Views").path + "/"
    app.directory.publicDirectory = resources.appendingPathComponent("Public").path + "/"

    // Opening, tuning and migrating a database: one process at a time (StartLock).
    let postgres = try settings.postgresConfiguration()
    let startLock = try await StartLock.acquire(settings, on: app)
    switch settings.storage {
    case .sqliteMemory:
        app.databases.use(.sqlite(.memory), as: .sqlite)
    case .sqliteFile(let path):
        // The data folder was made by StartLock.acquire, above.
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
        try await SQLiteTuning.apply(app)
    case .postgres:
        app.databases.use(.postgres(configuration: postgres!, maxConnectionsPerEventLoop: settings.databaseConnectionsPerLoop), as: .psql)
        if let schema = settings.postgresSchema {
            guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ServerSettings.Problems(problems: [.init(variable: "schema", message: "tên schema không hợp lệ")])
            }
            try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(unsafeRaw: schema)").run()
        }
    }

    // Migrations, append-only, in order.
    app.migrations.add(M001CreateUnits())                    // units and lineage
    app.migrations.add(M002CreateAccounts())                 // accounts, API tokens, audit log
    app.migrations.add(M003CreateFrameworksAndPeriods())     // framework versions, periods, phases
    app.migrations.add(SessionRecord.migration)              // sessions, shared by every server process
    app.migrations.add(M004AddEvaluatorFieldScope())         // evaluators scoped to fields of criteria
    app.migrations.add(M005CreateSubmissions())              // self-assessments, answers, change log
    app.migrations.add(M006AddReviewAndSnapshots())          // evaluator and council scores, published snapshots
    app.migrations.add(M007CreateCorrectionRequests())       // correction requests and their threads
    app.migrations.add(M008CreateEvidence())                 // evidence files
    app.migrations.add(M009CreatePhaseExceptions())          // deadline exceptions
    app.migrations.add(M010CreateOutbox())                   // e-mail addresses and the notification outbox
    app.migrations.add(M011CreateResultSets())               // published results tables; results-only periods
    app.migrations.add(M012CreatePublishedRecords())         // the typed published record of each period
    app.migrations.add(M013AddNotificationLinks())           // notifications link to their row and know when they were read
    app.migrations.add(M014AddParticipationAndPasswordChange()) // the units of a period; a password change forced after a reset
    app.migrations.add(M015AddPreliminaryResultsAndComplaints()) // preliminary results, complaints, corrected record versions
    app.migrations.add(M016AddUnitCoordinates())             // units' centroids from the administrative directory
    app.migrations.add(M017AddPeriodRevision())              // a period's revision, raised by triggers (PeriodCache)
    app.migrations.add(M018AddScoreRevisions())              // answers', participation's and the directory's revisions (LiveRanking)
    app.migrations.add(M019AddLookupIndexes())               // indexes on the columns form views and the change log look up by
    app.migrations.add(M020LogAnswerChangesByTrigger())      // an answer's changed fields logged by the database, in the save's statement
    app.migrations.add(M021LogEveryAnswerChangeByTrigger())  // every answer change logged by the database: first answers and reviewers' scores too
    app.migrations.add(M022AddTrustedDevicesAndSessionEpoch()) // browsers an owner signed in from; the time sessions count from
    app.migrations.add(M023CreateFeeds()) // data feeds: ingestions kept whole, values superseded, never overwritten
    app.migrations.add(M024CreateIndexMonths()) // each unit's index at the end of each month of a running period, kept
    try await app.autoMigrate()
    await startLock?.release()   // the next process starting on this database may go on

    // Sessions in the database, written only when they change; the cookie is HttpOnly,
    // SameSite=Strict, and Secure when the site is served over HTTPS (Vapor's default is none of these).
    let metrics = settings.metrics ? RequestMetrics() : nil
    app.sessions.use { app in QuietSessions(base: app.fluent.sessions.driver(), metrics: metrics) }
    let secure = settings.secureCookies
    app.sessions.configuration = SessionsConfiguration(cookieName: "dti_session") { id in
        HTTPCookies.Value(string: id.string, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .strict)
    }
    // Passwords and uploaded spreadsheets are heavy: each on threads of its own with a bounded
    // queue, never on the event loops nor on the threads SQLite's statements run on (ADR 0037).
    let passwordPool = BoundedWork(purpose: "kiểm tra mật khẩu", threads: settings.passwordThreads, capacity: settings.passwordThreads * 8)
    app.lifecycle.use(passwordPool)
    app.passwordWork = PasswordWork(work: passwordPool)
    let spreadsheetPool = BoundedWork(purpose: "đọc tệp Excel", threads: 1, capacity: 3)
    app.lifecycle.use(spreadsheetPool)
    app.spreadsheetWork = SpreadsheetWork(work: spreadsheetPool, seconds: Double(settings.spreadsheetSeconds))
    // The data feeds, read once from their files (a broken file stops the start, named).
    app.feeds = try FeedRegistry.load(settings.feedsDirectory ?? FeedRegistry.defaultDirectory())
    // Outside tools, looked up once (not on every results page).
    app.converter = InstalledTools()
    // Word documents are built on a thread of their own, one at a time, queued without a bound.
    let documentWork = BoundedWork(purpose: "dựng tài liệu Word", threads: 1, capacity: .max)
    app.documentWork = documentWork
    app.lifecycle.use(documentWork)
    // Evidence lives under the data directory, never under the public folder.
    app.useFileStore(try LocalFileStore(directory: settings.storage == .sqliteMemory
        ? FileManager.default.temporaryDirectory.appendingPathComponent("opendti-evidence-\(UUID().uuidString)").path
        : settings.dataDirectory + "/evidence"))
    app.useFeedFiles(try LocalFileStore(directory: settings.storage == .sqliteMemory
        ? FileManager.default.temporaryDirectory.appendingPathComponent("opendti-feed-files-\(UUID().uuidString)").path
        : settings.dataDirectory + "/feed-files"))
    app.views.use(.leaf)
    // The resource bundle lives under .build when run from a checkout; Leaf's
    // default refuses paths with hidden directories, so keep only the sandbox.
    app.leaf.sources = .singleSource(NIOLeafFiles(
        fileio: app.fileio, limits: [.toSandbox, .requireExtensions],
        sandboxDirectory: app.directory.viewsDirectory, viewDirectory: app.directory.viewsDirectory))

    // The future-based middlewares every answer passes run before Vapor's router (FrontResponder):
    // a kept page is answered without a route lookup.
    var front = Middlewares()
    // Shutdown waits for the requests being answered (registered after the databases: its shutdown runs first).
    let inFlight = InFlightRequests()
    app.lifecycle.use(inFlight)
    front.use(InFlightRequests.Middleware(requests: inFlight))
    let logRequests = app.environment != .testing
    if logRequests { front.use(RequestLogMiddleware()) }  // a line per request, with status and time
    let securityHeaders = SecurityHeadersMiddleware(strictTransport: settings.secureCookies)
    front.use(securityHeaders)  // CSP, framing, sniffing, referrer
    front.use(ErrorMiddleware.default(environment: app.environment))  // last resort
    if let metrics { front.use(MetricsMiddleware(metrics: metrics)) }
    app.publishedBytes = PublishedBytes(everyAnswer: securityHeaders.headers)
    // A connection that neither reads nor writes for this long is closed (slow or silent clients).
    app.http.server.configuration.idleTimeout = .seconds(Int64(settings.idleSeconds))
    app.publishedSite = settings.siteDirectory.map(PublishedSite.init(directory:))  // the published pages as files, kept by the watch
    app.lifecycle.use(PublishedSiteLifecycle())  // a write under way ends before the database does
    app.lifecycle.use(PublishedRecordWatch(interval: TimeInterval(settings.publishedWatchSeconds)))  // corrections made by another process
    app.periodCache = PeriodCache()
    app.keptAnswers = KeptAnswers()
    app.liveRanking = LiveRanking()
    let frontMiddleware = front.resolve()
    let sessionCookie = app.sessions.configuration.cookieName
    app.responder.use { app in
        // Made when the server starts, every route registered: each declares whether it is kept (`Route.kept`).
        let publishedBytes = PublishedBytesMiddleware(cache: app.publishedBytes, routes: KeptRoutes(app.routes), sessionCookieName: sessionCookie)
        return FrontResponder(front: frontMiddleware + [publishedBytes],  // published pages: rendered once, then bytes with ETag/304
                              next: app.responder.default, kept: publishedBytes, metrics: metrics, logRequests: logRequests)
    }
    // Then, after the route lookup:
    app.middleware = Middlewares()
    // The async middlewares run in chains, one task per chain (AsyncChain, ADR 0023).
    app.middleware.use(AsyncChain([
        ErrorPageMiddleware(),
        MethodNotAllowedMiddleware(),                                 // 405 with Allow for a path that exists with another method
        PublicFilesMiddleware(publicDirectory: app.directory.publicDirectory),  // styles and scripts
    ]))
    app.middleware.use(app.sessions.middleware)
    app.middleware.use(AsyncChain([
        SessionTimeoutMiddleware(idle: Double(settings.sessionIdleMinutes) * 60, absolute: Double(settings.sessionMaxHours) * 3600),
        SessionUserAuthenticator(),
        BearerTokenAuthenticator(),
        UnreadCountMiddleware(),                                      // the header's unread notifications
        MultipartGuardMiddleware(),                                   // our parser reads every multipart body before Vapor's may
        CSRFMiddleware(),
    ]))

    // Forms and JSON bodies are small; uploads will stream (later).
    app.routes.defaultMaxBodySize = "64kb"

    let login = LoginService(maxFailures: settings.maxFailedLogins, lockout: Double(settings.lockoutMinutes) * 60)
    try app.register(collection: HomeController(metrics: metrics))
    try app.register(collection: AuthController(login: login))
    try app.register(collection: UnitController())
    try app.register(collection: ProvinceSetupController(directory: settings.directoryPath ?? AdminDirectory.defaultDirectory()))
    try app.register(collection: FrameworkController())
    try app.register(collection: PeriodController())
    try app.register(collection: BoardController())
    try app.register(collection: FeedController())
    try app.register(collection: SelfAssessmentController())
    try app.register(collection: IndexTrendController())
    try app.register(collection: ReviewController())
    try app.register(collection: PublicationController())
    try app.register(collection: CorrectionController())
    try app.register(collection: EvidenceController(maxBytes: settings.evidenceMaxMB * 1_048_576))
    try app.register(collection: ComplaintController(maxBytes: settings.evidenceMaxMB * 1_048_576))
    try app.register(collection: NotificationController())
    try app.register(collection: ResultsController())
    if !settings.smtpHost.isEmpty {
        app.lifecycle.use(OutboxWorker(mailer: SMTPMailer(host: settings.smtpHost, port: settings.smtpPort, from: settings.mailFrom,
                                                          username: settings.smtpUser, password: settings.smtpPassword)))
    }
    if app.environment != .testing { app.lifecycle.use(DeadlineReminderWorker()) }
    // Feeds pulled from their sources on their schedules (tests call FeedPull.sweep themselves).
    if app.environment != .testing { app.lifecycle.use(FeedPullWorker()) }
    if app.environment != .testing {
        app.lifecycle.use(SessionSweepWorker(idle: Double(settings.sessionIdleMinutes) * 60, absolute: Double(settings.sessionMaxHours) * 3600))
    }
    try app.register(collection: AccountController(accounts: AccountDirectory(policy: PasswordPolicy(minLength: settings.passwordMinLength))))
}
