import AsyncHTTPClient
import DTICore
import DTIFormats
import Foundation
import NIOCore
import NIOHTTP1
import Vapor

/// Feeds pulled from their source (issue 33, ADR 0045): the body is fetched with
/// a deadline and a size limit, then ingested exactly as an uploaded file is. A
/// source that fails — no answer in time, an error status, a body too large, no
/// connection — is kept as a `failed` ingestion naming the error and changes
/// nothing; a body that arrives but does not read is refused whole, with every
/// problem named, like a bad file.
enum FeedPull {
    /// The largest body a source may send: the limit of an uploaded file.
    static let maxBytes = 16 * 1024 * 1024

    /// The body of `pull`'s address, or the sentence saying why there is none.
    static func fetch(_ pull: FeedSource.Pull, client: HTTPClient, environment: [String: String]) async -> Result<[UInt8], FetchFailure> {
        var request = HTTPClientRequest(url: pull.url)
        request.method = .GET
        request.headers.add(name: "Accept", value: pull.format == .json ? "application/json" : "text/csv, */*")
        request.headers.add(name: "User-Agent", value: "OpenDTI")
        if let variable = pull.tokenVariable {
            guard let token = environment[variable], !token.isEmpty else {
                return .failure(.init("Biến môi trường \(variable) (mã truy cập của nguồn) chưa được đặt trên máy chủ; chưa gửi yêu cầu nào."))
            }
            request.headers.add(name: pull.header ?? "Authorization", value: token)
        }
        let seconds = max(1, pull.timeoutSeconds)
        let sent = request
        do {
            // The deadline covers the whole exchange, the body included: a source that sends slowly is cut off too.
            return .success(try await withThrowingTaskGroup(of: [UInt8].self) { group in
                group.addTask {
                    let response = try await client.execute(sent, timeout: .seconds(Int64(seconds)))
                    guard (200..<300).contains(Int(response.status.code)) else {
                        throw FetchFailure("Nguồn trả lời mã \(response.status.code) (\(response.status.reasonPhrase)) thay vì số liệu.")
                    }
                    let body = try await response.body.collect(upTo: maxBytes)
                    return Array(body.readableBytesView)
                }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(seconds) * 1_000_000_000)
                    throw FetchFailure.timeout(seconds)
                }
                defer { group.cancelAll() }
                return try await group.next()!
            })
        } catch let failure as FetchFailure {
            return .failure(failure)
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            return .failure(.timeout(seconds))
        } catch is NIOTooManyBytesError {
            return .failure(.init("Nguồn gửi quá \(maxBytes / 1024 / 1024) MB; không nhận."))
        } catch {
            return .failure(.init("Không kết nối được tới nguồn: \(String(describing: error).excerpt(limit: 200))."))
        }
    }

    /// Why a source gave nothing, in the words the page shows.
    struct FetchFailure: Error, Sendable {
        var message: String
        init(_ message: String) { self.message = message }
        static func timeout(_ seconds: Int) -> FetchFailure { .init("Nguồn không trả lời đủ trong \(seconds) giây.") }
    }

    /// One pull of `feed`: fetched, then ingested as a file would be; `by` is who asked (an account, or the schedule).
    static func run(_ feed: Feed, by: String, app: Application, in ctx: ServiceContext) async throws -> FeedIngestion.Outcome {
        guard case .pull(let pull) = feed.source else {
            throw DomainError.conflict("Nguồn \(feed.key) nhận tệp do quản trị viên tải lên; không có địa chỉ để lấy tự động.")
        }
        let name = "\(feed.key)-\(DateText.compactStamp(ctx.now)).\(pull.format.rawValue)"
        switch await fetch(pull, client: app.http.client.shared, environment: ProcessInfo.processInfo.environment) {
        case .success(let bytes):
            return try await FeedIngestion.ingest(feed, bytes: bytes, arrival: .init(fileName: name, source: "pull", by: by),
                                                  in: ctx, files: try app.feedFiles, reading: app.spreadsheetWork)
        case .failure(let failure):
            let failed = try await FeedIngestion.record(feed, status: .failed, arrival: .init(fileName: name, source: "pull", by: by),
                                                        problems: "\(failure.message) Địa chỉ: \(pull.url)", in: ctx)
            return FeedIngestion.Outcome(ingestion: failed, repeated: false)
        }
    }

    /// Whether `feed` is due: never pulled, or its last attempt (good or not) is its interval old.
    static func due(_ pull: FeedSource.Pull, lastAttempt: Date?, now: Date) -> Bool {
        guard let lastAttempt else { return true }
        return now.timeIntervalSince(lastAttempt) >= Double(pull.everyMinutes) * 60
    }

    /// Every pulled feed that is due, pulled once; the outcomes. A feed whose pull throws is logged and the others go on.
    static func sweep(_ app: Application, logger: Logger) async -> [FeedIngestion.Outcome] {
        var outcomes: [FeedIngestion.Outcome] = []
        let ctx = ServiceContext.background(app, address: "lịch tự động")
        for feed in app.feeds.feeds {
            guard case .pull(let pull) = feed.source else { continue }
            do {
                let last = try await FeedStore(app.db).lastPull(feed: feed.key)
                guard due(pull, lastAttempt: last?.received_at, now: ctx.now) else { continue }
                let outcome = try await run(feed, by: "lịch tự động", app: app, in: ctx)
                if outcome.ingestion.status == FeedStore.Status.failed.rawValue || outcome.refused {
                    logger.warning("feed \(feed.key): pull #\(outcome.ingestion.number) \(outcome.ingestion.status): \(outcome.problems.first ?? "")")
                }
                outcomes.append(outcome)
            } catch {
                logger.warning("feed \(feed.key): pull failed: \(error)")
            }
        }
        return outcomes
    }
}

/// Finishes the ingestions a stopped process left unfinished, then pulls the due feeds every half
/// minute while the server runs (not under tests, which call `FeedIngestion.resume` and `FeedPull.sweep`).
final class FeedPullWorker: LifecycleHandler, @unchecked Sendable {
    // Set in didBoot, cancelled in shutdown (both on the application's lifecycle).
    private var task: Task<Void, Never>?

    func didBootAsync(_ application: Application) async throws {
        let logger = application.logger
        let pulls = application.feeds.feeds.contains(where: { if case .pull = $0.source { true } else { false } })
        task = Task {
            await FeedIngestion.resume(application, logger: logger)
            while pulls && !Task.isCancelled {
                _ = await FeedPull.sweep(application, logger: logger)
                try? await Task.sleep(nanoseconds: 30_000_000_000)
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        task?.cancel()
    }
}
