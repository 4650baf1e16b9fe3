import DTICore
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Issue 33: a feed's data ingested over HTTP fills the criteria open periods bind to it,
/// through the one write path of an answer; a refused file changes nothing; the same bytes
/// again change nothing; a corrected month supersedes the old value, both kept.
@Suite("Data feeds: ingestion over HTTP", .serialized)
struct FeedIngestionTests {
    struct Ingestion: Decodable { var number: Int; var status: String; var rows: Int; var values: Int; var changed: Int; var answersChanged: Int; var problems: [String] }

    /// The demo's monthly values of one commune and field, from the shipped file.
    static func demoMonths(_ code: String, _ field: String) throws -> [Double] {
        let url = TestPaths.root.appendingPathComponent("Sources/DTIServer/Resources/Demo/feeds/dvc-766-2026.csv")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let column = try #require(lines[0].firstIndex(of: field))
        return lines.dropFirst().filter { $0[0] == code }.map { Double($0[column])! }
    }

    static func answer(_ app: Application, unit code: String, criterion: String) async throws -> (value: String, points: Int64?, explanation: String, by: String)? {
        let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2026).first())
        let unit = try #require(try await UnitModel.query(on: app.db).filter(\.$code == code).first())
        guard let submission = try await Submission.query(on: app.db).filter(\.$period.$id == period.id!).filter(\.$unit.$id == unit.id!).first(),
              let answer = try await Answer.query(on: app.db).filter(\.$submission.$id == submission.id!).filter(\.$criterion == criterion).first() else { return nil }
        return (answer.value, answer.selfPoints, answer.explanation, answer.updatedBy)
    }

    @Test("the demo's 766 feed fills 6.6–6.10 of every commune with the mean of its months; the unit cannot change them")
    func demo() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let list = try await admin.send(.GET, "/api/v1/feeds/dvc-766/ingestions")
            #expect(list.status == .ok, "\(list.body.prefix(300))")
            let first = try #require(try list.json([Ingestion].self).first)
            #expect(first.status == "accepted" && first.rows == 1122 && first.values == 5610 && first.changed == 5610 && first.answersChanged == 510, "\(first)")
            // 6.8 (số hóa hồ sơ, out of 22) of Phường Buôn Ma Thuột: the mean of its eleven months, tiers 19,8/15,4/11.
            let months = try Self.demoMonths("24133", "so_hoa")
            #expect(months.count == 11)
            let mean = months.reduce(0, +) / Double(months.count)
            let stored = try #require(try await Self.answer(app, unit: "24133", criterion: "6.8"))
            #expect(abs(Double(stored.value.replacingOccurrences(of: ",", with: "."))! - mean) < 0.000001, "\(stored.value) vs \(mean)")
            let expectedPoints: Int64 = mean >= 19.8 ? 20 : mean >= 15.4 ? 15 : mean >= 11 ? 10 : 0
            #expect(stored.points == expectedPoints * 1_000_000)
            #expect(stored.by == "nguồn dữ liệu dvc-766")
            #expect(stored.explanation.hasPrefix("Tự động từ Chỉ số phục vụ người dân, doanh nghiệp") && stored.explanation.contains("tháng 11/2026"), "\(stored.explanation)")
            // The unit's focal point sees it on the form, read-only, with where it came from; a save of it is refused.
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2026).first()?.id)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.xa")
            let page = try await focal.send(.GET, "/periods/\(period)/units/24133")
            #expect(page.status == .ok)
            #expect(page.body.contains("<small class=\"automatic\">Tự động từ Chỉ số phục vụ người dân"), "\(page.body.count)")
            #expect(!page.body.contains("name=\"v-6.8\""), "the bound criterion has no field")
            struct Body: Encodable { var value: String; var version: Int }
            let save = try await focal.send(.PUT, "/api/v1/periods/\(period)/units/24133/answers/6.8", json: Body(value: "22", version: 1))
            #expect(save.status == .conflict && save.body.contains("lấy tự động từ nguồn dữ liệu dvc-766"), "\(save.body)")
        }
    }

    @Test("an upload corrects a month (both values kept), the same bytes change nothing, a bad file is refused whole")
    func upload() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let before = try #require(try await Self.answer(app, unit: "24133", criterion: "6.6"))
            // November's "công khai" of Phường Buôn Ma Thuột corrected to 0: the year's mean falls.
            let csv = "unit,period,cong_khai\n24133,2026-11,0\n"
            let sent = try await admin.send(.POST, "/api/v1/feeds/dvc-766/data?name=sua-thang-11.csv", body: csv, contentType: HTTPMediaType(type: "text", subType: "csv"))
            #expect(sent.status == .created, "\(sent.body)")
            let ingestion = try sent.json(Ingestion.self)
            #expect(ingestion.number == 2 && ingestion.changed == 1 && ingestion.answersChanged == 1, "\(ingestion)")
            let months = try Self.demoMonths("24133", "cong_khai")
            let mean = (months.dropLast().reduce(0, +) + 0) / 11
            let after = try #require(try await Self.answer(app, unit: "24133", criterion: "6.6"))
            #expect(abs(Double(after.value.replacingOccurrences(of: ",", with: "."))! - mean) < 0.000001, "\(after.value) vs \(mean), before \(before.value)")
            #expect(after.explanation.contains("lần nhận số 2"))
            let sql = try #require(app.db as? any SQLDatabase)
            struct Kept: Decodable { var value: String; var superseded: Int }
            let kept = try await sql.raw("""
                SELECT v.value, CASE WHEN v.superseded_by IS NULL THEN 0 ELSE 1 END AS superseded FROM feed_values v JOIN units u ON u.id = v.unit_id
                WHERE u.code = '24133' AND v.month = '2026-11' AND v.field = 'cong_khai' ORDER BY superseded
                """).all(decoding: Kept.self)
            #expect(kept.count == 2 && kept[0].value == "0" && kept[1].superseded == 1, "\(kept)")
            // The change log has the ingestion's change, by the feed.
            let log = try await ChangeEntry.query(on: app.db).filter(\.$criterion == "6.6").filter(\.$field == "value").filter(\.$oldValue == before.value).all()
            #expect(log.count == 1 && log.first?.actor == "nguồn dữ liệu dvc-766" && log.first?.newValue == after.value, "\(log.map { ($0.actor, $0.oldValue, $0.newValue) })")

            // The same bytes again: 200, nothing changed, kept as "unchanged".
            let again = try await admin.send(.POST, "/api/v1/feeds/dvc-766/data?name=lai.csv", body: csv, contentType: HTTPMediaType(type: "text", subType: "csv"))
            #expect(again.status == .ok, "\(again.body)")
            let repeated = try again.json(Ingestion.self)
            #expect(repeated.status == "unchanged" && repeated.changed == 0 && repeated.answersChanged == 0, "\(repeated)")

            // A file with an unknown unit, a bad month and a value above the field's maximum: 422 naming each, nothing written.
            let values = try await sql.raw("SELECT COUNT(*) AS n FROM feed_values").first(decoding: [String: Int].self)?["n"]
            let bad = "unit,period,cong_khai,so_hoa\n24133,2026-10,5,23\n99999,2026-10,5,5\n24133,2026-1x,5,5\n"
            let refused = try await admin.send(.POST, "/api/v1/feeds/dvc-766/data?name=loi.csv", body: bad, contentType: HTTPMediaType(type: "text", subType: "csv"))
            #expect(refused.status == .unprocessableEntity, "\(refused.body)")
            #expect(refused.body.contains("loi.csv:2:17: cột \\\"so_hoa\\\": giá trị 23 lớn hơn mức cao nhất 22"), "\(refused.body)")
            #expect(refused.body.contains("loi.csv:4:7: cột \\\"period\\\""), "\(refused.body)")
            #expect(try await sql.raw("SELECT COUNT(*) AS n FROM feed_values").first(decoding: [String: Int].self)?["n"] == values)
            let unknown = try await admin.send(.POST, "/api/v1/feeds/dvc-766/data?name=la.csv", body: "unit,period,cong_khai\n99999,2026-10,5\n",
                                               contentType: HTTPMediaType(type: "text", subType: "csv"))
            #expect(unknown.status == .unprocessableEntity && unknown.body.contains("la.csv:2:1: cột \\\"unit\\\": không có đơn vị \\\"99999\\\""), "\(unknown.body)")
            let list = try await admin.send(.GET, "/api/v1/feeds/dvc-766/ingestions").json([Ingestion].self)
            #expect(list.map(\.status) == ["refused", "refused", "unchanged", "accepted", "accepted"], "\(list.map(\.status))")
            // Every problem of the bad file, the unknown unit of its line 3 among them.
            #expect(list[0].problems.count == 1 && list[1].problems.count == 3, "\(list[1].problems)")
            #expect(list[1].problems.contains { $0.hasPrefix("loi.csv:3:1: cột \"unit\": không có đơn vị \"99999\"") }, "\(list[1].problems)")
        }
    }

    @Test("an automated criterion that falls by more than the feed's alert_drop tells the unit and the administrators; a small fall does not")
    func dropAlert() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            // A small correction (one month of eleven down by 1 point): no message.
            let small = "unit,period,cong_khai\n24133,2026-05,\(String(format: "%.2f", try Self.demoMonths("24133", "cong_khai")[4] - 1))\n"
            #expect(try await admin.send(.POST, "/api/v1/feeds/dvc-766/data?name=nho.csv", body: small, contentType: HTTPMediaType(type: "text", subType: "csv")).status == .created)
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$kind ~~ "feed_drop").count() == 0)
            let before = try #require(try await Self.answer(app, unit: "24133", criterion: "6.6"))
            // Every month of "công khai" at 0: the mean falls from about 15 to 0, beyond the feed's 3.
            let csv = "unit,period,cong_khai\n" + (1...11).map { "24133,2026-\($0 < 10 ? "0" : "")\($0),0" }.joined(separator: "\n") + "\n"
            let sent = try await admin.send(.POST, "/api/v1/feeds/dvc-766/data?name=giam.csv", body: csv, contentType: HTTPMediaType(type: "text", subType: "csv"))
            #expect(sent.status == .created, "\(sent.body)")
            let messages = try await OutboxMessage.query(on: app.db).filter(\.$kind == "feed_drop:dvc-766:3:24133").all()
            #expect(Set(messages.map(\.recipient)).isSuperset(of: ["daumoi.xa", "lanhdao.xa", "quantri"]), "\(messages.map(\.recipient))")
            let message = try #require(messages.first)
            #expect(message.subject == "Phường Buôn Ma Thuột: tiêu chí lấy tự động giảm quá 3", "\(message.subject)")
            #expect(message.body.contains("- Tiêu chí 6.6 ") && message.body.contains("từ \(before.value) xuống 0 (số liệu đến tháng 11/2026)"), "\(message.body)")
            #expect(message.link.hasSuffix("/units/24133"))
            // The unit sees it among its notifications.
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.xa")
            #expect(try await focal.send(.GET, "/notifications").body.contains("tiêu chí lấy tự động giảm quá 3"))
        }
    }

    @Test("who may send data and read ingestions: the administrator sends; reviewers read; the others are refused")
    func access() async throws {
        try await withDemoApp { app in
            let anonymous = Browser(app)
            #expect(try await anonymous.send(.GET, "/api/v1/feeds").status == .ok)
            #expect(try await anonymous.send(.GET, "/api/v1/feeds/dvc-766").body.contains("\"so_hoa\""))
            #expect(try await anonymous.send(.GET, "/api/v1/feeds/khong-co").status == .notFound)
            #expect(try await anonymous.send(.GET, "/api/v1/feeds/dvc-766/ingestions").status == .unauthorized)
            #expect(try await anonymous.send(.POST, "/api/v1/feeds/dvc-766/data", body: "unit,period,cong_khai\n24133,2026-10,5\n").status == .unauthorized)
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.xa")
            #expect(try await focal.send(.GET, "/api/v1/feeds/dvc-766/ingestions").status == .forbidden)
            #expect(try await focal.send(.POST, "/api/v1/feeds/dvc-766/data", body: "unit,period,cong_khai\n24133,2026-10,5\n").status == .forbidden)
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            #expect(try await evaluator.send(.GET, "/api/v1/feeds/dvc-766/ingestions").status == .ok)
            #expect(try await evaluator.send(.POST, "/api/v1/feeds/dvc-766/data", body: "unit,period,cong_khai\n24133,2026-10,5\n").status == .forbidden)
        }
    }

    @Test("the page: the administrator sends a file and is shown what became of it; reviewers read; a unit is refused")
    func page() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let page = try await admin.send(.GET, "/feeds")
            #expect(page.status == .ok)
            #expect(page.body.contains("Chỉ số phục vụ người dân, doanh nghiệp") && page.body.contains("Quyết định số 766/QĐ-TTg"))
            #expect(page.body.contains("dvc-766-2026.csv") && page.body.contains("Đã nhận") && page.body.contains(">510<"), "the demo's ingestion with its 510 answers")
            #expect(page.body.contains("action=\"/admin/feeds/dvc-766/data\""))
            // A good file: post, redirect, get, with the outcome at the top.
            let good = try await admin.upload("/admin/feeds/dvc-766/data", fields: [], file: ("file", "thang-10.csv", Data("unit,period,hai_long\n24133,2026-10,1\n".utf8)))
            #expect(good.status == .seeOther, "\(good.body.prefix(300))")
            let location = try #require(good.headers.first(name: .location))
            #expect(location == "/feeds?feed=dvc-766&ingestion=2#ket-qua")
            let shown = try await admin.send(.GET, String(location.prefix { $0 != "#" }))
            #expect(shown.body.contains("Đã nhận tệp thang-10.csv (lần nhận số 2): 1 dòng, 1 giá trị mới hoặc được sửa, 1 câu trả lời của kỳ đang mở được ghi."), "\(shown.body.count)")
            // A bad file: the same, with every problem listed; nothing written.
            let bad = try await admin.upload("/admin/feeds/dvc-766/data", fields: [], file: ("file", "sai.csv", Data("unit,period,hai_long\nXã Không Có,2026-10,1\n".utf8)))
            let refused = try await admin.send(.GET, String((bad.headers.first(name: .location) ?? "").prefix { $0 != "#" }))
            #expect(refused.body.contains("Tệp sai.csv bị từ chối (lần nhận số 3); không số liệu nào được ghi. 1 lỗi:"), "\(refused.body.count)")
            #expect(refused.body.contains("sai.csv:2:1: cột &quot;unit&quot;: không có đơn vị &quot;Xã Không Có&quot;"), "\(refused.body.count)")
            // No file chosen: the page again, 422.
            let empty = try await admin.upload("/admin/feeds/dvc-766/data", fields: [], file: nil)
            #expect(empty.status == .unprocessableEntity && empty.body.contains("Chưa chọn tệp số liệu"))
            // The evaluator reads the page without the form; a unit's accounts are refused.
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let read = try await evaluator.send(.GET, "/feeds")
            #expect(read.status == .ok && !read.body.contains("/admin/feeds/dvc-766/data"))
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.xa")
            #expect(try await focal.send(.GET, "/feeds").status == .forbidden)
            #expect(try await focal.upload("/admin/feeds/dvc-766/data", fields: [], file: ("file", "x.csv", Data("unit,period,hai_long\n24133,2026-10,1\n".utf8))).status == .forbidden)
        }
    }

    @Test("a framework naming a feed or a field the server does not know is refused, named, through the API, the pasted form and the file")
    func unknownFeed() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let file = try String(contentsOfFile: TestPaths.frameworks + "/demo-2026-commune.yaml", encoding: .utf8)
                .replacingOccurrences(of: "\nversion: 1\n", with: "\nversion: 7\n")
            let unknownFeed = file.replacingOccurrences(of: "{key: dvc-766, field: so_hoa,", with: "{key: dvc-999, field: so_hoa,")
            let unknownField = file.replacingOccurrences(of: "{key: dvc-766, field: so_hoa,", with: "{key: dvc-766, field: so_hoa_ho_so,")
            #expect(unknownFeed != file && unknownField != file)
            let api = try await admin.send(.POST, "/api/v1/frameworks", body: unknownFeed)
            #expect(api.status == .unprocessableEntity && api.body.contains("tiêu chí 6.8: không có nguồn dữ liệu \\\"dvc-999\\\" (đang có: dvc-766)"), "\(api.body.prefix(600))")
            let pasted = try await admin.send(.POST, "/admin/frameworks", form: ["yaml": unknownField])
            #expect(pasted.status == .unprocessableEntity && pasted.body.contains("nguồn &quot;dvc-766&quot; không có trường &quot;so_hoa_ho_so&quot;"), "\(pasted.body.prefix(600))")
            let uploaded = try await admin.upload("/admin/frameworks/file", file: (field: "file", name: "bo-chi-so.yaml", data: Data(unknownFeed.utf8)))
            #expect(uploaded.status == .unprocessableEntity && uploaded.body.contains("Tệp bo-chi-so.yaml chưa nhập được; không có gì được lưu"), "\(uploaded.body.prefix(600))")
            #expect(uploaded.body.contains("không có nguồn dữ liệu &quot;dvc-999&quot;"))
            #expect(try await FrameworkVersion.query(on: app.db).filter(\.$key == "demo-2026-commune").filter(\.$version == 7).count() == 0)
            // The same file with the feed it knows is taken.
            let good = try await admin.send(.POST, "/api/v1/frameworks", body: file)
            #expect(good.status == .created, "\(good.body.prefix(600))")
        }
    }

    @Test("an evaluator or the council overrides an automated criterion only with a reason, kept in the audit log; each row names its source")
    func overrideAndSource() async throws {
        try await withDemoApp { app in
            let period = try #require(try await Period.query(on: app.db).filter(\.$year == 2026).first()?.id)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            struct Redate: Encodable { var phases: [PeriodInput.PhaseInput]; var reason: String }
            let open = try await admin.send(.PATCH, "/api/v1/periods/\(period)", json: Redate(
                phases: Phase.allCases.map { .init(phase: $0.rawValue, startsOn: "2020-01-01", endsOn: "2099-12-31") }, reason: "Thẩm định sớm để thử"))
            #expect(open.status == .ok, "\(open.body.prefix(500))")
            let unit = try #require(try await UnitModel.query(on: app.db).filter(\.$code == "24133").first())
            try await Submission.query(on: app.db).filter(\.$period.$id == period).filter(\.$unit.$id == unit.id!)
                .set(\.$status, to: Submission.Status.submitted.rawValue).update()
            let stored = try #require(try await Self.answer(app, unit: "24133", criterion: "6.8"))
            let automatic = try #require(stored.points) / 1_000_000
            let other = automatic == 20 ? 15 : automatic + 5
            let row = try #require(try await Answer.query(on: app.db).filter(\.$criterion == "6.8")
                .join(Submission.self, on: \Answer.$submission.$id == \Submission.$id).filter(Submission.self, \.$unit.$id == unit.id!).first())
            struct Review: Encodable { var points: String; var note: String?; var version: Int }
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let path = "/api/v1/periods/\(period)/units/24133/evaluation/6.8"
            // Another figure without a reason: refused, nothing written.
            let bare = try await evaluator.send(.PUT, path, json: Review(points: "\(other)", note: nil, version: row.version))
            #expect(bare.status == .unprocessableEntity && bare.body.contains("lấy tự động từ nguồn dữ liệu dvc-766: ghi lý do khi chấm khác điểm tự động (\(automatic))"), "\(bare.body)")
            // Confirming the feed's points needs no reason and is no override.
            let kept = try await evaluator.send(.PUT, path, json: Review(points: "\(automatic)", note: nil, version: row.version))
            #expect(kept.status == .ok, "\(kept.body)")
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "feed.override").count() == 0)
            // With a reason: taken, and the audit log says who, from what to what and why.
            let overridden = try await evaluator.send(.PUT, path, json: Review(points: "\(other)", note: "Cổng DVC tính trùng hồ sơ tháng 10", version: row.version + 1))
            #expect(overridden.status == .ok && overridden.body.contains("\"finalPoints\":\"\(other),00\""), "\(overridden.body)")
            let audit = try #require(try await AuditEntry.query(on: app.db).filter(\.$action == "feed.override").first())
            #expect(audit.actorName == "thamdinh" && audit.target == "2026/24133/6.8")
            #expect(audit.detail == "Thẩm định: điểm tự động \(automatic) thành \(other); lý do: Cổng DVC tính trùng hồ sơ tháng 10", "\(audit.detail)")
            // The council too needs its reason (as always) and is audited when it departs from the feed.
            let council = Browser(app)
            _ = try await council.signIn("hoidong")
            let appraised = try await council.send(.PUT, "/api/v1/periods/\(period)/units/24133/council/6.8",
                                                   json: Review(points: "\(automatic)", note: "Giữ số liệu của Cổng", version: row.version + 2))
            #expect(appraised.status == .ok, "\(appraised.body)")
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "feed.override").count() == 1, "the council kept the feed's points")

            // Each automated row of the form names its source; reviewers get the ingestion's link.
            struct Form: Decodable {
                struct Source: Decodable, Equatable { var feed: String; var field: String; var month: String; var ingestion: Int; var receivedAt: String }
                struct Row: Decodable { var code: String; var source: Source? }
                var rows: [Row]
            }
            let form = try await evaluator.send(.GET, "/api/v1/periods/\(period)/units/24133/self-assessment")
            let rows = try form.json(Form.self).rows
            let source = try #require(rows.first { $0.code == "6.8" }?.source)
            #expect(source.feed == "dvc-766" && source.field == "so_hoa" && source.month == "2026-11" && source.ingestion == 1, "\(source)")
            #expect(rows.first { $0.code == "1.1" }?.source == nil, "a typed criterion has no source")
            let page = try await evaluator.send(.GET, "/periods/\(period)/units/24133")
            #expect(page.body.contains("<a href=\"/feeds?feed=dvc-766&amp;ingestion=1#ket-qua\">xem lần nhận số 1</a>"), "\(page.body.count)")
            #expect(page.body.contains("Lý do nếu khác điểm tự động"))
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.xa")
            #expect(try await focal.send(.GET, "/api/v1/periods/\(period)/units/24133/self-assessment").json(Form.self).rows.first { $0.code == "6.8" }?.source?.ingestion == 1)
            #expect(!(try await focal.send(.GET, "/periods/\(period)/units/24133").body.contains("xem lần nhận số")), "the unit cannot open the feeds' pages")
            // A correction received later names the new ingestion.
            let corrected = try await admin.upload("/admin/feeds/dvc-766/data", fields: [], file: ("file", "sua.csv", Data("unit,period,so_hoa\n24133,2026-11,21\n".utf8)))
            #expect(corrected.status == .seeOther)
            let after = try await evaluator.send(.GET, "/api/v1/periods/\(period)/units/24133/self-assessment").json(Form.self).rows.first { $0.code == "6.8" }?.source
            #expect(after?.ingestion == 2 && after?.month == "2026-11", "\(String(describing: after))")
        }
    }

    @Test("an ingestion a stopped process left applying is finished at the next start: its answers written from the values it took")
    func resume() async throws {
        try await withDemoApp { app in
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let sent = try await admin.send(.POST, "/api/v1/feeds/dvc-766/data?name=thang-10.csv", body: "unit,period,hai_long\n24133,2026-10,1\n")
            #expect(sent.status == .created, "\(sent.body)")
            let written = try #require(try await Self.answer(app, unit: "24133", criterion: "6.10"))
            #expect(written.explanation.contains("lần nhận số 2"), "\(written.explanation)")
            // As if the process had stopped after taking the values and before writing the answers.
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE feed_ingestions SET status = 'applying' WHERE feed_key = 'dvc-766' AND number = 2").run()
            try await sql.raw("DELETE FROM answers WHERE criterion = '6.10' AND explanation LIKE '%lần nhận số 2)'").run()
            #expect(try await Self.answer(app, unit: "24133", criterion: "6.10") == nil)
            let page = try await admin.send(.GET, "/feeds")
            #expect(page.body.contains("Đang ghi vào các phiếu"))
            await FeedIngestion.resume(app, logger: app.logger)
            let again = try #require(try await Self.answer(app, unit: "24133", criterion: "6.10"))
            #expect(again.value == written.value && again.points == written.points && again.explanation == written.explanation)
            let list = try await admin.send(.GET, "/api/v1/feeds/dvc-766/ingestions").json([Ingestion].self)
            #expect(list.first?.number == 2 && list.first?.status == "accepted" && list.first?.answersChanged == 1, "\(String(describing: list.first))")
        }
    }
}
