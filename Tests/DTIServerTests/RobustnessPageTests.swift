import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Issue 34, item 1 on the pages: "Độ vững của xếp hạng" on every published
/// ranking page and on the publication preview, the same figures `dti
/// robustness` prints for the downloaded record.
@Suite("Robustness on the results pages", .serialized)
struct RobustnessPageTests {
    /// One row of a page's robustness table.
    struct Row: Equatable, CustomStringConvertible {
        var unit: String, rank: String, interval: String, oneAtATime: String
        var description: String { "\(unit) \(rank) \(interval) \(oneAtATime)" }
    }

    /// The robustness sections of a page: each one's text and its table's rows.
    static func sections(_ html: String) -> [(text: String, rows: [Row])] {
        let section = try! NSRegularExpression(pattern: #"<section class="robustness"[^>]*>(.*?)</section>"#, options: [.dotMatchesLineSeparators])
        let row = try! NSRegularExpression(pattern: #"<tr><td>([^<]*)</td><td class="num">([^<]*)</td><td class="interval">(?:<svg.*?</svg>)? <span>([^<]*)</span></td><td class="num">([^<]*)</td></tr>"#,
                                           options: [.dotMatchesLineSeparators])
        func unescape(_ s: String) -> String {
            s.replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        }
        let ns = html as NSString
        return section.matches(in: html, range: NSRange(location: 0, length: ns.length)).map { m in
            let body = ns.substring(with: m.range(at: 1))
            let b = body as NSString
            let rows = row.matches(in: body, range: NSRange(location: 0, length: b.length)).map { r in
                Row(unit: unescape(b.substring(with: r.range(at: 1))), rank: b.substring(with: r.range(at: 2)),
                    interval: b.substring(with: r.range(at: 3)), oneAtATime: b.substring(with: r.range(at: 4)))
            }
            let text = unescape(body.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
                .replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression))
            return (text, rows)
        }
    }

    /// Whether the published rank is within the one-at-a-time range, which holds the nominal case:
    /// the analysis adds the pillars up as the record's method does.
    static func rankWithinRange(_ row: Row) -> Bool {
        guard let rank = Int(row.rank), row.oneAtATime != "—" else { return true }
        let ends = row.oneAtATime.split(separator: "–").compactMap { Int($0) }
        guard let low = ends.first, let high = ends.last else { return false }
        return (low...high).contains(rank)
    }

    /// What `dti robustness record.json --format json` prints for the record of `period`, as rows keyed by unit.
    static func commandLine(_ b: Browser, period: String) async throws -> [[String: Any]] {
        let record = try await b.send(.GET, "/api/v1/results/\(period)/record")
        #expect(record.status == .ok)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("robust-\(UUID().uuidString).json")
        try Data(record.body.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let out = try runDTI(["robustness", file.path, "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        return json["groups"] as? [[String: Any]] ?? []
    }

    static func expected(_ group: [String: Any]) -> [String: (interval: String, oneAtATime: String)] {
        var out: [String: (String, String)] = [:]
        for u in group["units"] as? [[String: Any]] ?? [] {
            let (p05, p95, lo, hi) = (u["p05"] as! Int, u["p95"] as! Int, u["oat_min"] as! Int, u["oat_max"] as! Int)
            out[u["unit"] as! String] = (p05 == p95 ? "\(p05)" : "\(p05)–\(p95)", lo == hi ? "\(lo)" : "\(lo)–\(hi)")
        }
        return out
    }

    @Test("Đắk Lắk 2021 (raw points): each district's interval on the page is what dti robustness prints for the downloaded record; the flipping pairs are named; a unit that did not report has none")
    func publishedRawPoints() async throws {
        try await withDemoApp { app in
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2021).first()).id!.uuidString
            let b = Browser(app)
            let page = try await b.send(.GET, "/results/\(period)")
            #expect(page.status == .ok)
            let sections = Self.sections(page.body)
            #expect(page.body.contains("<h3>Độ vững của xếp hạng</h3>"))
            let groups = try await Self.commandLine(b, period: period)
            let districts = try #require(sections.first { $0.rows.contains { $0.unit == "UBND huyện Krông Pắc" } }, "\(sections.map(\.text))")
            let cli = try #require(groups.first { ($0["units"] as? [[String: Any]])?.contains { $0["unit"] as? String == "UBND huyện Krông Pắc" } == true })
            let expected = Self.expected(cli)
            #expect(districts.rows.count == 15, "\(districts.rows)")
            for row in districts.rows { #expect(Self.rankWithinRange(row), "\(row)") }
            for row in districts.rows where row.interval != "—" {
                let e = try #require(expected[row.unit], "\(row.unit) is not in the command's output")
                #expect(row.interval == e.interval && row.oneAtATime == e.oneAtATime, "\(row) against \(e)")
            }
            // Worked out from the published pillars: Krông Pắc leads every case.
            #expect(districts.rows.first == Row(unit: "UBND huyện Krông Pắc", rank: "1", interval: "1", oneAtATime: "1"))
            // M'Drắk sent nothing: ranked last as the 2021 decision did, with no interval.
            let silent = try #require(districts.rows.first { $0.unit.contains("Drắk") })
            #expect(silent.rank == "15" && silent.interval == "—", "\(silent)")
            // The pairs named are the command's, with their shares.
            for flip in cli["flips"] as? [[String: Any]] ?? [] {
                let (first, second) = (flip["first"] as! String, flip["second"] as! String)
                #expect(districts.text.contains("\(first) và \(second): đổi thứ tự trong"), "\(first) / \(second) not named")
            }
            #expect(!(cli["flips"] as? [[String: Any]] ?? []).isEmpty)
            #expect(districts.text.contains("Chính quyền số: 33,3 % theo trọng số"), "\(districts.text.prefix(600))")
            #expect(districts.text.contains("dti robustness"))
        }
    }

    @Test("a weighted record (national 922): the page's intervals are the command's; the tied provinces share their rank; the preview shows the section before publication and an anonymous reader cannot see it")
    func weightedAndPreview() async throws {
        try await withDemoApp { app in
            // The demo's 2025 period is in evaluation: its preview, as the administrator sees it.
            let period2025 = try #require(try await Period.query(on: app.db).filter(\.$year == 2025).first()).id!.uuidString
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let preview = try await admin.send(.GET, "/periods/\(period2025)/publication/preview")
            #expect(preview.status == .ok)
            let previewSections = Self.sections(preview.body)
            #expect(!previewSections.isEmpty && previewSections.allSatisfy { !$0.rows.isEmpty }, "\(previewSections.map(\.text))")
            // The sở are ranked on points ÷ their applicable maximum (Thanh tra tỉnh on 900 points): the
            // nominal case is that ranking, not the raw points'.
            for row in previewSections.flatMap(\.rows) { #expect(Self.rankWithinRange(row), "\(row)") }
            let anonymous = try await Browser(app).send(.GET, "/periods/\(period2025)/publication/preview")
            #expect(anonymous.status != .ok && !anonymous.body.contains("Độ vững của xếp hạng"))

            let period = try await PublishedRecordTests().publishWeighted(app)
            let page = try await Browser(app).send(.GET, "/results/\(period)")
            let section = try #require(Self.sections(page.body).first)
            let cli = try #require(try await Self.commandLine(admin, period: period).first {
                ($0["units"] as? [[String: Any]])?.contains { $0["unit"] as? String == "Tỉnh Cao" } == true
            })
            let expected = Self.expected(cli)
            #expect(section.rows.count == PublishedRecordTests.provinces.count)
            for row in section.rows {
                let e = try #require(expected[row.unit], "\(row.unit) not in \(expected.keys.sorted())")
                #expect(row.interval == e.interval && row.oneAtATime == e.oneAtATime, "\(row) against \(e)")
                let province = try #require(PublishedRecordTests.provinces.first { $0.name == row.unit })
                #expect(row.rank == province.rank && Self.rankWithinRange(row), "\(row)")
            }
            // Tỉnh Cao has the highest share of every maximum: first under any weights.
            #expect(section.rows.first == Row(unit: "Tỉnh Cao", rank: "1", interval: "1", oneAtATime: "1"))
            // Alpha and Ea have the same points: tied in every case, never a flipping pair.
            #expect(!section.text.contains("Tỉnh Alpha và Tỉnh Ea") && !section.text.contains("Tỉnh Ea và Tỉnh Alpha"))
        }
    }
}
