#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Published pages written as files (issue 31, "Published pages at any
/// scale"): every address of every published period that an anonymous reader
/// can reach — the ranking, the group pages, the scorecards, the downloads,
/// the record and the open-data JSON — answered by the application itself
/// (so byte for byte what it serves: `PublishedBytes` keeps the same bytes)
/// and written under the address's own path, with a gzip twin (`NAME.gz`)
/// where the server would answer gzip. A web server serves the folder with
/// `try_files` before asking the application (DEPLOY.md); any static host can.
///
/// The addresses are found as a reader finds them: from each period's
/// ranking page and its JSON, following every link to another published
/// address without a query. An address with a query (an earlier version, the
/// second page of a long group, a search) is left to the application.
enum SiteExport {
    struct Summary: Sendable, Equatable {
        var periods = 0
        var files = 0
        var bytes = 0
        /// Addresses answered with something other than 200 (a PDF without LibreOffice, say), or
        /// whose path cannot be a file name: left to the application, named here.
        var left: [String] = []
    }

    /// The file an address and its answer's type are written to, relative to the site's folder:
    /// the path's segments decoded (as a web server maps an address to a file), a page as
    /// `index.html` and JSON as `index.json` in the folder of its address, a download (its last
    /// segment has an extension) as itself. Nil for a path no file may have (an empty, `.`,
    /// `..` or hidden segment, a slash or NUL decoded from a segment).
    static func file(for path: String, contentType: String) -> String? {
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard let segment = raw.removingPercentEncoding, !segment.isEmpty, !segment.hasPrefix("."),
                  !segment.contains("/"), !segment.contains("\0") else { return nil }
            segments.append(segment)
        }
        guard !segments.isEmpty else { return nil }
        if segments.last!.contains(".") { return segments.joined(separator: "/") }
        let index = contentType.hasPrefix("text/html") ? "index.html" : contentType.contains("json") ? "index.json" : nil
        return index.map { (segments + [$0]).joined(separator: "/") }
    }

    /// Published addresses linked from `html` (href and src) — those whose route keeps them for
    /// good (`KeepRule.published`) — without a query or fragment, each once.
    static func links(in html: String, routes: KeptRoutes) -> [String] {
        var found: [String] = []
        var seen = Set<String>()
        for attribute in ["href=\"", "src=\""] {
            var rest = html[...]
            while let start = rest.range(of: attribute) {
                rest = rest[start.upperBound...]
                guard let end = rest.firstIndex(of: "\"") else { break }
                let link = String(rest[..<end].prefix { $0 != "#" })
                rest = rest[end...]
                guard !link.contains("?"), !link.contains("&"), let match = routes.published(link),
                      routes.canonical(link, match: match) == nil, seen.insert(link).inserted else { continue }
                found.append(link)
            }
        }
        return found
    }

    /// Asks the application for `path` as an anonymous reader does (no cookie, no token), plain
    /// or gzip: status, content type and body.
    static func answer(_ app: Application, _ responder: any Responder, _ path: String, gzip: Bool) async throws -> (status: HTTPStatus, type: String, encoding: String?, body: Data) {
        var logger = Logger(label: "dti.site-export")
        logger.logLevel = .warning  // a log line per exported file would bury the server's own
        var headers = HTTPHeaders()
        if gzip { headers.add(name: .acceptEncoding, value: "gzip") }
        let request = Request(application: app, method: .GET, url: URI(string: path), headers: headers, logger: logger, on: app.eventLoopGroup.any())
        let response = try await responder.respond(to: request).get()
        var body = Data()
        if let buffer = response.body.buffer {
            body = Data(buffer.readableBytesView)
        } else if let collected = try await response.body.collect(on: request.eventLoop).get() {
            body = Data(collected.readableBytesView)
        }
        return (response.status, response.headers.first(name: .contentType) ?? "", response.headers.first(name: .contentEncoding), body)
    }

    /// Writes the published site of `periods` into `folder` (made if missing; expected empty).
    /// `progress` hears each file written (its address and how many so far).
    static func write(_ app: Application, periods: [UUID], into folder: URL,
                      progress: (String, Int) -> Void = { _, _ in }) async throws -> Summary {
        var summary = Summary(periods: periods.count)
        var queue: [String] = periods.sorted { $0.uuidString < $1.uuidString }.flatMap { ["/results/\($0.uuidString)", "/api/v1/results/\($0.uuidString)", "/api/v1/results/\($0.uuidString)/record"] }
        var seen = Set(queue)
        var next = 0
        let files = FileManager.default
        try files.createDirectory(at: folder, withIntermediateDirectories: true)
        let responder = app.responder.current, routes = KeptRoutes(app.routes)  // made once: each builds a router
        while next < queue.count {
            try Task.checkCancellation()  // the server is stopping: its database goes next
            let path = queue[next]
            next += 1
            let plain = try await answer(app, responder, path, gzip: false)
            guard plain.status == .ok, let name = file(for: path, contentType: plain.type) else {
                summary.left.append("\(path) (\(plain.status.code))")
                continue
            }
            let target = folder.appendingPathComponent(name)
            try files.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try plain.body.write(to: target)
            summary.files += 1
            summary.bytes += plain.body.count
            let zipped = try await answer(app, responder, path, gzip: true)
            if zipped.status == .ok, zipped.encoding == "gzip" {
                try zipped.body.write(to: URL(fileURLWithPath: target.path + ".gz"))
                summary.files += 1
                summary.bytes += zipped.body.count
            }
            progress(path, summary.files)
            if plain.type.hasPrefix("text/html"), let html = String(data: plain.body, encoding: .utf8) {
                for link in links(in: html, routes: routes) where seen.insert(link).inserted { queue.append(link) }
            }
        }
        return summary
    }
}

/// `DTI_DATA_DIR/site` (or `DTI_SITE_DIR`) kept equal to the published
/// records: whenever a period's record version moves (`PublishedRecordWatch`,
/// in whichever process published or corrected it) and at start when the
/// folder was written for other versions or by another build, the site is
/// written anew into a folder of its own and `site` — a symbolic link — is
/// switched to it in one `rename`, so a web server never reads a half-written
/// site. One process at a time writes (a `flock` beside the link); the next
/// finds the manifest current and writes nothing.
final class PublishedSite: Sendable {
    /// The symbolic link a web server is pointed at.
    let link: URL
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var wanted: [UUID: Int]?
        /// The writer while it runs (nil when idle), cancelled and awaited when the server stops.
        var task: Task<Void, Never>?
        var stopped = false
    }

    init(directory: String) { link = URL(fileURLWithPath: directory) }

    static let manifestName = ".opendti-site.json"

    struct Manifest: Codable, Equatable {
        /// Record version of each period written.
        var records: [String: Int]
        /// The executable that rendered the pages (size and time): another build renders anew.
        var build: String
    }

    /// This executable's size and modification time.
    static let build: String = {
        let path = ProcessInfo.processInfo.arguments.first.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? Bundle.main.executablePath ?? ""
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        let time = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(size)-\(Int(time))"
    }()

    func manifest() -> Manifest? {
        guard let data = try? Data(contentsOf: link.appendingPathComponent(Self.manifestName)) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }

    static func manifest(for versions: [UUID: Int]) -> Manifest {
        Manifest(records: Dictionary(uniqueKeysWithValues: versions.map { ($0.key.uuidString, $0.value) }), build: build)
    }

    /// Asks for the site to match `versions`; returns at once. A request made while a write runs
    /// is done after it (the newest one only).
    func refresh(_ app: Application, versions: [UUID: Int]) {
        state.withLockedValue { state in
            guard !state.stopped else { return }
            state.wanted = versions
            guard state.task == nil else { return }
            state.task = Task { await self.drain(app) }
        }
    }

    private func drain(_ app: Application) async {
        while let versions = state.withLockedValue({ state -> [UUID: Int]? in
            defer { state.wanted = nil }
            if state.wanted == nil || state.stopped { state.task = nil; return nil }
            return state.wanted
        }) {
            do {
                try await write(app, versions: versions)
            } catch is CancellationError {
                app.logger.notice("published site \(link.path): the server stops; the write in progress is dropped, the link still shows the last whole site")
            } catch {
                app.logger.error("published site \(link.path): \(String(reflecting: error))")
            }
        }
    }

    /// Stops writing: a write under way is cancelled and awaited (it reads pages through
    /// the database, which shuts down after this), and no new one starts.
    func stop() async {
        let task = state.withLockedValue { state -> Task<Void, Never>? in
            state.stopped = true
            return state.task
        }
        task?.cancel()
        await task?.value
    }

    /// Whether a write is asked for or under way (tests wait for it).
    var busy: Bool { state.withLockedValue { $0.task != nil } }

    /// Writes the site for `versions` unless the link's manifest says it is written already.
    /// Returns the summary, or nil when nothing was to be done.
    @discardableResult
    func write(_ app: Application, versions: [UUID: Int]) async throws -> SiteExport.Summary? {
        let parent = link.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let lock = try await FileLock.exclusive(link.path + ".lock", purpose: "ghi các trang công bố")
        defer { lock.release() }
        let wanted = Self.manifest(for: versions)
        if manifest() == wanted { return nil }
        let started = Date()
        let stamp = String(Int(started.timeIntervalSince1970 * 1000))
        let folder = parent.appendingPathComponent(link.lastPathComponent + "-" + stamp)
        do {
            let summary = try await SiteExport.write(app, periods: Array(versions.keys), into: folder)
            try JSONEncoder().encode(wanted).write(to: folder.appendingPathComponent(Self.manifestName))
            let previous = try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)
            try switchLink(to: folder.lastPathComponent)
            if let previous, previous != folder.lastPathComponent, !previous.contains("/") {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(previous))
            }
            app.logger.info("published site \(link.path): \(summary.files) files, \(summary.bytes) bytes, \(summary.periods) periods in \(Int(Date().timeIntervalSince(started) * 1000)) ms; left to the application: \(summary.left.count)")
            return summary
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// Points the link at `name` (a folder beside it) in one `rename`. A real folder found where
    /// the link goes (made by hand) is moved aside first, kept under another name.
    private func switchLink(to name: String) throws {
        let files = FileManager.default
        let temporary = link.deletingLastPathComponent().appendingPathComponent("." + link.lastPathComponent + ".next")
        try? files.removeItem(at: temporary)
        try files.createSymbolicLink(atPath: temporary.path, withDestinationPath: name)
        var isFolder: ObjCBool = false
        if (try? files.destinationOfSymbolicLink(atPath: link.path)) == nil, files.fileExists(atPath: link.path, isDirectory: &isFolder) {
            try files.moveItem(at: link, to: link.deletingLastPathComponent().appendingPathComponent(link.lastPathComponent + "-before-\(Int(Date().timeIntervalSince1970))"))
        }
        guard rename(temporary.path, link.path) == 0 else {
            throw Abort(.internalServerError, reason: "\(link.path): không chuyển được sang bản mới (errno \(errno))")
        }
    }
}

extension Application {
    private struct PublishedSiteKey: StorageKey { typealias Value = PublishedSite }

    /// The published site's writer, when the server writes one (`DTI_SITE_DIR`, not `off`).
    var publishedSite: PublishedSite? {
        get { storage[PublishedSiteKey.self] }
        set { storage[PublishedSiteKey.self] = newValue }
    }
}

/// Stops the published site's writer before the database shuts down.
struct PublishedSiteLifecycle: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        await application.publishedSite?.stop()
    }
}
