import Foundation
import Testing

@Suite("dti score: criterion-level scoring")
struct ScoreCommandTests {
    let framework = CLI.framework("example-all-rules.yaml")
    let units = CLI.fixture("score/units.csv")
    let responses = CLI.fixture("score/responses.csv")

    @Test("scores every rule type, removes what does not apply, ranks and classifies")
    func example() throws {
        let output = try CLI.run(["score", framework, units, responses, "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        let json = output.json
        let expected: [(String, Double?, Double, String, Int, String?)] = [
            // unit, points, applicable max, display, rank, band — computed by hand in the fixture's README
            ("Huyện Ea Mẫu", 104.833333, 120, "87,36", 1, "Khá"),
            ("Huyện Đăk Mẫu", 88.333333, 105, "84,13", 2, "Khá"),
            ("Thị xã Mẫu", 39.5, 105, "37,62", 3, "Yếu"),
            ("Huyện Chưa Báo Cáo", nil, 120, "-", 4, nil),
        ]
        #expect(json.units.count == 4)
        for (unit, row) in zip(json.units, expected) {
            #expect(unit["unit"] as? String == row.0)
            #expect(unit["points"] as? Double == row.1, "\(row.0)")
            #expect(unit["max_points"] as? Double == row.2, "\(row.0)")
            #expect(unit["display"] as? String == row.3, "\(row.0)")
            #expect(unit["rank"] as? Int == row.4, "\(row.0)")
            #expect(unit["band"] as? String == row.5, "\(row.0)")
        }
        let first = try #require(json.units.first)
        let tree = first["tree"] as? [[String: Any]] ?? []
        func node(_ code: String) -> [String: Any]? { tree.first { $0["code"] as? String == code } }
        #expect(node("1.3")?["points"] as? Double == 13.333333)
        #expect(node("3.1")?["points"] as? Double == 5)
        #expect(node("3.4")?["applicable_max"] as? Double == 0)
        #expect(node("3")?["points"] as? Double == 26.5)
        let group = try #require(json.groups.first)
        #expect(group["reported"] as? Int == 3)
        #expect(group["average"] as? Double == 69.70)
        let distribution = group["distribution"] as? [[String: Any]] ?? []
        #expect(distribution.count == 3)
    }

    @Test("the table form shows each unit's tree and the ranking")
    func table() throws {
        let output = try CLI.run(["score", framework, units, responses])
        #expect(output.status == 0)
        #expect(output.stdout.contains("== Huyện Ea Mẫu — UBND cấp huyện =="))
        #expect(output.stdout.contains("không áp dụng"))
        #expect(output.stdout.contains("Số đơn vị báo cáo: 3/4."))
        #expect(output.stdout.contains("+ đạt điểm tối đa (1 đơn vị): Huyện Ea Mẫu"))
    }

    @Test("bad answers are each named with file:line:column; nothing is printed")
    func badAnswers() throws {
        let bad = try CLI.temporaryFile("""
        unit,criterion,value,b
        Huyện Ea Mẫu,1.1,bốn,
        Huyện Ea Mẫu,1.2,5,4
        Huyện Ea Mẫu,2.1,chu-tich,
        Huyện Ea Mẫu,3.3,12,
        Huyện Ea Mẫu,9.9,1,
        Huyện Không Có,1.1,1,
        Huyện Ea Mẫu,1.3,2,
        Huyện Ea Mẫu,2.3,có lẽ,
        Huyện Ea Mẫu,1,4,

        """, name: "responses.csv")
        let output = try CLI.run(["score", framework, units, bad])
        #expect(output.status == 2)
        #expect(output.stdout.isEmpty)
        let e = output.stderr
        #expect(e.contains("\(bad):2:18: tiêu chí 1.1: số đếm: \"bốn\" không phải là số"))
        #expect(e.contains("\(bad):6:14: cột \"criterion\": không có tiêu chí \"9.9\" trong bộ chỉ số"))
        #expect(e.contains("\(bad):7:1: cột \"unit\": đơn vị \"Huyện Không Có\" không có trong tệp danh sách đơn vị"))
        #expect(e.contains("\(bad):8:20: tiêu chí 1.3: tiêu chí tính theo tỷ lệ cần cột \"b\""))
        #expect(e.contains("\(bad):9:18: tiêu chí 2.3: \"có lẽ\" không phải có/không"))
        #expect(e.contains("\(bad):10:14: cột \"criterion\": không có tiêu chí \"1\" trong bộ chỉ số (đây là nút tổng hợp"))
    }

    @Test("rule violations and failed consistency checks block scoring; warnings do not")
    func validation() throws {
        let bad = try CLI.temporaryFile("""
        unit,criterion,value,b
        Huyện Ea Mẫu,1.1,4,
        Huyện Ea Mẫu,1.2,5,3
        Huyện Ea Mẫu,2.1,chu-tich,
        Huyện Ea Mẫu,3.3,12,
        Huyện Ea Mẫu,3.1,500,

        """, name: "responses.csv")
        let output = try CLI.run(["score", framework, units, bad])
        #expect(output.status == 2)
        let e = output.stderr
        #expect(e.contains("\(bad):3:18: đơn vị \"Huyện Ea Mẫu\", tiêu chí 1.2: a = 5 lớn hơn b = 3; cần a ≤ b"))
        #expect(e.contains("\(bad):3:18: đơn vị \"Huyện Ea Mẫu\", tiêu chí 1.2: Tổng số cuộc họp CĐS (1.2, b) không thể ít hơn số cuộc họp của Ban chỉ đạo (1.1) (1.2.b = 3, 1.1 = 4)"))
        #expect(e.contains("tiêu chí 2.1: lựa chọn \"chu-tich\" không có trong bộ chỉ số; chọn một trong: \"Trưởng ban là Bí thư/Chủ tịch\" (truong); "))
        #expect(e.contains("tiêu chí 3.3: điểm 12 vượt điểm tối đa 10"))
        #expect(e.contains("tiêu chí 3.1: giá trị 500 ngoài khoảng cho phép 0…100"))

        let warning = try CLI.temporaryFile("unit,criterion,value,b\nHuyện Ea Mẫu,1.1,2,\nHuyện Ea Mẫu,1.2,3,4\n", name: "responses.csv")
        let warned = try CLI.run(["score", framework, units, warning, "--format", "csv"])
        #expect(warned.status == 0)
        #expect(warned.stderr.contains("cảnh báo: \(warning):3:18: đơn vị \"Huyện Ea Mẫu\", tiêu chí 1.2: Số cuộc họp do Bí thư/Chủ tịch chủ trì"))
    }

    @Test("the national 922 framework ranks by the weighted method")
    func national() throws {
        let units = try CLI.temporaryFile("unit,group\nĐà Nẵng,Tỉnh\nTỉnh B,Tỉnh\n", name: "units.csv")
        var rows = ["unit,criterion,value"]
        for (code, points) in [("1", "80,02"), ("2", "80,02"), ("3", "80,02"), ("4", "80,02"), ("5", "80,02"), ("6", "0"), ("7", "160,04"), ("8", "120,03"), ("9", "120,03")] {
            rows.append("Đà Nẵng,\(code),\"\(points)\"")
        }
        for (code, points) in [("1", "100"), ("2", "100"), ("3", "100"), ("4", "100"), ("5", "100"), ("7", "100"), ("8", "150"), ("9", "150")] {
            rows.append("Tỉnh B,\(code),\(points)")
        }
        let responses = try CLI.temporaryFile(rows.joined(separator: "\n") + "\n", name: "responses.csv")
        let output = try CLI.run(["score", CLI.framework("national-922-province-2022.yaml"), units, responses, "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.json.units.map { $0["display"] as? String } == ["0.9000", "0.8002"])
        #expect(output.json.units.map { $0["unit"] as? String } == ["Tỉnh B", "Đà Nẵng"])
    }
}
