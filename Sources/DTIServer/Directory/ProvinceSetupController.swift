import DTICore
import DTIFormats
import Vapor

/// "Thiết lập tỉnh" in the browser: choose the province, edit the sở list,
/// see what will be created, confirm.
struct ProvinceSetupController: RouteCollection {
    let directory: String

    func boot(routes: any RoutesBuilder) throws {
        // Administrator.
        let admin = routes.grouped(RoleGuard(.administrator))
        admin.get("admin", "setup-province", use: page)
        admin.post("admin", "setup-province", use: submit)
    }

    struct Page: Encodable {
        struct Choice: Encodable { var value: String; var label: String; var selected: Bool }
        struct Renamed: Encodable { var code: String; var from: String; var to: String }
        var layout: Layout
        var provinces: [Choice]
        var departments: String
        var errors: [String]
        var summary: String?
        var renamed: [Renamed]
        /// Units the province had under its own codes, used for the directory's ("code: existing name (existing code)").
        var matched: [String]
        var samples: [String]
        var province: String
        var nothingToDo: Bool
        var message: String?
    }

    func load() throws -> AdminDirectory { try ProvinceSetup.directory(directory) }

    func render(_ req: Request, province: String = "", departments: String? = nil, errors: [String] = [], plan: ProvinceSetup.Plan? = nil,
                status: HTTPStatus = .ok) async throws -> Response {
        let data = try load()
        let chosen = data.province(province)?.code ?? ""
        let page = Page(
            layout: Layout(req, title: "Thiết lập tỉnh"),
            provinces: [Page.Choice(value: "", label: "— chọn tỉnh, thành phố —", selected: chosen.isEmpty)]
                + data.provinces.sorted { VietnameseText.precedes($0.shortName, $1.shortName) }
                .map { Page.Choice(value: $0.code, label: "\($0.name) (mã \($0.code))", selected: $0.code == chosen) },
            departments: departments ?? ProvinceSetup.defaultDepartments(directory: directory), errors: errors,
            summary: plan?.summary, renamed: (plan?.renamed ?? []).map { .init(code: $0.code, from: $0.from, to: $0.to) },
            matched: (plan?.matched ?? []).map { "\($0.code) → \($0.name) (\($0.existing))" + ($0.closes ? ", hết hiệu lực từ 01/07/2025" : "") },
            samples: (plan?.create ?? []).filter { $0.level == "commune" && $0.validUntil == nil }.prefix(12).map { "\($0.code) — \($0.name)" },
            province: chosen, nothingToDo: plan.map(\.nothingToDo) ?? false,
            message: req.takeFlash("setup-flash"))
        return try await req.view.render("setup-province", page).encodeResponse(status: status, for: req)
    }

    @Sendable func page(req: Request) async throws -> Response { try await render(req) }

    /// "Xem trước" plans and shows; "Thiết lập" plans again and writes.
    @Sendable func submit(req: Request) async throws -> Response {
        let province = ((try? req.content.get(String.self, at: "province")) ?? "").trimmingCharacters(in: .whitespaces)
        let text = (try? req.content.get(String.self, at: "departments")) ?? ""
        let apply = ((try? req.content.get(String.self, at: "action")) ?? "") == "apply"
        let (departments, problems) = ProvinceSetup.departments(text)
        if province.isEmpty { return try await render(req, departments: text, errors: ["Chọn một tỉnh, thành phố."], status: .unprocessableEntity) }
        if !problems.isEmpty { return try await render(req, province: province, departments: text, errors: problems, status: .unprocessableEntity) }
        do {
            let plan = try await ProvinceSetup.plan(province, departments: departments, directory: try load(), on: req.db)
            guard apply else { return try await render(req, province: province, departments: text, plan: plan) }
            try await ProvinceSetup.apply(plan, in: req.context)
            req.session.data["setup-flash"] = "Đã thiết lập. \(plan.summary)."
            return req.redirect(to: "/admin/setup-province")
        } catch let error as DomainError where error != .unauthenticated {
            return try await render(req, province: province, departments: text, errors: error.message.components(separatedBy: "\n"), status: error.status)
        }
    }
}
