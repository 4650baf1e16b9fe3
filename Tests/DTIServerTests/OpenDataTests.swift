import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// The reorganisations' lineage and a unit's history as open data (issue 31,
/// "Open data"): read anonymously as JSON and CSV, on the demo's 2025 lineage.
@Suite("Open data: lineage and a unit's history", .serialized)
struct OpenDataTests {
    struct Link: Decodable { var kind: String; var effectiveOn: String; var predecessor: Ref; var successor: Ref }
    struct Ref: Decodable { var code: String; var name: String; var level: String; var validUntil: String? }
    struct OfUnit: Decodable { var unit: Ref; var predecessors: [Link]; var successors: [Link] }
    struct Mapping: Decodable { var province: Ref?; var links: [Link] }
    struct History: Decodable {
        struct Row: Decodable { var year: Int; var periodId: UUID; var display: String; var rank: String; var note: String; var link: String; var normalised: String? }
        var unit: Ref
        var history: [Row]
    }

    @Test("a merged unit's predecessors and a predecessor's successor, with the date, as JSON and CSV; bad format and unknown unit refused")
    func unitLineage() async throws {
        try await withDemoApp { app in
            let link = try #require(try await UnitLineage.query(on: app.db).filter(\.$kind == "merge").with(\.$predecessor).with(\.$successor).first())
            let reader = Browser(app)
            let merged = try await reader.send(.GET, "/api/v1/units/\(link.successor.code.urlPathEncoded)/lineage")
            #expect(merged.status == .ok)
            let view = try merged.json(OfUnit.self)
            #expect(view.unit.code == link.successor.code)
            let from = try #require(view.predecessors.first { $0.predecessor.code == link.predecessor.code })
            #expect(from.kind == "merge" && from.effectiveOn == link.effectiveOn && from.successor.code == link.successor.code)
            let total = try await UnitLineage.query(on: app.db).filter(\.$successor.$id == link.successor.id!).count()
            #expect(view.predecessors.count == total, "every predecessor: \(view.predecessors.count) of \(total)")

            let old = try await reader.send(.GET, "/api/v1/units/\(link.predecessor.code.urlPathEncoded)/lineage").json(OfUnit.self)
            #expect(old.unit.validUntil == link.effectiveOn, "the predecessor ends on the effective date")
            #expect(old.successors.contains { $0.successor.code == link.successor.code })

            let csv = try await reader.send(.GET, "/api/v1/units/\(link.successor.code.urlPathEncoded)/lineage?format=csv")
            #expect(csv.status == .ok)
            #expect(csv.headers.first(name: .contentType)?.hasPrefix("text/csv") == true)
            let lines = csv.body.split(separator: "\r\n")
            #expect(lines.first == "\u{FEFF}kind,effective_on,predecessor_code,predecessor_name,predecessor_level,successor_code,successor_name,successor_level,note")
            #expect(lines.count == total + 1)
            #expect(lines.contains { $0.hasPrefix("merge,\(link.effectiveOn),\(link.predecessor.code),") })

            let bad = try await reader.send(.GET, "/api/v1/units/\(link.successor.code.urlPathEncoded)/lineage?format=xml")
            #expect(bad.status == .unprocessableEntity && bad.body.contains("Định dạng \\\"xml\\\" không hỗ trợ"), "\(bad.body)")
            let unknown = try await reader.send(.GET, "/api/v1/units/KHONGCO/lineage")
            #expect(unknown.status == .notFound && unknown.body.contains("Không có đơn vị mã \\\"KHONGCO\\\""), "\(unknown.body)")
        }
    }

    @Test("a province's whole mapping: every link with one of its units at either end, and no other province's; all links without a province")
    func provinceMapping() async throws {
        try await withDemoApp { app in
            let reader = Browser(app)
            let all = try await reader.send(.GET, "/api/v1/lineage").json(Mapping.self)
            let stored = try await UnitLineage.query(on: app.db).count()
            #expect(all.links.count == stored && stored > 0)
            // The province of the first commune merged.
            let link = try #require(try await UnitLineage.query(on: app.db).with(\.$successor).all().first { $0.successor.level == "commune" })
            var unit: UnitModel? = link.successor
            while let u = unit, u.level != "province" { unit = try await u.$parent.get(on: app.db) }
            let province = try #require(unit)
            let mapping = try await reader.send(.GET, "/api/v1/lineage?province=\(province.code.urlPathEncoded)")
            #expect(mapping.status == .ok)
            let links = try mapping.json(Mapping.self)
            #expect(links.province?.code == province.code)
            #expect(links.links.contains { $0.successor.code == link.successor.code })
            #expect(links.links.count <= stored)
            let csv = try await reader.send(.GET, "/api/v1/lineage?province=\(province.code.urlPathEncoded)&format=csv")
            #expect(csv.body.split(separator: "\r\n").count == links.links.count + 1)
            // A unit that is not a province is refused with its level named.
            let notProvince = try await reader.send(.GET, "/api/v1/lineage?province=\(link.successor.code.urlPathEncoded)")
            #expect(notProvince.status == .unprocessableEntity && notProvince.body.contains("không phải tỉnh, thành phố"), "\(notProvince.body)")
        }
    }

    @Test("a unit's history: the rows of its page's \"Qua các năm\", as JSON and CSV")
    func history() async throws {
        try await withDemoApp { app in
            let reader = Browser(app)
            // A commune formed in 2025: its years before come from its predecessors, with a note.
            var code = ""
            for link in try await UnitLineage.query(on: app.db).with(\.$successor).all() where link.successor.level == "commune" {
                if try await !Scorecard.history(code: link.successor.code, on: app.db).isEmpty { code = link.successor.code; break }
            }
            #expect(!code.isEmpty, "a commune of 2025 with a history")
            let answer = try await reader.send(.GET, "/api/v1/units/\(code.urlPathEncoded)/history")
            #expect(answer.status == .ok)
            let history = try answer.json(History.self)
            #expect(!history.history.isEmpty, "the demo publishes years before the reform")
            #expect(history.history.map(\.year) == history.history.map(\.year).sorted())
            let page = try await reader.send(.GET, "/units/\(code.urlPathEncoded)")
            for row in history.history {
                #expect(page.body.contains(row.link), "the page links \(row.link)")
                #expect(page.body.contains(row.display), "the page shows \(row.display)")
                if !row.note.isEmpty { #expect(page.body.contains(row.note.htmlEscaped), "the page says \(row.note)") }
            }
            let csv = try await reader.send(.GET, "/api/v1/units/\(code.urlPathEncoded)/history?format=csv")
            let lines = csv.body.split(separator: "\r\n")
            #expect(lines.first == "\u{FEFF}unit_code,year,period_id,period_title,normalised,display,rank,note,source,link")
            #expect(lines.count == history.history.count + 1)
            #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(code + ",") })
        }
    }
}

extension String {
    /// As Leaf writes text into a page.
    var htmlEscaped: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }
}
