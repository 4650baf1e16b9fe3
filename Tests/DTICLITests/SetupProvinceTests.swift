import Foundation
import Testing

@Suite("dti setup-province")
struct SetupProvinceTests {
    @Test("a dry run writes nothing; the province set up once, then again with nothing new; an unknown province and a broken sở file are refused with a message")
    func setUp() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("setup-\(UUID().uuidString)").path
        let env = ["DTI_DATA_DIR": data, "DTI_DIRECTORY_DIR": CLI.packageRoot.appendingPathComponent("directory").path]
        let dry = try CLI.run(["setup-province", "Đắk Lắk", "--dry-run"], environment: env)
        #expect(dry.status == 0 && dry.stdout.contains("102 xã, phường, đặc khu") && dry.stdout.contains("Chạy thử: chưa ghi gì"), "\(dry.stdout)\(dry.stderr)")
        let first = try CLI.run(["setup-province", "dak lak"], environment: env)
        #expect(first.status == 0 && first.stdout.contains("Đã thiết lập Tỉnh Đắk Lắk"), "\(first.stderr.suffix(500))")
        let created = first.stdout.components(separatedBy: "tạo mới ").dropFirst().first?.prefix { $0 != " " } ?? ""
        #expect(Int(created) ?? 0 > 400, "\(first.stdout)")
        let again = try CLI.run(["setup-province", "66"], environment: env)
        #expect(again.stdout.contains("tạo mới 0 đơn vị") && again.stdout.contains("0 liên kết kế thừa mới"), "\(again.stdout)")
        let unknown = try CLI.run(["setup-province", "Atlantis"], environment: env)
        #expect(unknown.status == 1 && unknown.stderr.contains("Không có tỉnh, thành phố \"Atlantis\""), "\(unknown.stderr.suffix(400))")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("so-\(UUID().uuidString).txt").path
        try "STC Sở Tài chính\n".write(toFile: file, atomically: true, encoding: .utf8)
        let broken = try CLI.run(["setup-province", "66", "--departments", file], environment: env)
        #expect(broken.status == 1 && broken.stderr.contains("Danh sách sở, dòng 1"), "\(broken.stderr.suffix(400))")
    }
}
