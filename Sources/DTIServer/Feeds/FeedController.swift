import DTICore
import Fluent
import Foundation
import Vapor

/// The data feeds' API (issue 33): what each feed is (public, like the methodology),
/// its ingestions (the administrator, evaluators and the council), and a data file
/// sent by the administrator.
struct FeedController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("api", "v1", "feeds", use: list)
        routes.get("api", "v1", "feeds", ":key", use: show)
        let reviewers = routes.grouped(RoleGuard(.administrator, .evaluator, .councilMember))
        reviewers.get("api", "v1", "feeds", ":key", "ingestions", use: ingestions)
        reviewers.get("feeds", use: page)
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.on(.POST, "api", "v1", "feeds", ":key", "data", body: .collect(maxSize: "16mb"), use: upload)
        admin.on(.POST, "admin", "feeds", ":key", "data", body: .collect(maxSize: "16mb"), use: uploadForm)
        admin.post("api", "v1", "feeds", ":key", "pull", use: pullNow)
        admin.post("admin", "feeds", ":key", "pull", use: pullForm)
    }

    struct FieldJSON: Content {
        var key: String
        var name: String
        var type: String
        var unit: String?
        var min: Double?
        var max: Double?
    }

    struct FeedJSON: Content {
        var key: String
        var name: String
        var publisher: String
        var legalBasis: String
        var provenance: String?
        var version: Int
        var granularity: String
        var units: String
        /// `upload` or `pull`.
        var source: String
        var url: String?
        var everyMinutes: Int?
        var timeoutSeconds: Int?
        var fields: [FieldJSON]?

        init(_ feed: Feed, fields withFields: Bool) {
            key = feed.key; name = feed.name; publisher = feed.publisher; legalBasis = feed.legalBasis
            provenance = feed.provenance; version = feed.version; granularity = feed.granularity.rawValue
            units = feed.identification.rawValue
            switch feed.source {
            case .upload: source = "upload"
            case .pull(let pull): source = "pull"; url = pull.url; everyMinutes = pull.everyMinutes; timeoutSeconds = pull.timeoutSeconds
            }
            fields = withFields ? feed.fields.map {
                FieldJSON(key: $0.key, name: $0.name, type: $0.kind.rawValue, unit: $0.unit, min: $0.min?.doubleValue, max: $0.max?.doubleValue)
            } : nil
        }
    }

    struct IngestionJSON: Content {
        var feed: String
        var number: Int
        var status: String
        var sha256: String
        var bytes: Int
        var fileName: String
        var format: String
        var source: String
        var receivedBy: String
        var receivedAt: Date
        var rows: Int
        var values: Int
        /// Values that changed (new, or correcting an earlier month).
        var changed: Int
        /// Answers of open periods written from them.
        var answersChanged: Int
        var problems: [String]

        init(_ i: FeedStore.Ingestion) {
            feed = i.feed_key; number = i.number; status = i.status; sha256 = i.sha256; bytes = i.byte_count
            fileName = i.file_name; format = i.format; source = i.source; receivedBy = i.received_by; receivedAt = i.received_at
            rows = i.row_count; values = i.value_count; changed = i.changed; answersChanged = i.answers_changed
            problems = i.problemList
        }
    }

    static func feed(_ req: Request) throws -> Feed {
        let key = req.parameters.get("key") ?? ""
        guard let feed = req.application.feeds.feed(key) else { throw DomainError.notFound("Không có nguồn dữ liệu \"\(key.excerpt())\".") }
        return feed
    }

    @Sendable func list(req: Request) async throws -> [FeedJSON] {
        req.application.feeds.feeds.map { FeedJSON($0, fields: false) }
    }

    @Sendable func show(req: Request) async throws -> FeedJSON {
        FeedJSON(try Self.feed(req), fields: true)
    }

    @Sendable func ingestions(req: Request) async throws -> [IngestionJSON] {
        let feed = try Self.feed(req)
        return try await FeedStore(req.db).ingestions(feed: feed.key).map(IngestionJSON.init)
    }

    /// A file the administrator sent (the API's body or the page's form), ingested and audited.
    static func ingest(_ req: Request, _ feed: Feed, bytes: [UInt8], fileName: String, by user: UserAccount) async throws -> FeedIngestion.Outcome {
        let outcome = try await FeedIngestion.ingest(
            feed, bytes: bytes, arrival: .init(fileName: String(fileName.prefix(200)), source: "upload", by: user.username),
            in: req.context, files: try req.application.feedFiles, reading: req.application.spreadsheetWork)
        let i = outcome.ingestion
        try await AuditLog.record(req, actor: user, action: "feed.ingest", target: "\(feed.key)#\(i.number)",
                                  detail: "\(i.status): \(i.changed) giá trị, \(i.answers_changed) câu trả lời")
        return outcome
    }

    /// The body is the file (CSV, XLSX or JSON), `?name=` its file name. 201 with the ingestion;
    /// 200 when the same bytes came before (nothing changed); 422 naming each problem.
    @Sendable func upload(req: Request) async throws -> Response {
        let feed = try Self.feed(req)
        let user = try req.context.signedIn()
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw DomainError.invalid("Thiếu nội dung tệp: cần dòng tiêu đề (unit, period, \(feed.fields.map(\.key).joined(separator: ", "))) và ít nhất một dòng.")
        }
        let name = ((try? req.query.get(String.self, at: "name")) ?? "").trimmingCharacters(in: .whitespaces)
        let outcome = try await Self.ingest(req, feed, bytes: [UInt8](body.readableBytesView), fileName: name.isEmpty ? "\(feed.key).csv" : name, by: user)
        if outcome.refused { throw DomainError.invalid(([outcome.summary] + outcome.problems).joined(separator: "\n")) }
        let response = try await IngestionJSON(outcome.ingestion).encodeResponse(status: outcome.repeated ? .ok : .created, for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// The administrator's "pull now": 201 with the ingestion when the source's data was taken, 200 when it
    /// was the same as before, 422 naming each problem of a body that does not read, 502 with the failed
    /// ingestion when the source gave nothing (timeout, error status, no connection); 409 for an uploaded feed.
    @Sendable func pullNow(req: Request) async throws -> Response {
        let feed = try Self.feed(req)
        let outcome = try await Self.pull(req, feed, by: try req.context.signedIn())
        if outcome.refused { throw DomainError.invalid(([outcome.summary] + outcome.problems).joined(separator: "\n")) }
        let status: HTTPStatus = outcome.failed ? .badGateway : outcome.repeated ? .ok : .created
        let response = try await IngestionJSON(outcome.ingestion).encodeResponse(status: status, for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// The page's "Lấy ngay": pulled, then the page again by a redirect with what became of it.
    @Sendable func pullForm(req: Request) async throws -> Response {
        let feed = try Self.feed(req)
        let outcome: FeedIngestion.Outcome
        do {
            outcome = try await Self.pull(req, feed, by: try req.context.signedIn())
        } catch let error as DomainError {
            return try await renderPage(req, result: .init(feed: feed.name, ok: false, summary: error.reason, problems: []), status: error.status)
        }
        return req.redirect(to: "/feeds?feed=\(feed.key)&ingestion=\(outcome.ingestion.number)#ket-qua")
    }

    static func pull(_ req: Request, _ feed: Feed, by user: UserAccount) async throws -> FeedIngestion.Outcome {
        let outcome = try await FeedPull.run(feed, by: user.username, app: req.application, in: req.context)
        let i = outcome.ingestion
        try await AuditLog.record(req, actor: user, action: "feed.pull", target: "\(feed.key)#\(i.number)",
                                  detail: "\(i.status): \(i.changed) giá trị, \(i.answers_changed) câu trả lời")
        return outcome
    }

    // MARK: The page

    struct FeedsPage: Encodable {
        var layout: Layout
        var canUpload: Bool
        var result: Result?
        var feeds: [Item]

        struct Result: Encodable {
            var feed: String
            var ok: Bool
            var summary: String
            var problems: [String]
        }

        struct Item: Encodable {
            var key: String
            var name: String
            var publisher: String
            var legalBasis: String
            var provenance: String?
            var granularity: String
            var source: String
            /// The schedule of a pulled feed: when it last tried, what happened, when it tries next.
            var pull: Pull?
            /// The data in use: the last accepted ingestion.
            var lastGood: String?
            var fields: [Field]
            var ingestions: [Row]
        }

        struct Pull: Encodable {
            var url: String
            var every: String
            var lastAttempt: String?
            var next: String
            /// The last attempt's error, when it failed or was refused.
            var lastError: String?
        }

        struct Field: Encodable { var key: String; var name: String; var measure: String }

        struct Row: Encodable {
            var number: Int
            var at: String
            var file: String
            var by: String
            var status: String
            var statusClass: String
            var rows: String
            var changed: String
            var answers: String
            var problems: [String]
            var refused: Bool
        }
    }

    /// The feeds, each with its fields and ingestions; the outcome of `?feed=&ingestion=` at the top.
    func renderPage(_ req: Request, result: FeedsPage.Result? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let store = try FeedStore(req.db)
        var items: [FeedsPage.Item] = []
        for feed in req.application.feeds.feeds {
            let rows = try await store.ingestions(feed: feed.key, limit: 50).map { i -> FeedsPage.Row in
                let status: (String, String) = switch i.status {
                case "accepted": ("Đã nhận", "ok")
                case "applying": ("Đang ghi vào các phiếu", "muted")
                case "unchanged": ("Trùng lần trước, không đổi", "muted")
                case "failed": ("Lỗi nguồn, không đổi", "need")
                default: ("Bị từ chối", "need")
                }
                return FeedsPage.Row(number: i.number, at: DateText.dateTime(i.received_at), file: i.file_name, by: i.received_by,
                                     status: status.0, statusClass: status.1, rows: NumberText.grouped(i.row_count),
                                     changed: NumberText.grouped(i.changed), answers: NumberText.grouped(i.answers_changed),
                                     problems: i.problemList, refused: i.status == FeedStore.Status.refused.rawValue || i.status == FeedStore.Status.failed.rawValue)
            }
            var pullItem: FeedsPage.Pull?
            let source: String
            switch feed.source {
            case .upload: source = "Quản trị viên tải tệp lên (CSV, XLSX hoặc JSON)"
            case .pull(let pull):
                source = "Lấy tự động (\(pull.format.rawValue.uppercased())) theo lịch"
                let last = try await store.lastPull(feed: feed.key)
                let next = last.map { $0.received_at.addingTimeInterval(Double(pull.everyMinutes) * 60) }
                let lastError = last.flatMap { $0.status == FeedStore.Status.failed.rawValue || $0.status == FeedStore.Status.refused.rawValue
                    ? "Lần \($0.number): " + $0.problemList.prefix(3).joined(separator: " ") : nil }
                pullItem = .init(url: pull.url, every: "mỗi \(pull.everyMinutes) phút, chờ tối đa \(pull.timeoutSeconds) giây",
                                 lastAttempt: last.map { DateText.dateTime($0.received_at) },
                                 next: next.map { $0 <= req.context.now ? "ngay khi máy chủ đến lượt (trong vòng 30 giây)" : DateText.dateTime($0) } ?? "ngay khi máy chủ chạy",
                                 lastError: lastError)
            }
            let lastGood = try await store.lastAccepted(feed: feed.key).map {
                "Lần nhận số \($0.number), lúc \(DateText.dateTime($0.received_at)) (\($0.file_name))"
            }
            let fields = feed.fields.map { f in
                FeedsPage.Field(key: f.key, name: f.name, measure: [f.unit, f.rangeText.isEmpty ? nil : f.rangeText].compactMap { $0 }.joined(separator: ", "))
            }
            items.append(FeedsPage.Item(key: feed.key, name: feed.name, publisher: feed.publisher, legalBasis: feed.legalBasis, provenance: feed.provenance,
                                        granularity: feed.granularity.label, source: source, pull: pullItem, lastGood: lastGood,
                                        fields: fields, ingestions: rows))
        }
        let user = try req.context.signedIn()
        let page = FeedsPage(layout: Layout(req, title: "Nguồn dữ liệu"), canUpload: user.role == .administrator, result: result, feeds: items)
        return try await req.view.render("feeds", page).encodeResponse(status: status, for: req)
    }

    @Sendable func page(req: Request) async throws -> Response {
        var result: FeedsPage.Result?
        if let key = try? req.query.get(String.self, at: "feed"), let feed = req.application.feeds.feed(key),
           let number = try? req.query.get(Int.self, at: "ingestion"), let i = try await FeedStore(req.db).ingestion(feed: feed.key, number: number) {
            let outcome = FeedIngestion.Outcome(ingestion: i, repeated: i.status == FeedStore.Status.unchanged.rawValue)
            result = .init(feed: feed.name, ok: !outcome.refused, summary: outcome.summary, problems: outcome.problems)
        }
        let response = try await renderPage(req, result: result)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct UploadForm: Content { var file: File? }

    /// The page's form: the file is ingested, then the page is shown again by a redirect
    /// (post, redirect, get) with what became of it — accepted, unchanged, or refused with every problem.
    @Sendable func uploadForm(req: Request) async throws -> Response {
        let feed = try Self.feed(req)
        let user = try req.context.signedIn()
        guard let file = (try? req.content.decode(UploadForm.self))?.file, file.data.readableBytes > 0 else {
            return try await renderPage(req, result: .init(feed: feed.name, ok: false, summary: "Chưa chọn tệp số liệu (.csv, .xlsx hoặc .json).", problems: []),
                                        status: .unprocessableEntity)
        }
        let outcome: FeedIngestion.Outcome
        do {
            outcome = try await Self.ingest(req, feed, bytes: [UInt8](file.data.readableBytesView), fileName: file.filename, by: user)
        } catch let error as DomainError {
            return try await renderPage(req, result: .init(feed: feed.name, ok: false, summary: error.reason, problems: []), status: error.status)
        }
        return req.redirect(to: "/feeds?feed=\(feed.key)&ingestion=\(outcome.ingestion.number)#ket-qua")
    }
}
