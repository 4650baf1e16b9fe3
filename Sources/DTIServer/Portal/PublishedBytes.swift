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
/// What is kept, for how long and for whom is declared where each route is
/// registered (`KeepRule`, `Route.kept`); a route that declares nothing is
/// never kept. Pages are served from here only to anonymous requests (no
/// session cookie, no Authorization header): a signed-in person's page
/// carries their name and form token in its header and is rendered for them.
/// Only 200 answers are kept, so "not published yet" is never remembered.
final class PublishedBytes: Sendable {
    struct Entry: Sendable {
        /// The request target it was kept under, as sent (path and query), and its path alone (for the log line).
        var target: String
        var path: String
        var body: ByteBuffer
        var gzip: ByteBuffer?
        /// The whole answer's headers, made once: the route's own (type, disposition, the
        /// record's hash…), the ETag, Last-Modified, Cache-Control, Vary and the headers every
        /// answer carries (`everyAnswer`); `gzipHeaders` the same with Content-Encoding.
        var headers: HTTPHeaders
        var gzipHeaders: HTTPHeaders
        var etag: String
        var size: Int
        /// Public listings are kept a few seconds only; published pages for good.
        var expires: Date?
        /// A download (the same bytes for every reader), served to signed-in readers too.
        var forEveryone: Bool
        /// The published period it is made from (the route's `KeepRule.period`): forgotten with it.
        var period: UUID?
    }

    /// Kept by the request's parsed address (Vapor's `URI`): hashing it costs a tenth of
    /// writing it back as text (`URI.string`), which a kept page no longer pays.
    private let entries = NIOLockedValueBox<[URI: Entry]>([:])
    private let order = NIOLockedValueBox<[URI]>([])
    /// The memory kept at most; the oldest entries go first.
    let maxBytes: Int
    /// Headers every answer of the server carries (the security headers), made part of each kept answer.
    let everyAnswer: [(String, String)]

    init(maxBytes: Int = 256 << 20, everyAnswer: [(String, String)] = []) {
        self.maxBytes = maxBytes
        self.everyAnswer = everyAnswer
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
    private let refreshing = NIOLockedValueBox<Set<URI>>([])

    /// The kept entry when it is fresh, for a reader signed in or not; nothing is claimed,
    /// so an expired entry is left to `entry(_:now:)`. The clock is read only for an entry
    /// that expires (a listing): a published page is kept for good.
    func fresh(_ key: URI, signedIn: Bool, now: () -> Date) -> Entry? {
        guard let entry = entries.withLockedValue({ $0[key] }), !signedIn || entry.forEveryone else { return nil }
        if let expires = entry.expires, expires <= now() { return nil }
        return entry
    }

    /// The kept entry, or nil when the request should render the page: a
    /// fresh entry is served; an expired one is rendered again by one request
    /// while the others are served the expired bytes meanwhile (so a listing's
    /// re-render every few seconds does not hold up everyone who arrives then).
    func entry(_ key: URI, now: Date) -> Entry? {
        guard let entry = entries.withLockedValue({ $0[key] }) else { return nil }
        guard let expires = entry.expires, expires <= now else { return entry }
        let claimed = refreshing.withLockedValue { $0.insert(key).inserted }
        return claimed ? nil : entry
    }

    /// `entry(_:now:)` by the request target as text (path and query).
    func entry(_ target: String, now: Date) -> Entry? { entry(URI(string: target), now: now) }

    /// The re-render of `key` is over (kept or not).
    func refreshed(_ key: URI) {
        _ = refreshing.withLockedValue { $0.remove(key) }
    }

    func refreshed(_ target: String) { refreshed(URI(string: target)) }

    /// Raised by every `forget`: a page whose render began before a forget is served but not
    /// kept, since it may have been made from the record the forget was for.
    private let generation = NIOLockedValueBox<Int>(0)
    var currentGeneration: Int { generation.withLockedValue { $0 } }

    /// Drops every kept page and download made from `period`'s record (when a corrected version
    /// is published: here by the publication service, by another process through
    /// `PublishedRecordWatch`).
    func forget(period: UUID) {
        generation.withLockedValue { $0 += 1 }
        entries.withLockedValue { entries in
            order.withLockedValue { order in
                for (key, entry) in entries where entry.period == period { entries[key] = nil }
                order.removeAll { entries[$0] == nil }
            }
        }
    }

    /// Keeps `entry` under `key`, unless a forget came since its render began (`madeIn`, the
    /// `currentGeneration` read before it).
    func store(_ key: URI, _ entry: Entry, madeIn: Int? = nil) {
        entries.withLockedValue { entries in
            if let madeIn, madeIn != currentGeneration { return }
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

    func make(target: String, body: ByteBuffer, headers: HTTPHeaders, now: Date, rule: KeepRule, period: UUID?) -> Entry {
        let seconds = rule.seconds
        let bytes = Data(body.readableBytesView)
        // A route's own ETag stays (record.json's is the record's SHA-256).
        let etag = headers.first(name: .eTag) ?? "\"" + SHA256.hash(data: bytes).prefix(16).lowercaseHex + "\""
        let type = headers.first(name: .contentType) ?? "application/octet-stream"
        let skipped: Set<String> = ["content-length", "date", "set-cookie", "etag", "last-modified", "cache-control", "vary", "connection",
                                    "content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy", "strict-transport-security"]
        let kept = headers.filter { !skipped.contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
        let compressible = type.hasPrefix("text/") || type.contains("json") || type.contains("xml") || type.contains("csv")
        let gzip = compressible && bytes.count > 1024 ? (try? Gzip.compress(bytes)).map { ByteBuffer(data: $0) } : nil
        var answer = HTTPHeaders(kept)
        answer.add(name: .eTag, value: etag)
        answer.add(name: .lastModified, value: HTTPHeaders.lastModifiedText(now))
        answer.add(name: .cacheControl, value: "public, max-age=\(seconds.map { Int($0) } ?? 300)")
        answer.add(name: .vary, value: "Accept-Encoding, Cookie")
        for (name, value) in everyAnswer { answer.replaceOrAdd(name: name, value: value) }
        var gzipped = answer
        gzipped.add(name: .contentEncoding, value: "gzip")
        return Entry(target: target, path: String(target.prefix { $0 != "?" }), body: body, gzip: gzip, headers: answer, gzipHeaders: gzipped, etag: etag,
                     size: bytes.count + (gzip?.readableBytes ?? 0), expires: seconds.map { now.addingTimeInterval($0) },
                     forEveryone: rule.forEveryone, period: period)
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
/// answered on the event loop without a hop into Swift concurrency; a fresh
/// kept page is answered by `FrontResponder` before any middleware (`kept(_:)`).
struct PublishedBytesMiddleware: Middleware {
    let cache: PublishedBytes
    /// The routes' declared rules: what is kept, how long, for whom.
    let routes: KeptRoutes
    /// `name=` of the session cookie: a request carrying it is signed in.
    let sessionCookie: String

    init(cache: PublishedBytes, routes: KeptRoutes, sessionCookieName: String) {
        self.cache = cache
        self.routes = routes
        sessionCookie = sessionCookieName + "="
    }

    private func signedIn(_ request: Request) -> Bool {
        request.headers.contains(name: .authorization) || (request.headers.first(name: .cookie)?.contains(sessionCookie) ?? false)
    }

    /// The kept answer to a GET or HEAD whose page is kept and fresh, and the page's path (for
    /// the log line: Vapor's `URI.path` costs as much as the lookup), or nil: the cheapest check
    /// there is (the parsed address hashed, one locked lookup).
    func kept(_ request: Request) -> (response: Response, path: String)? {
        guard request.method == .GET || request.method == .HEAD,
              let entry = cache.fresh(request.url, signedIn: signedIn(request), now: { request.now }) else { return nil }
        return (Self.serve(entry, to: request), entry.path)
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        // A fresh kept page never gets here: `FrontResponder` answered it (`kept(_:)`); an
        // expired one, or one kept since that check, is found by `cache.entry` below.
        guard request.method == .GET || request.method == .HEAD else { return next.respond(to: request) }
        let url = request.url
        let path = url.path
        // The route this address reaches says whether it is kept; one that declares nothing is not.
        guard let match = routes.match(path: path) else { return next.respond(to: request) }
        let raw = url.string
        if let canonical = routes.canonical(raw, match: match) {
            return request.eventLoop.makeSucceededFuture(request.redirect(to: canonical, redirectType: .permanent))
        }
        guard match.rule.allows(query: url.query), !signedIn(request) || match.rule.forEveryone else {
            return next.respond(to: request)
        }
        let keep = Keep(rule: match.rule, period: routes.period(match, path: path))
        if let entry = cache.entry(url, now: request.now) { return request.eventLoop.makeSucceededFuture(Self.serve(entry, to: request)) }
        let cache = self.cache
        switch cache.claim(raw, on: request.eventLoop) {
        case .wait(let running):
            return running.hop(to: request.eventLoop).flatMap {
                if let entry = cache.entry(url, now: request.now) { return request.eventLoop.makeSucceededFuture(Self.serve(entry, to: request)) }
                return next.respond(to: request)
            }
        case .render(let promise):
            return render(request, url: url, raw: raw, keep: keep, chainingTo: next).always { _ in cache.rendered(raw, promise) }
        }
    }

    /// Renders the page and keeps it when it is a 200 without a cookie.
    /// What a render is kept as: its route's rule and the period it names.
    private struct Keep {
        var rule: KeepRule
        var period: UUID?
    }

    private func render(_ request: Request, url: URI, raw: String, keep: Keep, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let cache = self.cache
        let generation = cache.currentGeneration
        return next.respond(to: request).always { _ in cache.refreshed(url) }.flatMap { response in
            guard response.status == .ok, response.headers[.setCookie].isEmpty else { return request.eventLoop.makeSucceededFuture(response) }
            func keptAndServed(_ body: ByteBuffer) -> Response {
                let entry = cache.make(target: raw, body: body, headers: response.headers, now: request.now, rule: keep.rule, period: keep.period)
                cache.store(url, entry, madeIn: generation)
                return Self.serve(entry, to: request)
            }
            if let buffer = response.body.buffer { return request.eventLoop.makeSucceededFuture(keptAndServed(buffer)) }
            return response.body.collect(on: request.eventLoop).map { collected in collected.map(keptAndServed) ?? response }
        }
    }

    /// 304 when the reader's copy is current, the gzip bytes when it accepts them, else the bytes.
    static func serve(_ entry: PublishedBytes.Entry, to request: Request) -> Response {
        if let sent = request.headers.first(name: .ifNoneMatch), matches(sent, entry.etag) {
            return Response(status: .notModified, headers: entry.headers)
        }
        if let gzip = entry.gzip, acceptsGzip(request.headers) {
            return Response(status: .ok, headers: entry.gzipHeaders, body: .init(buffer: gzip))
        }
        return Response(status: .ok, headers: entry.headers, body: .init(buffer: entry.body))
    }

    /// Whether an If-None-Match list names `etag` (or is `*`).
    static func matches(_ sent: String, _ etag: String) -> Bool {
        sent.split(separator: ",").contains { tag in
            let trimmed = tag.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }
            let value = String(trimmed.reversed())
            return value == etag || value == "*"
        }
    }

    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        headers[.acceptEncoding].contains { $0.lowercased().contains("gzip") }
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
