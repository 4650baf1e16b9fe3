import Foundation
import Testing

/// Bad input: a clear Vietnamese message with file:line:column, a non-zero
/// exit, and nothing written.
@Suite("Bad input is refused with its place named")
struct BadInputTests {
    func refused(_ csv: String, _ extra: [String] = [], name: String = "bad.csv") throws -> (CLI.Output, String) {
        let path = try CLI.temporaryFile(csv, name: name)
        let outputFile = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("out.json").path
        let output = try CLI.run(["rank", path, "--format", "json", "-o", outputFile] + extra)
        #expect(output.status == 2)
        #expect(output.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: outputFile), "nothing half-written")
        #expect(output.stderr.contains("không có kết quả nào được ghi"))
        return (output, path)
    }

    @Test("missing required columns")
    func missingColumns() throws {
        let (out, path) = try refused("group,name,score\ng,A,1\n")
        #expect(out.stderr.contains("\(path):1:1: thiếu cột bắt buộc \"unit\""))
        #expect(out.stderr.contains("\(path):1:1: thiếu cột bắt buộc \"points\""))
    }

    @Test("text in a number field, negative, NaN and too many decimals: each named")
    func badNumbers() throws {
        let (out, path) = try refused("group,unit,points\ng,A,abc\ng,B,-5\ng,C,NaN\ng,D,\"1,1234567\"\ng,E,12\n")
        #expect(out.stderr.contains("\(path):2:5: cột \"points\": \"abc\" không phải là số"))
        #expect(out.stderr.contains("\(path):3:5: cột \"points\": \"-5\" là số âm"))
        #expect(out.stderr.contains("\(path):4:5: cột \"points\": \"NaN\" không phải là số"))
        #expect(out.stderr.contains("\(path):5:5: cột \"points\": \"1,1234567\" có 7 chữ số thập phân"))
        #expect(out.stderr.contains("4 lỗi"))
    }

    @Test("a duplicate unit, also when typed without diacritics")
    func duplicate() throws {
        let (out, path) = try refused("group,unit,points\ng,UBND huyện Krông Pắc,1\ng,Other,2\ng,ubnd huyen krong pac,3\n")
        #expect(out.stderr.contains("\(path):4:3: đơn vị \"ubnd huyen krong pac\" trùng với dòng 2 trong nhóm \"g\""))
    }

    @Test("points above the applicable max")
    func aboveMax() throws {
        let (out, path) = try refused("group,unit,max_points,points\ng,A,800,\"801,5\"\ng,B,900,10\n", ["--method", "percent"])
        #expect(out.stderr.contains("\(path):2:9: đơn vị \"A\": điểm 801,5 vượt điểm tối đa 800"))
        let (out2, _) = try refused("group,unit,points\ng,A,1200\n", ["--max", "1000"])
        #expect(out2.stderr.contains("điểm 1200 vượt điểm tối đa 1000"))
    }

    @Test("a row with the wrong number of fields")
    func ragged() throws {
        let (out, path) = try refused("group,unit,points\ng,A\n")
        #expect(out.stderr.contains("\(path):2:1: dòng có 2 cột nhưng tiêu đề có 3"))
    }

    @Test("percent without a max, bad bands")
    func settings() throws {
        let (out, _) = try refused("group,unit,points\ng,A,5\n", ["--method", "percent"])
        #expect(out.stderr.contains("cần điểm tối đa (cột max_points hoặc --max)"))
        let (out2, _) = try refused("group,unit,points\ng,A,5\n", ["--bands", "Tốt90"])
        #expect(out2.stderr.contains("--bands: \"Tốt90\": thiếu ngưỡng"))
    }

    @Test("a file that is not UTF-8 (saved as Windows-1258)")
    func notUTF8() throws {
        let path = try CLI.temporaryFile("", name: "latin.csv")
        try Data([0x67, 0x72, 0x6F, 0x75, 0x70, 0x2C, 0x75, 0x6E, 0x69, 0x74, 0x2C, 0x70, 0x6F, 0x69, 0x6E, 0x74, 0x73, 0x0A, 0x67, 0x2C, 0xD0, 0x61, 0x2C, 0x31, 0x0A]).write(to: URL(fileURLWithPath: path))
        let output = try CLI.run(["rank", path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("\(path):2:1: tệp không phải văn bản UTF-8"))
    }

    @Test("a file that does not exist, and a directory")
    func unreadable() throws {
        let missing = try CLI.run(["rank", "/nonexistent/ket-qua.csv"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/ket-qua.csv: không tìm thấy tệp"))
        let directory = try CLI.run(["rank", FileManager.default.temporaryDirectory.path])
        #expect(directory.status == 2)
        #expect(directory.stderr.contains("không đọc được tệp (là thư mục"))
    }

    @Test("a malformed framework stops dti score with its file, line and field")
    func malformedFramework() throws {
        let framework = try CLI.temporaryFile("schema: opendti.framework/1\nid: x\ntitle: X\nlevel: district\nyear: 2024\nversion: 1\nmethod: raw\ntree:\n  - {index: a, name: A, max: -3, rule: {type: yes_no}}\n", name: "fw.yaml")
        let output = try CLI.run(["score", framework, CLI.fixture("score/units.csv"), CLI.fixture("score/responses.csv")])
        #expect(output.status == 2)
        #expect(output.stderr.contains("\(framework):9:30: trường \"max\": \"-3\" là số âm"))
    }
}

@Suite("dti rank: arguments that used to crash or overwrite")
struct RankArgumentTests {
    @Test("--top beyond 1000 is refused with a message, not a crash")
    func hugeTop() throws {
        let path = try CLI.temporaryFile("group,unit,points\ng,A,1\ng,B,2\n", name: "top.csv")
        let out = try CLI.run(["rank", path, "--top", "9223372036854775807"])
        #expect(out.status != 0 && out.status < 128, "exit \(out.status), not a signal")
        #expect(out.stderr.contains("--top phải từ 1 đến 1000"), "\(out.stderr)")
    }

    @Test("-o refuses a device or a directory and leaves it as it was")
    func outputIsARegularFile() throws {
        let path = try CLI.temporaryFile("group,unit,points\ng,A,1\n", name: "o.csv")
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        for target in ["/dev/null", directory] {
            let out = try CLI.run(["rank", path, "-o", target])
            #expect(out.status == 2, "\(target): exit \(out.status)")
            #expect(out.stderr.contains("không phải tệp thường"), "\(out.stderr)")
        }
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: "/dev/null", isDirectory: &isDirectory) && !isDirectory.boolValue)
        let attributes = try FileManager.default.attributesOfItem(atPath: "/dev/null")
        #expect(attributes[.type] as? FileAttributeType == .typeCharacterSpecial)
    }
}

@Suite("dti verify on records published by the demo")
struct VerifyCommandTests {
    @Test("the shipped records verify; a changed rank, a broken file and a wrong framework are each named, exit 1 or 2")
    func records() throws {
        for year in [2021, 2022, 2023] {
            let out = try CLI.run(["verify", CLI.fixture("records/record-\(year).json")])
            #expect(out.status == 0, "\(year): \(out.stderr)")
            #expect(out.stdout.hasPrefix("khớp: "), "\(out.stdout)")
        }
        let text = try String(contentsOfFile: CLI.fixture("records/record-2021.json"), encoding: .utf8)
        // Ranks 1 and 2 of the department table swapped.
        let swapped = text.replacingOccurrences(of: #""rank": 1,"#, with: #""rank": 99,"#)
        let path = try CLI.temporaryFile(swapped, name: "doi-hang.json")
        let bad = try CLI.run(["verify", path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("hạng 99 trong bản ghi, tính lại được 1"), "\(bad.stderr)")
        let broken = try CLI.run(["verify", try CLI.temporaryFile("{\"schema\": \"opendti.record/1\", \"levels\": [", name: "hong.json")])
        #expect(broken.status == 2 && broken.stderr.contains("không phải JSON hợp lệ"), "\(broken.stderr)")
        let framework = try CLI.run(["verify", CLI.fixture("records/record-2021.json"), CLI.framework("national-922-province-2022.yaml")])
        #expect(framework.status == 1 && framework.stderr.contains("không được bản ghi dùng"), "\(framework.stderr)")
    }
}
