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

    @Test("the home page, in Vietnamese, for everyone")
    func home() async throws {
        try await withDemoApp { app in
            let r = try await Browser(app).send(.GET, "/")
            #expect(r.status == .ok)
            #expect(r.body.contains("<html lang=\"vi\">"))
            #expect(r.body.contains("Chỉ số chuyển đổi số"))
            #expect(r.body.contains("<strong>65</strong>"))   // Đắk Lắk: 1 province + 18 sở + 15 huyện; Kon Tum, from its 2022 results: 1 + 20 + 10
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
            #expect(try api.json([Row].self).map(\.name) == ["UBND huyện Cư M'gar"])
            let all = try await b.send(.GET, "/api/v1/units")
            let names = try all.json([Row].self).map(\.name)
            #expect(names.count == 65)   // Đắk Lắk 34, Kon Tum 31 (from the 2022 results)
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
