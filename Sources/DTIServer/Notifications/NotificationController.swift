import Fluent
import Vapor

/// The signed-in account's notifications, newest first.
struct NotificationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Signed in: each account sees only its own.
        routes.grouped(RoleGuard.signedIn).get("api", "v1", "notifications", use: list)
        routes.grouped(RoleGuard.signedIn).get("notifications", use: page)
        // Administrator: send the deadline reminders now rather than at the next hourly sweep.
        routes.grouped(RoleGuard(.administrator)).post("api", "v1", "reminders", use: remind)
    }

    struct Reminded: Content { var created: Int }

    @Sendable func remind(req: Request) async throws -> Reminded {
        let created = try await DeadlineReminders.sweep(on: req.db, today: req.today)
        try await AuditLog.record(req, actor: req.user!, action: "deadline_reminders", target: "", detail: "\(created)")
        return Reminded(created: created)
    }

    struct Page: Encodable {
        struct Row: Encodable { var subject: String; var body: String; var at: String; var emailed: Bool; var link: String; var unread: Bool }
        var layout: Layout
        var rows: [Row]
    }

    @Sendable func page(req: Request) async throws -> View {
        let rows = try await list(req: req).map {
            Page.Row(subject: $0.subject, body: $0.body, at: $0.createdAt.map(DateText.dateTime) ?? "", emailed: $0.emailed, link: $0.link, unread: !$0.read)
        }
        let view = try await req.view.render("notifications", Page(layout: Layout(req, title: "Thông báo"), rows: rows))
        // Shown once is read: the header's count goes down on the next page.
        try await OutboxMessage.query(on: req.db).filter(\.$recipient == req.user!.username).filter(\.$readAt == nil)
            .set(\.$readAt, to: req.context.now).update()
        return view
    }

    struct Item: Content {
        var kind: String
        var subject: String
        var body: String
        var createdAt: Date?
        var emailed: Bool
        /// The page the notification is about ("" for none).
        var link: String
        var read: Bool
    }

    @Sendable func list(req: Request) async throws -> [Item] {
        try await OutboxMessage.query(on: req.db).filter(\.$recipient == req.user!.username).sort(\.$createdAt, .descending).limit(200).all()
            .map { Item(kind: $0.kind, subject: $0.subject, body: $0.body, createdAt: $0.createdAt, emailed: $0.sentAt != nil, link: $0.link, read: $0.readAt != nil) }
    }
}

/// Delivers the outbox every half minute while the server runs, when an
/// SMTP host is configured.
final class OutboxWorker: LifecycleHandler, @unchecked Sendable {
    let mailer: any Mailer
    // Set in didBoot, cancelled in shutdown (both on the application's lifecycle).
    private var task: Task<Void, Never>?

    init(mailer: any Mailer) { self.mailer = mailer }

    func didBootAsync(_ application: Application) async throws {
        let mailer = self.mailer
        let db = application.db
        let logger = application.logger
        task = Task {
            while !Task.isCancelled {
                do {
                    let (sent, failed) = try await Notifier.deliverPending(db, mailer: mailer, clock: application.clock)
                    if sent + failed > 0 { logger.info("outbox: \(sent) sent, \(failed) failed") }
                } catch {
                    logger.warning("outbox: \(error)")
                }
                try? await Task.sleep(nanoseconds: 30_000_000_000)
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        task?.cancel()
    }
}
