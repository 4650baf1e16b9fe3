import DTIFormats
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Published pages as files (issue 31, "Published pages at any scale"): every
/// file written is what the server answers an anonymous reader, byte for
/// byte, and the folder follows a correction.
@Suite("Published pages written as files", .serialized)
struct PublishedSiteTests {
    static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dti-site-\(UUID().uuidString)")
    }

    /// The address a written file answers: its folder for `index.html`/`index.json`, each
    /// segment percent-encoded as the site's links are.
    static func address(of relative: String) -> String {
        var segments = relative.split(separator: "/").map(String.init)
        if segments.last == "index.html" || segments.last == "index.json" { segments.removeLast() }
        return "/" + segments.map { $0.addingPercentEncoding(withAllowedCharacters: CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? $0 }
            .joined(separator: "/")
    }

    static func files(under folder: URL) -> [String] {
        let root = folder.resolvingSymlinksInPath().path
        let walker = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let next = walker?.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + next, isDirectory: &isFolder), !isFolder.boolValue { found.append(next) }
        }
        return found.sorted()
    }

    @Test("every file written is the bytes an anonymous reader is served at its address, gzip twins included; every scorecard and download of 2023 is there")
    func everyFileIsTheServedBytes() async throws {
        try await withDemoApp { app in
            let folder = Self.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let versions = try await PublishedRecordWatch.versions(on: app.db)
            #expect(versions.count >= 3, "the demo publishes 2021, 2022 and 2023")
            let summary = try await SiteExport.write(app, periods: Array(versions.keys), into: folder)
            let files = Self.files(under: folder)
            #expect(summary.files == files.count)
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2023).filter(\.$resultsOnly == true).first()).id!.uuidString
            // What a reader reaches from the ranking: the page, its groups, a scorecard per unit, the downloads, the record, the JSON.
            for expected in ["results/\(period)/index.html", "results/\(period)/index.html.gz", "results/\(period)/units/SNNPTNT/index.html",
                             "results/\(period)/export.xlsx", "results/\(period)/export.csv", "results/\(period)/record.json",
                             "results/\(period)/decision.docx", "api/v1/results/\(period)/index.json", "api/v1/results/\(period)/record/index.json"] {
                #expect(files.contains(expected), "\(expected) written")
            }
            let record = try await ResultArchive.recordRow(try #require(try await Period.find(UUID(uuidString: period), on: app.db)), on: app.db)
            let units = try PublishedRecord.parse(Data(try #require(record).content.utf8)).levels.flatMap(\.results.units).count
            let scorecards = files.filter { $0.hasPrefix("results/\(period)/units/") && $0.hasSuffix("/index.html") }.count
            #expect(scorecards == units, "a scorecard per unit of the record: \(scorecards) of \(units)")
            #expect(files.contains { $0.hasPrefix("results/\(period)/groups/") }, "the group pages")
            var compared = 0
            for file in files where !file.hasSuffix(".gz") {
                let path = Self.address(of: file)
                let written = try Data(contentsOf: folder.appendingPathComponent(file))
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .ok, "\(path)")
                    #expect(Data(res.body.readableBytesView) == written, "\(file): the served bytes")
                }
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent(file + ".gz").path) {
                    let zipped = try Data(contentsOf: folder.appendingPathComponent(file + ".gz"))
                    try await app.testing().test(.GET, path, headers: ["Accept-Encoding": "gzip"]) { res in
                        #expect(res.headers.first(name: .contentEncoding) == "gzip")
                        #expect(Data(res.body.readableBytesView) == zipped, "\(file).gz: the served gzip bytes")
                    }
                }
                compared += 1
            }
            #expect(compared > units, "compared \(compared) files")
            // Nothing a reader must not see: no page of an unpublished period, no form, no session.
            let open = try await Period.query(on: app.db).filter(\.$resultsOnly == false).all().compactMap { $0.id?.uuidString }
                .filter { versions[UUID(uuidString: $0)!] == nil }
            #expect(!files.contains { file in open.contains { file.contains($0) } }, "an unpublished period's page was written")
        }
    }

    @Test("file names: pages and JSON in their address's folder, downloads as themselves, nothing outside the folder")
    func fileNames() throws {
        let app = Routes()  // the results routes as registered, for the links their rules keep
        try ResultsController().boot(routes: app)
        #expect(SiteExport.file(for: "/results/ABC", contentType: "text/html; charset=utf-8") == "results/ABC/index.html")
        #expect(SiteExport.file(for: "/api/v1/results/ABC", contentType: "application/json; charset=utf-8") == "api/v1/results/ABC/index.json")
        #expect(SiteExport.file(for: "/results/ABC/export.csv", contentType: "text/csv") == "results/ABC/export.csv")
        #expect(SiteExport.file(for: "/results/ABC/groups/Kh%E1%BB%91i%20s%E1%BB%9F", contentType: "text/html") == "results/ABC/groups/Khối sở/index.html")
        #expect(SiteExport.file(for: "/results/ABC/groups/..", contentType: "text/html") == nil)
        #expect(SiteExport.file(for: "/results/ABC/groups/%2E%2E", contentType: "text/html") == nil)
        #expect(SiteExport.file(for: "/results/ABC/groups/a%2Fb", contentType: "text/html") == nil)
        #expect(SiteExport.file(for: "/results/ABC/units/X", contentType: "image/png") == nil)
        #expect(SiteExport.links(in: #"<a href="/results/\#(UUID().uuidString)/units/A">"#, routes: KeptRoutes(app)).count == 1)
        #expect(SiteExport.links(in: #"<a href="/results/\#(UUID().uuidString)?version=1">"#, routes: KeptRoutes(app)).isEmpty, "a query is the application's")
        #expect(SiteExport.links(in: #"<a href="/login">"#, routes: KeptRoutes(app)).isEmpty)
    }

    @Test("the server's site folder: written at start, switched whole to the corrected record by the watch, the old folder removed")
    func followsACorrection() async throws {
        try await withDemoApp { app in
            let parent = Self.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: parent) }
            let site = PublishedSite(directory: parent.appendingPathComponent("site").path)
            app.publishedSite = site  // before the watch starts with the first request
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2023).filter(\.$resultsOnly == true).first()).id!
            #expect(try await Browser(app).send(.GET, "/healthz").status == .ok)
            func manifestVersion() -> Int? { site.manifest()?.records[period.uuidString] }
            for _ in 0..<240 where manifestVersion() == nil || site.busy { try await Task.sleep(nanoseconds: 250_000_000) }
            let v1 = try #require(try await PublishedRecordRow.query(on: app.db).filter(\.$period.$id == period).sort(\.$version, .descending).first())
            #expect(manifestVersion() == v1.version)
            let first = try FileManager.default.destinationOfSymbolicLink(atPath: site.link.path)
            let pageFile = site.link.appendingPathComponent("results/\(period.uuidString)/index.html")
            #expect(!(try String(contentsOf: pageFile, encoding: .utf8)).contains("Đính chính từ máy chủ thứ hai"))
            // A correction published (here as another process would: a row, nothing said to this one).
            try await PublishedRecordRow(periodID: period, version: v1.version + 1, sha256: v1.sha256, content: v1.content,
                                         reason: "Đính chính từ máy chủ thứ hai").create(on: app.db)
            for _ in 0..<240 where manifestVersion() != v1.version + 1 || site.busy { try await Task.sleep(nanoseconds: 250_000_000) }
            #expect(manifestVersion() == v1.version + 1)
            let second = try FileManager.default.destinationOfSymbolicLink(atPath: site.link.path)
            #expect(second != first, "a new folder")
            #expect(!FileManager.default.fileExists(atPath: parent.appendingPathComponent(first).path), "the old folder removed")
            let served = try await Browser(app).download("/results/\(period.uuidString)")
            #expect(try Data(contentsOf: pageFile) == served, "the corrected page, as served")
            #expect(try String(contentsOf: pageFile, encoding: .utf8).contains("Đính chính từ máy chủ thứ hai"))
            // Written once: the same versions again change nothing.
            #expect(try await site.write(app, versions: try await PublishedRecordWatch.versions(on: app.db)) == nil)
        }
    }
}
