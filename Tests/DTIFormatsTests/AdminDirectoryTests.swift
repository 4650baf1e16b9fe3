import DTICore
import Foundation
import Testing
@testable import DTIFormats

@Suite("The administrative directory (2025)")
struct AdminDirectoryTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("directory").path

    @Test("34 provinces, 3,321 communes, Đắk Lắk 102; known codes and lineage pairs as in the source")
    func counts() throws {
        let d = try AdminDirectory.load(directory: Self.directory)
        #expect(d.provinces.count == 34)
        #expect(d.communes.count == 3321)
        #expect(d.legacy.count >= 10_000)
        let daklak = try #require(d.province("dak lak"))
        #expect(daklak.code == "66" && daklak.name == "Tỉnh Đắk Lắk")
        #expect(d.province("66") == daklak && d.province("Tỉnh Đắk Lắk") == daklak)
        #expect(d.communes.filter { $0.provinceCode == "66" }.count == 102)
        #expect(d.communes.filter { $0.provinceCode == "01" }.count == 126, "Hà Nội: 126 xã, phường (5279/QĐ-UBND covers them)")
        let bmt = try #require(d.communes.first { $0.code == "24133" })
        #expect(bmt.name == "Phường Buôn Ma Thuột" && bmt.type == "Phường" && bmt.provinceCode == "66")
        #expect(d.communes.first { $0.code == "00004" }?.name == "Phường Ba Đình")
        #expect(d.links.contains(AdminDirectory.Link(legacyCode: "00001", code: "00097", main: true)), "Phường Phúc Xá → Phường Hồng Hà")
        #expect(d.links.contains(AdminDirectory.Link(legacyCode: "24118", code: "24121", main: true)))
        // Phú Yên's communes went to the new Đắk Lắk.
        let fromPhuYen = Set(d.legacy.filter { $0.provinceName == "Tỉnh Phú Yên" }.map(\.code))
        let daklakCodes = Set(d.communes.filter { $0.provinceCode == "66" }.map(\.code))
        #expect(d.links.contains { link in fromPhuYen.contains(link.legacyCode) && daklakCodes.contains(link.code) })
        #expect(d.province("Atlantis") == nil)
    }

    @Test("a broken row is named by file, line and field")
    func brokenRow() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["provinces.csv", "legacy-communes.csv", "lineage-2025.csv"] {
            try FileManager.default.copyItem(atPath: Self.directory + "/" + f, toPath: dir + "/" + f)
        }
        var lines = try String(contentsOfFile: Self.directory + "/communes.csv", encoding: .utf8).components(separatedBy: "\n")
        lines[5] = "00A12,Phường Lỗi,Phường,01,91.5,105.8,3"
        try lines.joined(separator: "\n").write(toFile: dir + "/communes.csv", atomically: true, encoding: .utf8)
        do {
            _ = try AdminDirectory.load(directory: dir)
            Issue.record("a broken directory was accepted")
        } catch {
            let text = error.problems.map(\.description)
            #expect(text.contains { $0.contains("communes.csv:6") && $0.contains("\"code\"") && $0.contains("00A12") }, "\(text)")
            #expect(text.contains { $0.contains("communes.csv:6") && $0.contains("\"lat\"") }, "\(text)")
        }
    }
}
