import Testing
import VaporTesting
@testable import DTIServer

@Suite("Operations and public pages", .serialized)
struct PublicPageTests {
    @Test("health answers with the database state")
    func health() async throws {
        try await withDemoApp { app in
            let r = try await Browser(app).send(.GET, "/healthz")
            #expect(r.status == .ok)
            #expect(r.body.contains(#""database":"ok""#))
        }
    }

    @Test("the public folder's styles and scripts are served; any other path is a route or 404, never a file outside it")
    func publicFiles() async throws {
        try await withDemoApp { app in
            let browser = Browser(app)
            let styles = try await browser.send(.GET, "/styles.css")
            #expect(styles.status == .ok)
            #expect(styles.headers.first(name: .contentType)?.hasPrefix("text/css") == true)
            #expect(styles.body.contains("{"))
            let script = try await browser.send(.GET, "/assessment.js")
            #expect(script.status == .ok && script.body.contains("fetch"))
            #expect(try await browser.send(.GET, "/missing.css").status == .notFound)
            for path in ["/../Package.swift", "/styles.css/../../Package.swift", "/%2e%2e/Package.swift"] {
                let r = try await browser.send(.GET, path)
                #expect(r.status != .ok && !r.body.contains("PackageDescription"), "\(path)")
            }
            // Pages are still routes.
            #expect(try await browser.send(.GET, "/frameworks").status == .ok)
        }
    }

    @Test("the home page, in Vietnamese, for everyone")
    func home() async throws {
        try await withDemoApp { app in
            let r = try await Browser(app).send(.GET, "/")
            #expect(r.status == .ok)
            #expect(r.body.contains("<html lang=\"vi\">"))
            #expect(r.body.contains("Chỉ số chuyển đổi số"))
            // Units as they are today: Đắk Lắk's province, its 19 sở of 2023 and 3 more from the 2025 list, its 102 communes;
            // not its 15 huyện dissolved on 1 July 2025, nor Kon Tum's units known only from the 2022 results.
            #expect(r.body.contains("<strong>125</strong>"), "\(r.body)")
        }
    }

    @Test("unit search finds \"Krông Pắc\" typed \"krong pac\", in pages and the API")
    func search() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            let page = try await b.send(.GET, "/units?q=krong%20pac")
            #expect(page.status == .ok)
            #expect(page.body.contains("UBND huyện Krông Pắc"))
            #expect(!page.body.contains("UBND huyện Krông Năng"))
            let api = try await b.send(.GET, "/api/v1/units?q=CU%20MGAR")
            struct Row: Decodable { var code: String; var name: String }
            // The huyện first, then the communes whose names carry it (pre-reform communes) or its name (Xã Cư M'gar).
            let found = try api.json([Row].self).map(\.name)
            #expect(found.first == "UBND huyện Cư M'gar" && found.contains("Xã Cư M'gar") && found.count > 2, "\(found)")
            let all = try await b.send(.GET, "/api/v1/units")
            let names = try all.json([Row].self).map(\.name)
            // Đắk Lắk 34 of 2023, Kon Tum 31 (from the 2022 results), and from "Thiết lập tỉnh": 3 sở of the 2025 list,
            // 102 communes, Phú Yên's 9 former huyện and the 286 pre-reform communes of the new province.
            let expected: Int = 65 + 3 + 102 + 9 + 286
            #expect(names.count == expected)
            // Vietnamese order: Ban Dân tộc before Sở …, "Đ" after "D".
            #expect(names.firstIndex(of: "Ban Dân tộc tỉnh")! < names.firstIndex(of: "Sở Công Thương")!)
            let unknown = try await b.send(.GET, "/api/v1/units/KHONGCO")
            #expect(unknown.status == .notFound)
            #expect(unknown.body.contains("Không có đơn vị mã"))
        }
    }

    @Test("the public methodology shows every framework and each criterion's rule")
    func methodology() async throws {
        try await withDemoApp { app in
            let b = Browser(app)
            let list = try await b.send(.GET, "/frameworks")
            #expect(list.status == .ok)
            #expect(list.body.contains("/frameworks/example-all-rules/1"))
            let tree = try await b.send(.GET, "/frameworks/example-all-rules/1")
            #expect(tree.status == .ok)
            #expect(tree.body.contains("từ 4 trở lên: 20 điểm; từ 3 trở lên: 15 điểm"))
            #expect(tree.body.contains("a = số cuộc họp CĐS có Bí thư/Chủ tịch chủ trì"))
            #expect(tree.body.contains("Không áp dụng cho: đơn vị không có dịch vụ công trực tuyến"))
            let api = try await b.send(.GET, "/api/v1/frameworks/daklak-2023-department/1")
            #expect(api.status == .ok)
            #expect(api.body.contains("Hoạt động chính quyền số"))
            let missing = try await b.send(.GET, "/frameworks/khong-co/1")
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("Không có bộ chỉ số"))
        }
    }
}
