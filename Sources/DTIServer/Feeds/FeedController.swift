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
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.on(.POST, "api", "v1", "feeds", ":key", "data", body: .collect(maxSize: "16mb"), use: upload)
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
        var fields: [FieldJSON]?

        init(_ feed: Feed, fields withFields: Bool) {
            key = feed.key; name = feed.name; publisher = feed.publisher; legalBasis = feed.legalBasis
            provenance = feed.provenance; version = feed.version; granularity = feed.granularity.rawValue
            units = feed.identification.rawValue
            switch feed.source {
            case .upload: source = "upload"
            case .pull(let pull): source = "pull"; url = pull.url; everyMinutes = pull.everyMinutes
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
            problems = i.problems.isEmpty ? [] : i.problems.components(separatedBy: "\n")
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

    /// The body is the file (CSV, XLSX or JSON), `?name=` its file name. 201 with the ingestion;
    /// 200 when the same bytes came before (nothing changed); 422 naming each problem.
    @Sendable func upload(req: Request) async throws -> Response {
        let feed = try Self.feed(req)
        let user = try req.context.signedIn()
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw DomainError.invalid("Thiếu nội dung tệp: cần dòng tiêu đề (unit, period, \(feed.fields.map(\.key).joined(separator: ", "))) và ít nhất một dòng.")
        }
        let name = ((try? req.query.get(String.self, at: "name")) ?? "").trimmingCharacters(in: .whitespaces)
        let outcome = try await FeedIngestion.ingest(
            feed, bytes: [UInt8](body.readableBytesView),
            arrival: .init(fileName: name.isEmpty ? "\(feed.key).csv" : String(name.prefix(200)), source: "upload", by: user.username),
            in: req.context, files: try req.application.feedFiles, reading: req.application.spreadsheetWork)
        try await AuditLog.record(req, actor: user, action: "feed.ingest", target: "\(feed.key)#\(outcome.ingestion.number)",
                                  detail: "\(outcome.ingestion.status): \(outcome.ingestion.changed) giá trị, \(outcome.ingestion.answers_changed) câu trả lời")
        let response = try await IngestionJSON(outcome.ingestion).encodeResponse(status: outcome.repeated ? .ok : .created, for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
