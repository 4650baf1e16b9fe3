import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// The pages that tell each role what to do next: the home page per role,
/// notifications that lead to their row, and the live ranking as a page.
@Suite("Việc cần làm, notifications and the live ranking page", .serialized)
struct WorkPagesTests {
    @Test("the home page per role: the focal point's form and deadline, the leader's approval, the evaluator's units by status with a filter; notifications link to the row and are counted until read")
    func homePerRole() async throws {
        try await withDemoApp { app in
            let period = try await periodWithAllPhasesOpen(app, year: 2026, title: "Kỳ thử việc cần làm", frameworks: ["department": "daklak-2023-department@1"])
            let path = "/periods/\(period)/units/SNNPTNT"
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            let home = try await focal.send(.GET, "/")
            #expect(home.body.contains("<h1>Việc cần làm</h1>"))
            #expect(home.body.contains("Kỳ thử việc cần làm") && home.body.contains("href=\"\(path)\">Mở bản tự đánh giá"))
            #expect(home.body.contains("<strong>0</strong> / 7 tiêu chí đã có số liệu"))
            #expect(home.body.contains("Hạn tự đánh giá:"))
            let codes = ["1", "2", "3", "4", "5", "6.DVC", "6.KHAC"]
            let saved = try await focal.saveSheet(path, codes.map { ($0, [("value", $0 == "6.KHAC" ? "300" : "80"), ("explanation", "Báo cáo số 5/BC")]) })
            #expect(saved.page.body.contains("Đã lưu 7 tiêu chí"))
            #expect(try await focal.send(.POST, path + "/submit", form: [:]).body.contains("Đã gửi lãnh đạo đơn vị duyệt"))

            // The leader: the form waits for them, with the total; the header counts the notification until it is read.
            let leader = Browser(app)
            _ = try await leader.signIn("lanhdao.snn")
            let leaderHome = try await leader.send(.GET, "/")
            #expect(leaderHome.body.contains("Chờ bạn duyệt") && leaderHome.body.contains("href=\"\(path)\">Xem và duyệt"))
            #expect(leaderHome.body.contains("class=\"badge\" aria-label=\"1 chưa đọc\""))
            let notifications = try await leader.send(.GET, "/notifications")
            #expect(notifications.body.contains("<a href=\"\(path)\">Bản tự đánh giá chờ duyệt"))
            #expect(!(try await leader.send(.GET, "/")).body.contains("class=\"badge\""), "read once shown")
            struct Item: Decodable { var link: String; var read: Bool }
            let items = try await leader.send(.GET, "/api/v1/notifications").json([Item].self)
            #expect(items.first?.link == path && items.first?.read == true)
            let form = try await leader.send(.GET, path)
            let decision = try #require(form.body.range(of: "Lãnh đạo đơn vị duyệt")), table = try #require(form.body.range(of: "<table class=\"tree assessment\""))
            #expect(decision.lowerBound < table.lowerBound, "approve and return above the criteria")
            #expect(form.body.contains("changes?since=submission\">Xem những gì thay đổi"))

            // The evaluator: units of the period by status, a filter, the live ranking linked.
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let board = try await evaluator.send(.GET, "/")
            #expect(board.body.contains("Chờ lãnh đạo duyệt: 1"))
            #expect(board.body.contains("href=\"/periods/\(period)/ranking\""))
            let filtered = try await evaluator.send(.GET, "/?status=awaiting_approval")
            #expect(filtered.body.contains(">Sở Nông nghiệp và Phát triển nông thôn</a>"))
            #expect(!filtered.body.contains(">Sở Tài chính</a>"), "\(filtered.body.suffix(3000))")
            // A viewer has nothing to do, and is told so.
            let viewer = Browser(app)
            _ = try await viewer.signIn("xem")
            #expect(try await viewer.send(.GET, "/").body.contains("Hiện không có kỳ đánh giá nào đang diễn ra."))
        }
    }

    @Test("the live ranking page: each unit's index, rank and band from the current official scores, and what changed since the reviewer last looked")
    func liveRankingPage() async throws {
        try await withDemoApp { app in
            let evaluator = Browser(app)
            _ = try await evaluator.signIn("thamdinh")
            let periods = try await Period.query(on: app.db).filter(\.$resultsOnly == false).all()
            let period = try #require(periods.first { $0.year == 2025 }).id!
            let first = try await evaluator.send(.GET, "/periods/\(period)/ranking")
            #expect(first.status == .ok)
            #expect(first.body.contains("<h1>Xếp hạng tạm thời</h1>"))
            // The demo's answers reproduce the published 2023 table: Sở Nông nghiệp first among the departments.
            #expect(first.body.contains("href=\"/periods/\(period)/units/SNNPTNT\">Sở Nông nghiệp và Phát triển nông thôn</a></td><td class=\"num\">1</td>"))
            #expect(first.body.contains("<figure class=\"chart\"><svg"))
            #expect(!first.body.contains("không đổi"), "nothing to compare on the first look")
            let again = try await evaluator.send(.GET, "/periods/\(period)/ranking")
            #expect(again.body.contains("không đổi") && again.body.contains("so với lần bạn xem trang này trước"))
            let focal = Browser(app)
            _ = try await focal.signIn("daumoi.snn")
            #expect(try await focal.send(.GET, "/periods/\(period)/ranking").status == .forbidden)
        }
    }
}
