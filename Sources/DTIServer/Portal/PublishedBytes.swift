import Crypto
import DTIFormats
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Published results never change (a period is locked at publication and
/// its record is immutable), so their public pages, open data and exports
/// are rendered once and then served as bytes: with a strong ETag (the
/// SHA-256 of the bytes), Last-Modified, Cache-Control and 304 on
/// revalidation, gzip-compressed once for clients that accept it.
///
/// Only anonymous requests are served from here (no session cookie, no
/// Authorization header): a signed-in person's page carries their name and
/// form token in its header and is rendered for them. Only 200 answers are
/// kept, so "not published yet" is never remembered.
final class PublishedBytes: Sendable {
    struct Entry: Sendable {
        var body: ByteBuffer
        var gzip: ByteBuffer?
        /// The route's own headers (type, disposition, the record's hash…), as rendered.
        var headers: [(String, String)]
        var etag: String
        var lastModified: String
        var size: Int
        /// Public listings are kept a few seconds only; published pages for good.
        var expires: Date?
        var maxAge: Int
    }

    /// How long a page may be kept: published pages for good (nil), the public
    /// listings (home, frameworks, units, the list of results) a few seconds —
    /// an administrator's change shows within that — and nothing else.
    static func keep(_ target: String) -> TimeInterval?? {
        guard onlyChoosingParameters(target) else { return nil }
        if isPublishedPath(target) { return .some(nil) }
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        return ["/", "/frameworks", "/units", "/results"].contains(path) ? .some(listingSeconds) : nil
    }

    static let listingSeconds: TimeInterval = 10

    /// Whether every query parameter only chooses which kept page is shown: a record's
    /// `version`, and a long group's `page` on a group's address, each a number written the one
    /// way (`2`, not `02`). A search (`q`), any other parameter, or a number written otherwise
    /// is rendered each time and never kept, so no stream of made-up addresses can fill the store.
    static func onlyChoosingParameters(_ target: String) -> Bool {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return true }
        let grouped = parts[0].contains("/groups/")
        return parts[1].split(separator: "&").allSatisfy { parameter in
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0] == "version" || (grouped && pair[0] == "page"), let n = Int(pair[1]), n >= 1 else { return false }
            return String(n) == pair[1]
        }
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let order = NIOLockedValueBox<[String]>([])
    /// The memory kept at most; the oldest entries go first.
    let maxBytes: Int

    init(maxBytes: Int = 256 << 20) { self.maxBytes = maxBytes }

    /// `/results/:id`, its scorecards and downloads, and `/api/v1/results/:id[/record]`
    /// (the request target as sent: path and query).
    static func isPublishedPath(_ target: String) -> Bool {
        guard target.hasPrefix("/results/") || target.hasPrefix("/api/v1/results/") else { return false }
        let path = target.split(separator: "?", maxSplits: 1).first ?? ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if parts.count >= 2, parts[0] == "results" { return UUID(uuidString: String(parts[1])) != nil }
        if parts.count >= 4, parts[0] == "api", parts[1] == "v1", parts[2] == "results" { return UUID(uuidString: String(parts[3])) != nil }
        return false
    }

    /// A published download (an export, the decision, the record, the open-data JSON): the same
    /// bytes for every reader, so kept and served to signed-in readers too. Pages are not: a
    /// signed-in reader's page carries their name and form token.
    static func isDownload(_ target: String) -> Bool {
        guard isPublishedPath(target) else { return false }
        let path = target.split(separator: "?", maxSplits: 1).first ?? ""
        return path.hasPrefix("/api/v1/results/") || (path.split(separator: "/").last?.contains(".") ?? false)
    }

    /// Renders under way, by key. A request that finds one waits for it and is then served its
    /// bytes, instead of rendering the same page again: the first minutes of results day, or
    /// a 4,000-unit decision that takes half a minute to build, are rendered once.
    private let inFlight = NIOLockedValueBox<[String: EventLoopFuture<Void>]>([:])

    enum Claim {
        /// This request renders; complete the promise when it is over (kept or not).
        case render(EventLoopPromise<Void>)
        /// Another request is rendering: wait for it.
        case wait(EventLoopFuture<Void>)
    }

    func claim(_ key: String, on loop: any EventLoop) -> Claim {
        inFlight.withLockedValue { running in
            if let future = running[key] { return .wait(future) }
            let promise = loop.makePromise(of: Void.self)
            running[key] = promise.futureResult
            return .render(promise)
        }
    }

    func rendered(_ key: String, _ promise: EventLoopPromise<Void>) {
        _ = inFlight.withLockedValue { $0.removeValue(forKey: key) }
        promise.succeed(())
    }

    /// Keys being rendered again after their entry expired.
    private let refreshing = NIOLockedValueBox<Set<String>>([])

    /// The kept entry, or nil when the request should render the page: a
    /// fresh entry is served; an expired one is rendered again by one request
    /// while the others are served the expired bytes meanwhile (so a listing's
    /// re-render every few seconds does not hold up everyone who arrives then).
    func entry(_ key: String, now: Date) -> Entry? {
        guard let entry = entries.withLockedValue({ $0[key] }) else { return nil }
        guard let expires = entry.expires, expires <= now else { return entry }
        let claimed = refreshing.withLockedValue { $0.insert(key).inserted }
        return claimed ? nil : entry
    }

    /// The re-render of `key` is over (kept or not).
    func refreshed(_ key: String) {
        _ = refreshing.withLockedValue { $0.remove(key) }
    }

    /// Drops every kept page whose address contains `text` (a period's id,
    /// when a corrected version of its record is published).
    func forget(containing text: String) {
        entries.withLockedValue { entries in
            order.withLockedValue { order in
                for key in entries.keys where key.contains(text) { entries[key] = nil }
                order.removeAll { $0.contains(text) }
            }
        }
    }

    func store(_ key: String, _ entry: Entry) {
        entries.withLockedValue { entries in
            order.withLockedValue { order in
                if entries[key] == nil { order.append(key) }
                entries[key] = entry
                var total = entries.values.reduce(0) { $0 + $1.size }
                while total > maxBytes, let oldest = order.first {
                    order.removeFirst()
                    total -= entries.removeValue(forKey: oldest)?.size ?? 0
                }
            }
        }
    }

    static func make(body: ByteBuffer, headers: HTTPHeaders, now: Date, keep seconds: TimeInterval?) -> Entry {
        let bytes = Data(body.readableBytesView)
        // A route's own ETag stays (record.json's is the record's SHA-256).
        let etag = headers.first(name: .eTag) ?? "\"" + SHA256.hash(data: bytes).prefix(16).lowercaseHex + "\""
        let type = headers.first(name: .contentType) ?? "application/octet-stream"
        let skipped: Set<String> = ["content-length", "date", "set-cookie", "etag", "last-modified", "cache-control", "vary", "connection",
                                    "content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy", "strict-transport-security"]
        let kept = headers.filter { !skipped.contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
        let compressible = type.hasPrefix("text/") || type.contains("json") || type.contains("xml") || type.contains("csv")
        let gzip = compressible && bytes.count > 1024 ? (try? Gzip.compress(bytes)).map { ByteBuffer(data: $0) } : nil
        return Entry(body: body, gzip: gzip, headers: kept, etag: etag,
                     lastModified: HTTPHeaders.lastModifiedText(now), size: bytes.count + (gzip?.readableBytes ?? 0),
                     expires: seconds.map { now.addingTimeInterval($0) }, maxAge: seconds.map { Int($0) } ?? 300)
    }
}

extension HTTPHeaders {
    static func lastModifiedText(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }
}

/// Serves published bytes, or renders once and keeps them (`PublishedBytes`).
/// Future-based and placed before every async middleware, so a kept page is
/// answered on the event loop without a hop into Swift concurrency.
struct PublishedBytesMiddleware: Middleware {
    let cache: PublishedBytes

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let raw = request.url.string
        let signedIn = request.headers.first(name: .authorization) != nil
            || (request.headers.first(name: .cookie)?.contains(request.application.sessions.configuration.cookieName + "=") ?? false)
        guard request.method == .GET || request.method == .HEAD, let keep = PublishedBytes.keep(raw),
              !signedIn || PublishedBytes.isDownload(raw) else {
            return next.respond(to: request)
        }
        if let entry = cache.entry(raw, now: request.now) { return request.eventLoop.makeSucceededFuture(Self.serve(entry, to: request)) }
        let cache = self.cache
        switch cache.claim(raw, on: request.eventLoop) {
        case .wait(let running):
            return running.hop(to: request.eventLoop).flatMap {
                if let entry = cache.entry(raw, now: request.now) { return request.eventLoop.makeSucceededFuture(Self.serve(entry, to: request)) }
                return next.respond(to: request)
            }
        case .render(let promise):
            return render(request, raw: raw, keep: keep, chainingTo: next).always { _ in cache.rendered(raw, promise) }
        }
    }

    /// Renders the page and keeps it when it is a 200 without a cookie.
    private func render(_ request: Request, raw: String, keep: TimeInterval?, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let cache = self.cache
        return next.respond(to: request).always { _ in cache.refreshed(raw) }.flatMap { response in
            guard response.status == .ok, response.headers[.setCookie].isEmpty else { return request.eventLoop.makeSucceededFuture(response) }
            if let buffer = response.body.buffer {
                let entry = PublishedBytes.make(body: buffer, headers: response.headers, now: request.now, keep: keep)
                cache.store(raw, entry)
                return request.eventLoop.makeSucceededFuture(Self.serve(entry, to: request))
            }
            return response.body.collect(on: request.eventLoop).map { collected in
                guard let collected else { return response }
                let entry = PublishedBytes.make(body: collected, headers: response.headers, now: request.now, keep: keep)
                cache.store(raw, entry)
                return Self.serve(entry, to: request)
            }
        }
    }

    static func serve(_ entry: PublishedBytes.Entry, to request: Request) -> Response {
        var headers = HTTPHeaders()
        headers.reserveCapacity(12)
        for (name, value) in entry.headers { headers.add(name: name, value: value) }
        headers.add(name: .eTag, value: entry.etag)
        headers.add(name: .lastModified, value: entry.lastModified)
        headers.add(name: .cacheControl, value: "public, max-age=\(entry.maxAge)")
        headers.add(name: .vary, value: "Accept-Encoding, Cookie")
        if let sent = request.headers.first(name: .ifNoneMatch), sent.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == entry.etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        if let gzip = entry.gzip, request.headers[.acceptEncoding].contains(where: { $0.lowercased().contains("gzip") }) {
            headers.add(name: .contentEncoding, value: "gzip")
            return Response(status: .ok, headers: headers, body: .init(buffer: gzip))
        }
        return Response(status: .ok, headers: headers, body: .init(buffer: entry.body))
    }
}

extension Application {
    private struct PublishedBytesKey: StorageKey { typealias Value = PublishedBytes }

    /// The pages kept as bytes (one store per application).
    var publishedBytes: PublishedBytes {
        get { storage[PublishedBytesKey.self] ?? PublishedBytes() }
        set { storage[PublishedBytesKey.self] = newValue }
    }
}
