import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

@Suite("Evaluation, council appraisal, live ranking and publication", .serialized)
struct ReviewTests {
    /// A period with every phase open today, on the department framework.
    func allPhasesOpen(_ app: Application) async throws -> String {
        try await periodWithAllPhasesOpen(app, year: 2025, title: "Kỳ thử nghiệm", frameworks: ["department": "daklak-2023-department@1"])
    }

    struct Body: Encodable { var value: String; var version: Int }
    struct Review: Encodable { var points: String; var note: String?; var version: Int }

    func fill(_ app: Application, _ period: String, unit: String, focal: String, leader: String, password: String = DemoSeeder.password, values: [String]) async throws {
        let f = Browser(app)
        _ = try await f.signIn(focal, password: password)
        for (code, value) in zip(["1", "2", "3", "4", "5", "6.DVC", "6.KHAC"], values) {
            let r = try await f.send(.PUT, "/api/v1/periods/\(period)/units/\(unit)/answers/\(code)", json: Body(value: value, version: 0))
            #expect(r.status == .ok, "\(unit) \(code): \(r.body)")
        }
        #expect(try await f.send(.POST, "/api/v1/periods/\(period)/units/\(unit)/submit", json: [String: String]()).status == .ok)
        let l = Browser(app)
        _ = try await l.signIn(leader, password: password)
        #expect(try await l.send(.POST, "/api/v1/periods/\(period)/units/\(unit)/approve", json: [String: String]()).status == .ok)
    }

    @Test("the cycle: two units submit, the evaluator and the council adjust, the ranking follows, publication freezes it")
    func cycle() async throws {
        try await withDemoApp { app in
            let period = try await allPhasesOpen(app)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            for (user, role) in [("daumoi.tttt", "focal_point"), ("lanhdao.tttt", "unit_leader")] {
                let r = try await admin.send(.POST, "/api/v1/users", json: ["username": user, "displayName": user, "password": "Mat-khau#2026", "role": role, "unitCode": "STTTT"])
                #expect(r.status == .created)
            }
            try await fill(app, period, unit: "SNNPTNT", focal: "daumoi.snn", leader: "lanhdao.snn", values: ["90", "100", "80", "75", "60", "70", "350"])
            try await fill(app, period, unit: "STTTT", focal: "daumoi.tttt", leader: "lanhdao.tttt", password: "Mat-khau#2026", values: ["100", "100", "90", "80", "70", "80", "340"])

            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let live0 = try await evaluator.send(.GET, "/api/v1/periods/\(period)/ranking")
            #expect(live0.status == .ok)
            // STTTT 860 → 0,86 ranks first; SNNPTNT 825 → 0,825 second; the 16 others did not report.
            #expect(live0.body.contains(#""unit": "Sở Thông tin và Truyền thông""#))
            let evaluated = try await evaluator.send(.PUT, "/api/v1/periods/\(period)/units/STTTT/evaluation/6.KHAC",
                                                     json: Review(points: "280", note: "Thiếu tài liệu kiểm chứng cho 3 chỉ số thành phần", version: 1))
            #expect(evaluated.status == .ok, "\(evaluated.body)")
            #expect(evaluated.body.contains(#""finalPoints":"280,00""#))
            let tooHigh = try await evaluator.send(.PUT, "/api/v1/periods/\(period)/units/STTTT/evaluation/1", json: Review(points: "101", note: nil, version: 1))
            #expect(tooHigh.status == .unprocessableEntity)
            let stale = try await evaluator.send(.PUT, "/api/v1/periods/\(period)/units/STTTT/evaluation/6.KHAC", json: Review(points: "300", note: nil, version: 1))
            #expect(stale.status == .conflict)

            let council = Browser(app)
            _ = try await council.signIn("hoidong")
            let noReason = try await council.send(.PUT, "/api/v1/periods/\(period)/units/STTTT/council/6.KHAC", json: Review(points: "300", note: "", version: 2))
            #expect(noReason.status == .unprocessableEntity)
            let adjusted = try await council.send(.PUT, "/api/v1/periods/\(period)/units/STTTT/council/6.KHAC",
                                                  json: Review(points: "300", note: "Công nhận một phần tài liệu bổ sung", version: 2))
            #expect(adjusted.status == .ok)
            #expect(adjusted.body.contains(#""selfPoints":"340,00""#) && adjusted.body.contains(#""evaluatorPoints":"280,00""#) && adjusted.body.contains(#""finalPoints":"300,00""#))
            // Roles that may not score are refused.
            #expect(try await council.send(.PUT, "/api/v1/periods/\(period)/units/STTTT/evaluation/1", json: Review(points: "1", note: nil, version: 1)).status == .forbidden)
            #expect(try await evaluator.send(.PUT, "/api/v1/periods/\(period)/units/STTTT/council/1", json: Review(points: "1", note: "x", version: 1)).status == .forbidden)

            // Before publication: no one sees published results; the viewer and units do not see the live ranking.
            #expect(try await Browser(app).send(.GET, "/api/v1/periods/\(period)/published").status == .notFound)
            let viewer = Browser(app)
            _ = try await viewer.signIn("xem")
            #expect(try await viewer.send(.GET, "/api/v1/periods/\(period)/ranking").status == .forbidden)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await focal.send(.GET, "/api/v1/periods/\(period)/ranking").status == .forbidden)
            #expect(try await focal.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]()).status == .forbidden)

            // STTTT: 100+100+90+80+70+80+300 = 820 → 0,82; SNNPTNT 825 → 0,825 now first.
            let live = try await evaluator.send(.GET, "/api/v1/periods/\(period)/ranking")
            let first = try #require(live.body.range(of: #""unit": "Sở Nông nghiệp và Phát triển nông thôn""#))
            let second = try #require(live.body.range(of: #""unit": "Sở Thông tin và Truyền thông""#))
            #expect(first.lowerBound < second.lowerBound)
            #expect(live.body.contains(#""display": "0,825""#) && live.body.contains(#""display": "0,82""#))

            // Too early: refused with every condition and what stands in the way.
            let early = try await admin.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]())
            #expect(early.status == .conflict)
            #expect(early.body.contains("Chưa đủ điều kiện công bố") && early.body.contains(#""key":"appraised""#) && early.body.contains("Chưa nhập"), "\(early.body.prefix(800))")
            #expect(try await Browser(app).send(.GET, "/api/v1/periods/\(period)/published").status == .notFound, "nothing was published")
            try await readyForPublication(app, period)
            let published = try await admin.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]())
            #expect(published.status == .created)
            let snapshot = try await Browser(app).send(.GET, "/api/v1/periods/\(period)/published")
            #expect(snapshot.status == .ok)
            let hash = try #require(snapshot.headers.first(name: "X-Content-SHA256"))
            #expect(published.body.contains(hash))
            #expect(snapshot.body.contains(#""council_reason": "Công nhận một phần tài liệu bổ sung""#))
            #expect(try await admin.send(.POST, "/api/v1/periods/\(period)/publish", json: [String: String]()).status == .conflict)
            // After publication nothing changes: the period is locked and the snapshot stays byte for byte.
            #expect(try await council.send(.PUT, "/api/v1/periods/\(period)/units/STTTT/council/1", json: Review(points: "50", note: "muộn", version: 1)).status == .conflict)
            let again = try await Browser(app).send(.GET, "/api/v1/periods/\(period)/published")
            #expect(again.body == snapshot.body)
            #expect(again.headers.first(name: "X-Content-SHA256") == hash)
            try await expectSameAsCommandLine(app, snapshot: snapshot.body)
        }
    }
}

/// The published ranking equals what `dti score` computes from the same
/// inputs: the published final scores of every unit, written as the CSV files
/// the command line reads.
func expectSameAsCommandLine(_ app: Application, snapshot: String) async throws {
    let json = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.utf8)) as? [String: Any])
    let units = try #require(json["units"] as? [[String: Any]])
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dti-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    var unitLines = ["unit,group,tags"], answerLines = ["unit,criterion,value"]
    for unit in units where unit["level"] as? String == "department" {
        let name = unit["name"] as! String
        let model = try #require(try await UnitModel.query(on: app.db).filter(\.$code == (unit["code"] as! String)).first())
        unitLines.append([quote(name), quote(unit["group"] as! String), quote(model.tags)].joined(separator: ","))
        for answer in (unit["answers"] as? [[String: Any]]) ?? [] {
            guard let final = answer["final"] as? NSNumber else { continue }
            answerLines.append([quote(name), quote(answer["criterion"] as! String), quote(final.stringValue)].joined(separator: ","))
        }
    }
    try (unitLines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("units.csv"), atomically: true, encoding: .utf8)
    try (answerLines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("responses.csv"), atomically: true, encoding: .utf8)
    let cliUnits = try dtiUnits(["score", TestPaths.frameworks + "/daklak-2023-department.yaml",
                                 dir.appendingPathComponent("units.csv").path, dir.appendingPathComponent("responses.csv").path, "--format", "json"])
    let published = try #require((json["rankings"] as? [[String: Any]])?.first { $0["level"] as? String == "department" }?["units"] as? [[String: Any]])
    #expect(cliUnits.count == published.count && published.count == 21)   // the demo's 18 sở and VPUBND, SNNMT, SDTTG of the 2025 list
    for (mine, theirs) in zip(published, cliUnits) {
        #expect(mine["unit"] as? String == theirs["unit"] as? String)
        #expect(mine["display"] as? String == theirs["display"] as? String, "\(mine["unit"] ?? "")")
        #expect(mine["rank"] as? Int == theirs["rank"] as? Int, "\(mine["unit"] ?? "")")
    }
}

@Suite("Correction requests", .serialized)
struct CorrectionTests {
    @Test("the evaluator sends back one criterion; the unit fixes only that one and answers; closing locks it again")
    func roundTrip() async throws {
        try await withDemoApp { app in
            let review = ReviewTests()
            let period = try await review.allPhasesOpen(app)
            try await review.fill(app, period, unit: "SNNPTNT", focal: "daumoi.snn", leader: "lanhdao.snn", values: ["90", "100", "80", "75", "60", "70", "350"])
            let base = "/api/v1/periods/\(period)/units/SNNPTNT"
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            struct Open: Encodable { var criterion: String; var message: String }
            let opened = try await evaluator.send(.POST, base + "/corrections", json: Open(criterion: "3", message: "Bổ sung biên bản kiểm tra hạ tầng"))
            #expect(opened.status == .created)
            #expect(try await evaluator.send(.POST, base + "/corrections", json: Open(criterion: "3", message: "lần hai")).status == .conflict)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            struct Body: Encodable { var value: String; var version: Int }
            #expect(try await focal.send(.PUT, base + "/answers/3", json: Body(value: "85", version: 1)).status == .ok)
            #expect(try await focal.send(.PUT, base + "/answers/2", json: Body(value: "90", version: 1)).status == .conflict, "the rest stays locked")
            let page = try await focal.send(.GET, "/periods/\(period)/units/SNNPTNT")
            #expect(page.body.contains("Yêu cầu bổ sung, chỉnh sửa đang mở"))
            #expect(page.body.contains("name=\"value.3\""))
            #expect(!page.body.contains("name=\"value.2\""))
            let replied = try await focal.send(.POST, base + "/corrections/3/messages", json: ["message": "Đã bổ sung biên bản số 12/BB"])
            #expect(replied.status == .ok)
            #expect(replied.body.contains(#""status":"answered""#))
            // Other units' accounts and the viewer are refused.
            let viewer = Browser(app)
            _ = try await viewer.signIn("xem")
            #expect(try await viewer.send(.GET, base + "/corrections").status == .forbidden)
            #expect(try await focal.send(.POST, base + "/corrections/3/close", json: [String: String]()).status == .forbidden)
            let closed = try await evaluator.send(.POST, base + "/corrections/3/close", json: [String: String]())
            #expect(closed.body.contains(#""status":"closed""#))
            #expect(try await focal.send(.PUT, base + "/answers/3", json: Body(value: "90", version: 2)).status == .conflict)
            let thread = try await evaluator.send(.GET, base + "/corrections")
            #expect(thread.body.contains("Bổ sung biên bản kiểm tra hạ tầng") && thread.body.contains("Đã bổ sung biên bản số 12"))
        }
    }
}

@Suite("The demo period in evaluation", .serialized)
struct DemoEvaluationTests {
    @Test("every unit has submitted, and the live ranking reproduces the published 2023 table")
    func liveRankingMatchesPublished() async throws {
        try await withDemoApp { app in
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2025).first())
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let live = try await evaluator.send(.GET, "/api/v1/periods/\(period.id!)/ranking")
            #expect(live.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(live.body.utf8)) as? [String: Any])
            let levels = try #require(json["levels"] as? [[String: Any]])
            let units = levels.flatMap { ($0["units"] as? [[String: Any]]) ?? [] }
            let published = try String(contentsOfFile: TestPaths.root.appendingPathComponent("Tests/Fixtures/seeds/daklak-2023.csv").path, encoding: .utf8)
            var checked = 0
            for line in published.split(separator: "\r\n").dropFirst() {
                let cells = PublishedRow.split(String(line))
                let unit = try #require(units.first { $0["unit"] as? String == cells[1] }, "\(cells[1])")
                #expect(unit["display"] as? String == cells[2], "\(cells[1])")
                #expect(unit["rank"] as? Int == Int(cells[3]), "\(cells[1])")
                checked += 1
            }
            #expect(checked == 33)
            // The evaluation phase is open today: the evaluator may score.
            let page = try await evaluator.send(.GET, "/periods/\(period.id!)")
            #expect(page.body.contains("đang diễn ra"))
        }
    }
}

enum PublishedRow {
    /// Splits a CSV line with double quotes.
    static func split(_ line: String) -> [String] {
        var cells: [String] = [], cell = "", quoted = false
        for c in line {
            if c == "\"" { quoted.toggle() } else if c == "," && !quoted { cells.append(cell); cell = "" } else { cell.append(c) }
        }
        cells.append(cell)
        return cells
    }
}
