import Foundation
import Testing

@Suite("dti audit finds the known mistakes and nothing else")
struct AuditTests {
    @Test("Krông Bông 2021: 101,01 + 20,08 + 38,92 = 160,01, not 159,99; Xã hội số average 30,42")
    func daklak2021District() throws {
        let output = try CLI.run([
            "audit", CLI.fixture("seeds/daklak-2021-district.tsv"),
            "--stated-average", "UBND cấp huyện=162,33",
            "--stated-average", "UBND cấp huyện:Chính quyền số=101,25",
            "--stated-average", "UBND cấp huyện:Kinh tế số=29,64",
            "--stated-average", "UBND cấp huyện:Xã hội số=30,42",
        ])
        #expect(output.status == 1)
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(output.stdout)")
        #expect(lines[0].hasSuffix("daklak-2021-district.tsv:8:57: UBND huyện Krông Bông: 101,01 + 20,08 + 38,92 = 160,01 nhưng tổng điểm ghi 159,99 (chênh 0,02)"))
        #expect(lines[1].contains("giá trị trung bình cột \"Xã hội số\" của nhóm \"UBND cấp huyện\" ghi 30,42 nhưng dữ liệu cho 31,45 (trung bình 15 đơn vị, đơn vị không báo cáo tính 0) hoặc 33,69 (trung bình 14 đơn vị có báo cáo)"))
        #expect(lines[2] == "2 sai lệch.")
    }

    @Test("Đắk Lắk 2023: the averages 0,826825 and 0,7768 do not follow from the tables")
    func daklak2023Averages() throws {
        let output = try CLI.run([
            "audit", CLI.fixture("seeds/daklak-2023.csv"),
            "--stated-average", "Sở, ban, ngành=0,826825", "--stated-average", "UBND cấp huyện=0,7768", "--format", "json",
        ])
        #expect(output.status == 1)
        let findings = output.json["findings"] as? [[String: Any]] ?? []
        #expect(findings.count == 2)
        #expect(findings.allSatisfy { $0["kind"] as? String == "average" })
        #expect((findings[0]["message"] as? String)?.contains("ghi 0,826825 nhưng dữ liệu cho 0,811106") == true)
        #expect((findings[1]["message"] as? String)?.contains("ghi 0,7768 nhưng dữ liệu cho 0,7666") == true)
    }

    @Test("tables that are right give no finding and exit 0", arguments: [
        ["seeds/daklak-2021-department.tsv", "--stated-average", "Sở, ban, ngành=128,20"],
        ["seeds/daklak-2023.csv"],
        ["seeds/kontum-2022.csv", "--method", "percent", "--bands", "Tốt:90,Khá:70,TB:50,Yếu:0"],
    ])
    func correctTables(_ arguments: [String]) throws {
        let output = try CLI.run(["audit", CLI.fixture(arguments[0])] + arguments.dropFirst())
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        #expect(output.stdout.contains("không phát hiện sai lệch"))
    }

    @Test("a published rank, index or band that does not follow the scores is found")
    func wrongRankIndexBand() throws {
        let path = try CLI.temporaryFile("group;unit;max_points;points;index;band;rank\ng;A;940;769.22;81.83;Khá;2\ng;B;940;735.81;78.82;Khá;1\ng;C;800;341.48;42.69;TB;3\n")
        let output = try CLI.run(["audit", path, "--method", "percent", "--bands", "Tốt:90,Khá:70,TB:50,Yếu:0", "--decimal-point"])
        #expect(output.status == 1)
        #expect(output.stdout.contains("A: xếp hạng công bố 2 nhưng theo điểm là 1"))
        #expect(output.stdout.contains("B: xếp hạng công bố 1 nhưng theo điểm là 2"))
        #expect(output.stdout.contains("B: chỉ số công bố 78.82 nhưng 735.81 / 940 cho 78.28"))
        #expect(output.stdout.contains("C: xếp loại công bố \"TB\" nhưng theo chỉ số 42.69 là \"Yếu\""))
        #expect(output.stdout.contains("4 sai lệch."))
    }

    @Test("a stated average for a group that is not in the table is reported, not ignored")
    func unknownGroup() throws {
        let output = try CLI.run(["audit", CLI.fixture("seeds/daklak-2023.csv"), "--stated-average", "Sở=0,8"])
        #expect(output.status == 1)
        #expect(output.stdout.contains("không có nhóm \"Sở\" trong bảng"))
    }
}
