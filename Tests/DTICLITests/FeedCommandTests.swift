import Foundation
import Testing

/// Issue 33: feeds as files, `dti check-feed`, and criteria filled from feed data in `dti score`.
@Suite("dti check-feed and dti score --feed-data")
struct FeedCommandTests {
    let feed = CLI.packageRoot.appendingPathComponent("feeds/dvc-766.yaml").path
    let framework = CLI.framework("demo-2026-commune.yaml")
    let units = CLI.fixture("feeds/communes.csv")
    let responses = CLI.fixture("feeds/responses.csv")
    let data = CLI.fixture("feeds/dvc-766-small.csv")

    @Test("the shipped feed and the demo's data check clean, with what they hold")
    func checkShipped() throws {
        let demo = CLI.packageRoot.appendingPathComponent("Sources/DTIServer/Resources/Demo/feeds/dvc-766-2026.csv").path
        let output = try CLI.run(["check-feed", feed, demo])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("5 trường, số liệu hằng tháng"))
        #expect(output.stdout.contains("so_hoa: Số hóa hồ sơ (number, điểm, từ 0 đến 22)"))
        #expect(output.stdout.contains("1.122 dòng, 102 đơn vị, tháng 01/2026–11/2026, 5.610 giá trị"), "\(output.stdout)")
    }

    @Test("a data file with problems is refused whole, each problem at its line and column")
    func checkBadData() throws {
        let csv = try CLI.temporaryFile("unit,period,cong_khai,so_hoa\n24133,2026-13,12,\n24133,2026-02,abc,30\n,2026-03,1,1\n24133,2026-02,1,1\n", name: "bad.csv")
        let output = try CLI.run(["check-feed", feed, csv])
        #expect(output.status == 2)
        #expect(output.stderr.contains("bad.csv:2:7: cột \"period\": \"2026-13\" không phải tháng dạng YYYY-MM"), "\(output.stderr)")
        #expect(output.stderr.contains("bad.csv:3:15: cột \"cong_khai\""), "\(output.stderr)")
        #expect(output.stderr.contains("bad.csv:3:19: cột \"so_hoa\": giá trị 30 lớn hơn mức cao nhất 22"), "\(output.stderr)")
        #expect(output.stderr.contains("bad.csv:4:1: cột \"unit\": thiếu đơn vị"), "\(output.stderr)")
        #expect(output.stderr.contains("bad.csv:5:1: đơn vị \"24133\", tháng 02/2026 đã có ở"), "\(output.stderr)")
        #expect(output.stdout.isEmpty)
        let header = try CLI.temporaryFile("unit,thang,cong_khai\n24133,2026-01,1\n", name: "header.csv")
        let refused = try CLI.run(["check-feed", feed, header])
        #expect(refused.status == 2 && refused.stderr.contains("header.csv:1:6: cột \"thang\" không phải trường của nguồn dvc-766"), "\(refused.stderr)")
        let json = try CLI.temporaryFile("[{\"unit\": \"24133\", \"period\": \"2026-01\", \"hai_long\": 19}", name: "broken.json")
        let malformed = try CLI.run(["check-feed", feed, json])
        #expect(malformed.status == 2 && malformed.stderr.contains("broken.json:1:"), "\(malformed.stderr)")
    }

    @Test("a feed file with a typo is refused at its line and column")
    func checkBadFeed() throws {
        let text = try String(contentsOfFile: feed, encoding: .utf8)
            .replacingOccurrences(of: "granularity: month", with: "granularity: monthly")
            .replacingOccurrences(of: "type: upload", with: "type: pull\n  url: http://example.org/feed.json\n  format: json")
        let path = try CLI.temporaryFile(text, name: "feed.yaml")
        let output = try CLI.run(["check-feed", path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("trường \"granularity\": \"monthly\" không hợp lệ; dùng month, quarter hoặc year"), "\(output.stderr)")
        #expect(output.stderr.contains("trường \"source.url\": cần địa chỉ https://"), "\(output.stderr)")
    }

    @Test("dti score fills the bound criteria from the feed: the year's mean, or as of a month")
    func score() throws {
        func points(_ arguments: [String]) throws -> [String: [String: Double]] {
            let output = try CLI.run(["score", framework, units, responses, "--format", "json"] + arguments)
            #expect(output.status == 0, "\(output.stderr)")
            var out: [String: [String: Double]] = [:]
            for unit in output.json.units {
                let tree = unit["tree"] as? [[String: Any]] ?? []
                for node in tree { if let code = node["code"] as? String, let p = node["points"] as? Double { out[unit["unit"] as! String, default: [:]][code] = p } }
            }
            return out
        }
        let all = try points(["--feed-data", data])
        // Means of January and February: 16,8 → 20; 13,5 → 10; 16 → 15; 11 (February only) → 10; 9 → 10.
        let bmt = try #require(all["Phường Buôn Ma Thuột"])
        #expect(["6.6", "6.7", "6.8", "6.9", "6.10"].map { bmt[$0] } == [20, 10, 15, 10, 10], "\(bmt)")
        #expect(bmt["6"] == 65 && bmt["1.1"] == 20)
        #expect(all["Xã Mẫu Một"]?["6.6"] == 0)
        #expect(all["Xã Chưa Có Số Liệu"]?["6.6"] == nil)
        // As of January: 16,5 → 20; 12 → 10; 22 → 20; no value; 9 → 10.
        let january = try #require(try points(["--feed-data", "dvc-766=\(data)", "--as-of", "2026-01"])["Phường Buôn Ma Thuột"])
        #expect(january["6"] == 60, "\(january)")
    }

    @Test("a bound criterion typed in the responses, or a feed row naming no unit, is refused")
    func scoreRefusals() throws {
        let typed = try CLI.temporaryFile("unit,criterion,value\nPhường Buôn Ma Thuột,6.6,18\n", name: "typed.csv")
        let output = try CLI.run(["score", framework, units, typed, "--feed-data", data])
        #expect(output.status == 2)
        #expect(output.stderr.contains("typed.csv:2:"), "\(output.stderr)")
        #expect(output.stderr.contains("tiêu chí 6.6: tiêu chí này lấy tự động từ nguồn dvc-766, không nhập trong tệp số liệu"), "\(output.stderr)")
        let stranger = try CLI.temporaryFile("unit,period,cong_khai\n11111,2026-01,10\n", name: "stranger.csv")
        let unknown = try CLI.run(["score", framework, units, responses, "--feed-data", stranger])
        #expect(unknown.status == 2 && unknown.stderr.contains("stranger.csv:2:1: đơn vị \"11111\" của nguồn dvc-766 không có trong tệp danh sách đơn vị"), "\(unknown.stderr)")
    }
}
