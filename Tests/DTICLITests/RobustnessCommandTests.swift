import Foundation
import Testing

/// `dti robustness`: the JSON field by field, the same seed the same bytes, a
/// table and a record alike, and bad input refused with its place.
@Suite("dti robustness")
struct RobustnessCommandTests {
    func json(_ text: String) throws -> [[String: Any]] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return try #require(root["groups"] as? [[String: Any]])
    }

    @Test("Đắk Lắk 2021 by district: every unit with its nominal rank as published and its intervals; flips and importance; the same seed twice gives the same bytes")
    func districts() throws {
        let file = CLI.fixture("seeds/daklak-2021-district.tsv")
        let first = try CLI.run(["robustness", file, "--format", "json", "--draws", "300", "--seed", "5"])
        #expect(first.status == 0, "\(first.stderr)")
        let groups = try json(first.stdout)
        #expect(groups.count == 1 && groups[0]["group"] as? String == "UBND cấp huyện")
        let units = try #require(groups[0]["units"] as? [[String: Any]])
        #expect(units.count == 15)
        #expect(Set(units[0].keys) == ["unit", "rank", "oat_min", "oat_max", "median", "p05", "p95"])
        // The nominal ranks are the published ones (the file's rank column).
        let published = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: "\t") }
        for (unit, row) in zip(units, published) {
            #expect(unit["unit"] as? String == String(row[1]))
            #expect(unit["rank"] as? Int == Int(row[6]), "\(row[1])")
            let rank = unit["rank"] as! Int, values = ["oat_min", "oat_max", "median", "p05", "p95"].map { unit[$0] as! Int }
            #expect(values[0] <= rank && rank <= values[1] && values[3] <= values[2] && values[2] <= values[4], "\(unit)")
            #expect(values.allSatisfy { (1...15).contains($0) })
        }
        let krongPac = units[0]
        #expect(krongPac["unit"] as? String == "UBND huyện Krông Pắc" && krongPac["p95"] as? Int == 1, "first by 19 points: first in every case")
        let importance = try #require(groups[0]["importance"] as? [[String: Any]])
        #expect(importance.map { $0["column"] as? String } == ["Chính quyền số", "Kinh tế số", "Xã hội số"])
        let nominal = importance.compactMap { $0["nominal"] as? Double }, effective = importance.compactMap { $0["effective"] as? Double }
        #expect(nominal.count == 3 && nominal.allSatisfy { abs($0 - 1.0 / 3) < 1e-9 })
        #expect(abs(effective.reduce(0, +) - 1) < 1e-9)
        let flips = try #require(groups[0]["flips"] as? [[String: Any]])
        for flip in flips {
            #expect(Set(flip.keys) == ["first", "second", "share"])
            #expect((flip["share"] as! Double) > 0.1)
        }
        let again = try CLI.run(["robustness", file, "--format", "json", "--draws", "300", "--seed", "5"])
        #expect(again.stdout == first.stdout, "the same seed, the same output")
        // The plain table says the same in Vietnamese.
        let table = try CLI.run(["robustness", file, "--draws", "300", "--seed", "5"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("Nhóm UBND cấp huyện: 15 đơn vị; trọng số ±20 %, 300 lần rút"))
        #expect(table.stdout.contains("1     UBND huyện Krông Pắc"))
        #expect(table.stdout.contains("Tầm quan trọng của từng cột"))
    }

    @Test("a published record: its levels with pillar columns are analysed; a record without any is refused")
    func record() throws {
        let with = try CLI.run(["robustness", CLI.fixture("records/record-2021.json"), "--format", "json", "--draws", "100"])
        #expect(with.status == 0, "\(with.stderr)")
        let groups = try json(with.stdout)
        #expect(groups.map { $0["group"] as? String } == ["UBND cấp huyện"], "the department level has no pillar columns")
        let without = try CLI.run(["robustness", CLI.fixture("records/record-2023.json")])
        #expect(without.status == 2)
        #expect(without.stderr.contains("record-2023.json: bảng không có cột điểm thành phần"))
    }

    @Test("bad input: a reporting unit without a pillar value (file:line:column), a spread of 1, a format the command does not write; nothing written")
    func badInput() throws {
        let path = try CLI.temporaryFile("group,unit,A,B,points\ng,X,1,2,3\ng,Y,,2,2\ng,Z,-,-,-\n", name: "pillars.csv")
        let out = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("robust.json").path
        let missing = try CLI.run(["robustness", path, "--format", "json", "-o", out])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("\(path):3:5: đơn vị \"Y\" có báo cáo nhưng thiếu điểm cột \"A\""), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let good = try CLI.temporaryFile("group,unit,A,B,points\ng,X,1,2,3\ng,Y,1,1,2\ng,Z,-,-,-\n", name: "pillars-ok.csv")
        let spread = try CLI.run(["robustness", good, "--spread", "1"])
        #expect(spread.status == 2 && spread.stderr.contains("--spread: --spread phải lớn hơn 0 và nhỏ hơn 1"), "\(spread.stderr)")
        let csv = try CLI.run(["robustness", good, "--format", "csv"])
        #expect(csv.status != 0 && csv.stderr.contains("--format phải là table hoặc json"))
        let fine = try CLI.run(["robustness", good, "--format", "json", "--draws", "20"])
        let units = try #require(try json(fine.stdout).first?["units"] as? [[String: Any]])
        #expect(units.map { $0["rank"] as? Int } == [1, 2, 3], "Z did not report: after X and Y")
        #expect(units.last.map { [$0["p05"], $0["p95"]].compactMap { $0 as? Int } } == [3, 3])
    }
}
