import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Issue 13, goal 5: a published ranking too long for one page is shown as its
/// groups, each group on its own pages, with a search (RankingPages, ADR 0025).
@Suite("Long published rankings: groups, pages and search", .serialized)
struct RankingPagesTests {
    /// 400 communes in three groups: 320 (two pages), 40 and 40. Every tenth does not report.
    static func table() -> String {
        var lines = ["group,unit,points"]
        for (group, size) in [("Vùng Bắc", 320), ("Vùng Trung", 40), ("Vùng Nam", 40)] {
            for n in 1...size { lines.append("\(group),Xã Hòa Thắng \(group.dropFirst(5)) \(n),\(n % 10 == 0 ? "-" : String((n * 37) % 1000))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func importLong(_ app: Application) async throws -> UUID {
        let admin = Browser(app)
        _ = try await admin.signIn("quantri")
        struct Import: Encodable { var manifest: String; var files: [String: String] }
        let manifest = """
        schema: opendti.results/1
        id: xa-dai
        title: Thử xếp hạng 400 xã
        year: 2031
        province: Đắk Lắk
        province_unit: DAKLAK
        source: thử
        tables:
          - {file: t.csv, level: commune, method: raw, decimals: 0}
        """
        let made = try await admin.send(.POST, "/api/v1/results", json: Import(manifest: manifest, files: ["t.csv": Self.table()]))
        #expect(made.status == .created, "\(made.body.prefix(500))")
        return try #require(try await Period.query(on: app.db).filter(\.$year == 2031).first()?.id)
    }

    /// The unit names in the (first) ranking table of a page, in order.
    func rankedNames(_ html: String) -> [String] {
        guard let start = html.range(of: #"<table class="ranking">"#) else { return [] }
        let table = html[start.upperBound...].prefix(while: { _ in true })
        let body = table.range(of: "</table>").map { table[..<$0.lowerBound] } ?? table
        return body.components(separatedBy: "<tr>").dropFirst(2).compactMap { row in
            guard let link = row.range(of: "<td><a href=\""), let open = row[link.upperBound...].range(of: "\">"),
                  let close = row[open.upperBound...].range(of: "</a>") else { return nil }
            return String(row[open.upperBound..<close.lowerBound])
        }
    }

    @Test("400 units: the ranking page lists three groups and no unit; the groups' pages hold every unit once, 300 rows to a page, ranks running on")
    func groupsAndPages() async throws {
        try await withDemoApp { app in
            let id = try await importLong(app)
            let reader = Browser(app)
            let page = try await reader.send(.GET, "/results/\(id)")
            #expect(page.status == .ok)
            #expect(page.body.contains("400 đơn vị trong 3 nhóm"), "\(page.body.prefix(3000))")
            #expect(!page.body.contains(#"<table class="ranking">"#), "no unit table on the overview")
            for (n, name, units) in [(1, "Vùng Bắc", "320"), (2, "Vùng Trung", "40"), (3, "Vùng Nam", "40")] {
                #expect(page.body.contains(#"<a href="/results/\#(id)/groups/\#(n)">\#(name)</a>"#))
                #expect(page.body.contains(#"<td class="num">\#(units)</td>"#))
            }
            #expect(page.body.contains("(2 trang)"))
            #expect(page.body.contains("Nhận xét, đánh giá"), "the analysis stays on the overview")

            var seen: [String] = []
            let first = try await reader.send(.GET, "/results/\(id)/groups/1")
            #expect(first.status == .ok)
            #expect(first.body.contains("<h1>Vùng Bắc</h1>"))
            #expect(first.body.contains("trang này hiện hàng 1–300"))
            #expect(first.body.contains(#"<a href="/results/\#(id)/groups/1?page=2">2</a>"#))
            #expect(first.body.contains(#"<a href="/results/\#(id)/groups/2">Nhóm sau →</a>"#))
            let firstNames = rankedNames(first.body)
            #expect(firstNames.count == 300)
            seen += firstNames
            let second = try await reader.send(.GET, "/results/\(id)/groups/1?page=2")
            #expect(second.status == .ok)
            #expect(second.body.contains("trang này hiện hàng 301–320"))
            #expect(second.body.contains(#"<tr><td class="num">301</td>"#), "the row numbers run on from the first page")
            #expect(second.body.contains("Giá trị trung bình"), "the group's average on every page")
            seen += rankedNames(second.body)
            for n in [2, 3] {
                let other = try await reader.send(.GET, "/results/\(id)/groups/\(n)")
                #expect(other.status == .ok)
                #expect(!other.body.contains(#"class="pager""#), "one page: no pager")
                seen += rankedNames(other.body)
            }
            #expect(seen.count == 400)
            #expect(Set(seen).count == 400, "every unit once")
        }
    }

    @Test("a search without accents finds units by name or code, links each to its scorecard and to the page of its group that shows it; searches are rendered, not kept")
    func search() async throws {
        try await withDemoApp { app in
            let id = try await importLong(app)
            let reader = Browser(app)
            let found = try await reader.send(.GET, "/results/\(id)?q=hoa%20thang%20bac%2031")
            #expect(found.status == .ok)
            #expect(found.headers.first(name: .cacheControl) == nil, "a search is not kept")
            // "…Bắc 31" and "…Bắc 310" to "…Bắc 319": eleven, each linked to the page of its group that shows it.
            #expect(found.body.contains(#"Kết quả tìm "hoa thang bac 31""#))
            let hits = found.body.components(separatedBy: "<tr><td><a href=\"/results/\(id)/units/").dropFirst()
            #expect(hits.count == 11, "\(found.body.prefix(4000))")
            #expect(found.body.contains(#">Xã Hòa Thắng Bắc 315</a>"#))
            #expect(!found.body.contains("Xếp loại"), "a ranking without bands shows no band column")
            var pages: Set<String> = []
            for hit in hits {
                let name = String(hit[try #require(hit.range(of: "\">")).upperBound...].prefix { $0 != "<" })
                let href = try #require(hit.range(of: #"<td><a href=""#).map { String(hit[$0.upperBound...].prefix { $0 != "\"" }) })
                #expect(href.hasPrefix("/results/\(id)/groups/1"))
                pages.insert(href)
                #expect(rankedNames(try await reader.send(.GET, href).body).contains(name), "\(name) is on \(href)")
            }
            #expect(!pages.isEmpty)
            let none = try await reader.send(.GET, "/results/\(id)?q=khong%20co%20xa%20nay")
            #expect(none.body.contains("Không tìm thấy đơn vị nào"))
            // More than the limit: a hundred listed and the rest counted.
            let many = try await reader.send(.GET, "/results/\(id)?q=hoa")
            #expect(many.body.contains("… và 300 đơn vị khác. Hãy gõ cụ thể hơn."))
            // The overview itself is kept as bytes; the search did not enter the store.
            #expect(app.publishedBytes.entry("/results/\(id)", now: Date()) == nil, "the searches kept nothing")
            let plain = try await reader.send(.GET, "/results/\(id)")
            #expect(app.publishedBytes.entry("/results/\(id)", now: Date()) != nil)
            let again = try await reader.send(.GET, "/results/\(id)")
            #expect(again.headers.first(name: .eTag) != nil && again.body == plain.body)
            #expect(app.publishedBytes.entry("/results/\(id)?q=hoa", now: Date()) == nil)
            // Only the parameters that choose a kept page, written the one way, are kept: a made-up
            // page number on an address that has no pages, or a number written otherwise, is rendered and not kept.
            for address in ["/results/\(id)?page=7", "/results/\(id)/groups/1?page=02", "/results/\(id)/groups/1?version=01", "/units?page=2"] {
                #expect(try await reader.send(.GET, address).status == .ok, "\(address)")
                #expect(app.publishedBytes.entry(address, now: Date()) == nil, "\(address) is not kept")
            }
            _ = try await reader.send(.GET, "/results/\(id)/groups/1?page=2")
            #expect(app.publishedBytes.entry("/results/\(id)/groups/1?page=2", now: Date()) != nil)
            // A scorecard reached from a search answers.
            let code = try #require(found.body.range(of: "/results/\(id)/units/").map { found.body[$0.upperBound...].prefix { $0 != "\"" } })
            let card = try await reader.send(.GET, "/results/\(id)/units/\(code)")
            #expect(card.status == .ok)
            #expect(card.body.contains(#"<dt>Nhóm</dt><dd><a href="/results/\#(id)/groups/1"#), "the scorecard links to the page of its group that shows it")
        }
    }

    @Test("a group or page that does not exist is 404 with its reason, a malformed page 400; a record's groups are not found before it is published")
    func badAddresses() async throws {
        try await withDemoApp { app in
            let id = try await importLong(app)
            let reader = Browser(app)
            let missing = try await reader.send(.GET, "/results/\(id)/groups/4")
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("các nhóm được đánh số từ 1 đến 3"))
            #expect(try await reader.send(.GET, "/results/\(id)/groups/abc").status == .notFound)
            #expect(try await reader.send(.GET, "/results/\(id)/groups/0").status == .notFound)
            let beyond = try await reader.send(.GET, "/results/\(id)/groups/1?page=3")
            #expect(beyond.status == .notFound)
            #expect(beyond.body.contains("chỉ có 2 trang"))
            for bad in ["page=0", "page=x", "page=1&page=2", "page=-1"] {
                let answer = try await reader.send(.GET, "/results/\(id)/groups/1?\(bad)")
                #expect(answer.status == .badRequest, "\(bad)")
                #expect(answer.body.contains("Tham số page phải là một số nguyên dương"), "\(bad)")
            }
            // The demo's 2026 period is not published: no group of it is found, by anyone.
            let unpublished = try #require(try await Period.query(on: app.db).filter(\.$year == 2026).first()?.id)
            #expect(try await reader.send(.GET, "/results/\(unpublished)/groups/1").status == .notFound)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            #expect(try await admin.send(.GET, "/results/\(unpublished)/groups/1").status == .notFound)
            // The server lives.
            #expect(try await reader.send(.GET, "/results/\(id)/groups/1").status == .ok)
        }
    }

    @Test("a short record stays one page as the decision prints it; its groups still have their pages, under a named record version too")
    func shortRecord() async throws {
        try await withDemoApp { app in
            let reader = Browser(app)
            struct Item: Decodable { var id: UUID; var year: Int }
            let list = try await reader.send(.GET, "/api/v1/results").json([Item].self)
            let id = try #require(list.first { $0.year == 2023 }?.id)
            let page = try await reader.send(.GET, "/results/\(id)")
            #expect(page.body.contains(#"<table class="ranking">"#))
            #expect(!page.body.contains("Các nhóm xếp hạng"))
            let group = try await reader.send(.GET, "/results/\(id)/groups/1")
            #expect(group.status == .ok)
            #expect(!rankedNames(group.body).isEmpty)
            #expect(rankedNames(group.body) == rankedNames(page.body), "the first group, as on the one page")
            let named = try await reader.send(.GET, "/results/\(id)/groups/1?version=1")
            #expect(named.status == .ok)
            #expect(named.body.contains("Đây là phiên bản 1 của bản ghi công bố."))
            #expect(named.body.contains(#"href="/results/\#(id)?version=1""#))
            #expect(try await reader.send(.GET, "/results/\(id)/groups/1?version=7").status == .notFound)
        }
    }
}
