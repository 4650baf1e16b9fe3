import Fluent
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

/// Every route, who may call it, and a check that every other role is refused.
@Suite("Authorization matrix", .serialized)
struct AuthorizationMatrixTests {
    /// `ownUnit`: the administrator and the accounts of the unit in the path (SNNPTNT).
    enum Access {
        case everyone, signedIn, admin, ownUnit
        /// A unit's self-assessment: administrator, evaluators, council, the unit's own accounts.
        case assessmentReaders
        /// Changing the self-assessment: the unit's focal point only.
        case focalPoint
        /// Approving or returning it: the unit's leader only.
        case unitLeader
        case evaluator, councilMember
        /// The scoring form: evaluators and council members.
        case scorers
        /// Evaluators and council members acting on an object named by its id
        /// (a complaint): outside an evaluator's scope it is absent (404), as ids reveal nothing.
        case scorersByID
        /// A correction thread: the unit's focal point and evaluators.
        case correspondents
        /// The live ranking: administrator, evaluators, council.
        case reviewers
    }

    struct RouteRule {
        var method: HTTPMethod
        var path: String
        var access: Access
        /// Ends the session: run last.
        var signsOut = false
        /// Changes what other routes see (publication): run after the others.
        var lastBeforeSignOut = false
    }

    static let rules: [RouteRule] = [
        .init(method: .GET, path: "/", access: .everyone),
        .init(method: .GET, path: "/healthz", access: .everyone),
        .init(method: .GET, path: "/metrics", access: .everyone),
        .init(method: .GET, path: "/api/openapi.yaml", access: .everyone),
        .init(method: .GET, path: "/login", access: .everyone),
        .init(method: .POST, path: "/login", access: .everyone),
        .init(method: .GET, path: "/login/code", access: .everyone),
        .init(method: .POST, path: "/login/code", access: .everyone),
        .init(method: .GET, path: "/api/v1/session", access: .everyone),
        .init(method: .POST, path: "/api/v1/session", access: .everyone),
        .init(method: .GET, path: "/units", access: .everyone),
        .init(method: .GET, path: "/api/v1/units", access: .everyone),
        .init(method: .GET, path: "/api/v1/units/:code", access: .everyone),
        .init(method: .GET, path: "/api/v1/units/:code/lineage", access: .everyone),
        .init(method: .GET, path: "/api/v1/units/:code/history", access: .everyone),
        .init(method: .GET, path: "/api/v1/lineage", access: .everyone),
        .init(method: .GET, path: "/units/:code", access: .everyone),
        .init(method: .GET, path: "/api/v1/units/:code/accounts", access: .ownUnit),
        .init(method: .GET, path: "/frameworks", access: .everyone),
        .init(method: .GET, path: "/frameworks/:key/:version", access: .everyone),
        .init(method: .GET, path: "/api/v1/frameworks", access: .everyone),
        .init(method: .GET, path: "/frameworks/:key/:version/framework.xlsx", access: .everyone),
        .init(method: .POST, path: "/admin/frameworks/file", access: .admin),
        .init(method: .GET, path: "/api/v1/frameworks/:key/:version", access: .everyone),
        .init(method: .GET, path: "/periods", access: .signedIn),
        .init(method: .GET, path: "/periods/:id", access: .signedIn),
        .init(method: .GET, path: "/api/v1/periods", access: .signedIn),
        .init(method: .GET, path: "/api/v1/periods/:id", access: .signedIn),
        .init(method: .GET, path: "/api/v1/me", access: .signedIn),
        .init(method: .GET, path: "/api/v1/notifications", access: .signedIn),
        .init(method: .GET, path: "/notifications", access: .signedIn),
        .init(method: .POST, path: "/api/v1/reminders", access: .admin),
        .init(method: .GET, path: "/admin/units/new", access: .admin),
        .init(method: .POST, path: "/admin/units", access: .admin),
        .init(method: .POST, path: "/admin/units/import", access: .admin),
        .init(method: .POST, path: "/api/v1/units", access: .admin),
        .init(method: .POST, path: "/api/v1/units/import", access: .admin),
        .init(method: .POST, path: "/api/v1/units/lineage", access: .admin),
        .init(method: .POST, path: "/api/v1/frameworks", access: .admin),
        .init(method: .POST, path: "/api/v1/periods", access: .admin),
        .init(method: .POST, path: "/api/v1/periods/:id/lock", access: .admin),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/exceptions", access: .admin),
        .init(method: .GET, path: "/admin/users", access: .admin),
        .init(method: .GET, path: "/api/v1/users", access: .admin),
        .init(method: .POST, path: "/api/v1/users", access: .admin),
        .init(method: .POST, path: "/api/v1/tokens", access: .admin),
        // Own tokens (the administrator: all); another's token is 404 (HardeningTests).
        .init(method: .GET, path: "/api/v1/tokens", access: .signedIn),
        .init(method: .DELETE, path: "/api/v1/tokens/:id", access: .signedIn),
        .init(method: .POST, path: "/admin/users", access: .admin),
        .init(method: .POST, path: "/admin/tokens", access: .admin),
        .init(method: .GET, path: "/admin/periods/new", access: .admin),
        .init(method: .POST, path: "/admin/periods", access: .admin),
        .init(method: .POST, path: "/admin/periods/:id/lock", access: .admin),
        .init(method: .GET, path: "/admin/frameworks/new", access: .admin),
        .init(method: .POST, path: "/admin/frameworks", access: .admin),
        .init(method: .POST, path: "/admin/lineage", access: .admin),
        .init(method: .GET, path: "/periods/:id/units/:code", access: .assessmentReaders),
        .init(method: .GET, path: "/api/v1/periods/:id/units/:code/self-assessment", access: .assessmentReaders),
        .init(method: .GET, path: "/api/v1/periods/:id/units/:code/changes", access: .assessmentReaders),
        .init(method: .GET, path: "/periods/:id/units/:code/changes", access: .assessmentReaders),
        .init(method: .GET, path: "/api/v1/periods/:id/units/:code/trend", access: .assessmentReaders),
        .init(method: .GET, path: "/periods/:id/units/:code/trend", access: .assessmentReaders),
        .init(method: .GET, path: "/periods/:id/units/:code/workbook.xlsx", access: .assessmentReaders),
        .init(method: .GET, path: "/api/v1/periods/:id/units/:code/workbook", access: .assessmentReaders),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/workbook", access: .focalPoint),
        .init(method: .POST, path: "/periods/:id/units/:code/workbook", access: .focalPoint),
        .init(method: .POST, path: "/periods/:id/units/:code/evidence", access: .focalPoint),
        .init(method: .POST, path: "/periods/:id/units/:code/scores", access: .scorers),
        .init(method: .POST, path: "/periods/:id/units/:code/corrections", access: .evaluator),
        .init(method: .POST, path: "/periods/:id/units/:code/corrections/:criterion/messages", access: .correspondents),
        .init(method: .POST, path: "/periods/:id/units/:code/corrections/:criterion/close", access: .evaluator),
        .init(method: .POST, path: "/periods/:id/units/:code/answers", access: .focalPoint),
        .init(method: .POST, path: "/periods/:id/units/:code/preview", access: .assessmentReaders),
        .init(method: .PUT, path: "/api/v1/periods/:id/units/:code/answers/:criterion", access: .focalPoint),
        .init(method: .POST, path: "/periods/:id/units/:code/submit", access: .focalPoint),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/submit", access: .focalPoint),
        .init(method: .POST, path: "/periods/:id/units/:code/decision", access: .unitLeader),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/approve", access: .unitLeader),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/return", access: .unitLeader),
        .init(method: .PUT, path: "/api/v1/periods/:id/units/:code/evaluation/:criterion", access: .evaluator),
        .init(method: .PUT, path: "/api/v1/periods/:id/units/:code/council/:criterion", access: .councilMember),
        .init(method: .GET, path: "/api/v1/periods/:id/ranking", access: .reviewers),
        .init(method: .GET, path: "/periods/:id/ranking", access: .reviewers),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/evidence", access: .focalPoint),
        .init(method: .GET, path: "/api/v1/periods/:id/units/:code/evidence", access: .assessmentReaders),
        // A file that does not exist: 404 for everyone signed in; who may read a real one is in EvidenceTests.
        .init(method: .GET, path: "/api/v1/evidence/:file", access: .signedIn),
        .init(method: .GET, path: "/api/v1/periods/:id/units/:code/corrections", access: .assessmentReaders),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/corrections", access: .evaluator),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/corrections/:criterion/messages", access: .correspondents),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/corrections/:criterion/close", access: .evaluator),
        .init(method: .POST, path: "/api/v1/periods/:id/publish", access: .admin, lastBeforeSignOut: true),
        .init(method: .GET, path: "/api/v1/periods/:id/published", access: .everyone),
        // The portal: public; an unpublished period is 404 for everyone (PortalTests).
        .init(method: .GET, path: "/results", access: .everyone),
        .init(method: .GET, path: "/results/:id", access: .everyone),
        .init(method: .GET, path: "/results/:id/groups/:group", access: .everyone),
        .init(method: .GET, path: "/results/:id/units/:code", access: .everyone),
        .init(method: .GET, path: "/results/:id/export.xlsx", access: .everyone),
        .init(method: .GET, path: "/results/:id/export.csv", access: .everyone),
        .init(method: .GET, path: "/results/:id/export.json", access: .everyone),
        .init(method: .GET, path: "/results/:id/record.json", access: .everyone),
        .init(method: .GET, path: "/api/v1/results/:id/record", access: .everyone),
        .init(method: .GET, path: "/results/:id/decision.docx", access: .everyone),
        .init(method: .GET, path: "/results/:id/decision.pdf", access: .everyone),
        .init(method: .GET, path: "/api/v1/results", access: .everyone),
        .init(method: .GET, path: "/api/v1/results/:id", access: .everyone),
        .init(method: .POST, path: "/api/v1/results", access: .admin),
        .init(method: .GET, path: "/admin/results/new", access: .admin),
        .init(method: .POST, path: "/admin/results", access: .admin),
        // Periods: changes, the season board, not-reporting marks, guarded publication.
        .init(method: .GET, path: "/admin/periods/:id/edit", access: .admin),
        .init(method: .POST, path: "/admin/periods/:id", access: .admin),
        .init(method: .PATCH, path: "/api/v1/periods/:id", access: .admin),
        .init(method: .POST, path: "/admin/periods/:id/exceptions", access: .admin),
        .init(method: .GET, path: "/api/v1/feeds", access: .everyone),
        .init(method: .GET, path: "/api/v1/feeds/:key", access: .everyone),
        .init(method: .GET, path: "/api/v1/feeds/:key/ingestions", access: .reviewers),
        .init(method: .POST, path: "/api/v1/feeds/:key/data", access: .admin),
        .init(method: .GET, path: "/feeds", access: .reviewers),
        .init(method: .POST, path: "/admin/feeds/:key/data", access: .admin),
        .init(method: .POST, path: "/api/v1/feeds/:key/pull", access: .admin),
        .init(method: .POST, path: "/admin/feeds/:key/pull", access: .admin),
        .init(method: .GET, path: "/periods/:id/board", access: .reviewers),
        .init(method: .GET, path: "/periods/:id/board.xlsx", access: .reviewers),
        .init(method: .GET, path: "/api/v1/periods/:id/board", access: .reviewers),
        .init(method: .POST, path: "/admin/periods/:id/not-reporting", access: .admin),
        .init(method: .POST, path: "/api/v1/periods/:id/not-reporting", access: .admin),
        .init(method: .GET, path: "/api/v1/periods/:id/publication", access: .admin),
        .init(method: .GET, path: "/periods/:id/publication", access: .admin),
        .init(method: .GET, path: "/periods/:id/publication/preview", access: .admin),
        .init(method: .GET, path: "/periods/:id/publication/decision.docx", access: .admin),
        .init(method: .POST, path: "/periods/:id/publication", access: .admin),
        // Preliminary results, complaints and their answers, corrections after publication.
        .init(method: .POST, path: "/periods/:id/publication/preliminary", access: .admin),
        .init(method: .POST, path: "/api/v1/periods/:id/preliminary", access: .admin),
        .init(method: .GET, path: "/periods/:id/units/:code/results", access: .assessmentReaders),
        .init(method: .GET, path: "/api/v1/periods/:id/units/:code/complaints", access: .assessmentReaders),
        .init(method: .POST, path: "/periods/:id/units/:code/complaints", access: .focalPoint),
        .init(method: .POST, path: "/api/v1/periods/:id/units/:code/complaints", access: .focalPoint),
        .init(method: .GET, path: "/periods/:id/complaints", access: .reviewers),
        .init(method: .GET, path: "/api/v1/periods/:id/complaints", access: .reviewers),
        .init(method: .POST, path: "/periods/:id/complaints/:complaint/answer", access: .scorersByID),
        .init(method: .POST, path: "/api/v1/periods/:id/complaints/:complaint/answer", access: .scorersByID),
        .init(method: .GET, path: "/periods/:id/correction", access: .admin),
        .init(method: .POST, path: "/periods/:id/correction", access: .admin),
        .init(method: .POST, path: "/api/v1/periods/:id/corrections", access: .admin),
        // Accounts: the administrator changes them; everyone changes their own password.
        .init(method: .POST, path: "/admin/users/import", access: .admin),
        .init(method: .POST, path: "/api/v1/users/import", access: .admin),
        .init(method: .GET, path: "/admin/users/:username", access: .admin),
        .init(method: .GET, path: "/admin/setup-province", access: .admin),
        .init(method: .POST, path: "/admin/setup-province", access: .admin),
        .init(method: .POST, path: "/admin/users/:username", access: .admin),
        .init(method: .POST, path: "/admin/users/:username/:action", access: .admin),
        .init(method: .PATCH, path: "/api/v1/users/:username", access: .admin),
        .init(method: .POST, path: "/api/v1/users/:username/disable", access: .admin),
        .init(method: .POST, path: "/api/v1/users/:username/enable", access: .admin),
        .init(method: .POST, path: "/api/v1/users/:username/unlock", access: .admin),
        .init(method: .POST, path: "/api/v1/users/:username/reset-password", access: .admin),
        .init(method: .GET, path: "/account/password", access: .signedIn),
        .init(method: .POST, path: "/account/password", access: .signedIn),
        .init(method: .POST, path: "/api/v1/me/password", access: .signedIn),
        .init(method: .POST, path: "/logout", access: .signedIn, signsOut: true),
        .init(method: .DELETE, path: "/api/v1/session", access: .signedIn, signsOut: true),
    ]

    @Test("every registered route is in the matrix, and every matrix route is registered")
    func coverage() async throws {
        try await withDemoApp { app in
            let registered = Set(app.routes.all.map { "\($0.method.rawValue) /" + $0.path.map(\.description).joined(separator: "/") })
            let declared = Set(Self.rules.map { "\($0.method.rawValue) \($0.path == "/" ? "/" : $0.path)" })
            #expect(registered == declared, "not declared: \(registered.subtracting(declared).sorted()); not registered: \(declared.subtracting(registered).sorted())")
        }
    }

    func concrete(_ path: String, period: String) -> String {
        path.replacingOccurrences(of: ":code", with: "SNNPTNT")
            .replacingOccurrences(of: "feeds/:key", with: "feeds/dvc-766")
            .replacingOccurrences(of: ":key/:version", with: "daklak-2023-department/1")
            .replacingOccurrences(of: ":id", with: period)
            .replacingOccurrences(of: ":criterion", with: "1")
            .replacingOccurrences(of: ":file", with: "00000000-0000-0000-0000-000000000000")
            .replacingOccurrences(of: ":username", with: "xem")
            .replacingOccurrences(of: ":complaint", with: "00000000-0000-0000-0000-000000000000")
            .replacingOccurrences(of: ":action", with: "unlock")
    }

    @Test("each role against each route", arguments: [nil] + Role.allCases.map(Optional.some))
    func matrix(role: Role?) async throws {
        try await withDemoApp { app in
            let username: [Role: String] = [.administrator: "quantri", .evaluator: "thamdinh", .councilMember: "hoidong",
                                            .focalPoint: "daumoi.snn", .unitLeader: "lanhdao.snn", .viewer: "xem"]
            // A period open for self-assessment today, so that refusals come from roles, not dates.
            let period = try await openPeriod(app)
            let b = Browser(app)
            if let role { #expect(try await b.signIn(username[role]!).status == .seeOther) } else { try await b.send(.GET, "/login") }
            func order(_ r: RouteRule) -> Int { r.signsOut ? 2 : r.lastBeforeSignOut ? 1 : 0 }
            for rule in Self.rules.sorted(by: { order($0) < order($1) }) {
                if rule.signsOut, let role { _ = try await b.signIn(username[role]!) }
                let path = concrete(rule.path, period: period)
                let isPage = !path.hasPrefix("/api/") && path != "/healthz" && path != "/metrics"
                let result = rule.method == .GET
                    ? try await b.send(.GET, path)
                    : isPage ? try await b.send(rule.method, path, form: [:]) : try await b.send(rule.method, path, body: "{}", contentType: .json)
                let allowed: Bool
                switch rule.access {
                case .everyone: allowed = true
                case .signedIn: allowed = role != nil
                case .admin: allowed = role == .administrator
                case .ownUnit: allowed = role == .administrator || role == .focalPoint || role == .unitLeader
                case .assessmentReaders: allowed = role != nil && role != .viewer
                case .focalPoint: allowed = role == .focalPoint
                case .unitLeader: allowed = role == .unitLeader
                case .evaluator: allowed = role == .evaluator
                case .councilMember: allowed = role == .councilMember
                case .scorers, .scorersByID: allowed = role == .evaluator || role == .councilMember
                case .correspondents: allowed = role == .evaluator || role == .focalPoint
                case .reviewers: allowed = role == .administrator || role == .evaluator || role == .councilMember
                }
                let where_ = "\(role?.rawValue ?? "anonymous") \(rule.method) \(path)"
                if allowed {
                    #expect(result.status != .unauthorized && result.status != .forbidden, "\(where_) → \(result.status)")
                } else if role == nil {
                    if isPage {
                        #expect(result.status == .seeOther && result.headers.first(name: .location)?.hasPrefix("/login") == true, "\(where_) → \(result.status)")
                    } else {
                        #expect(result.status == .unauthorized, "\(where_) → \(result.status)")
                    }
                } else {
                    #expect(result.status == .forbidden, "\(where_) → \(result.status)")
                    if [.admin, .signedIn, .ownUnit, .reviewers].contains(rule.access) {
                        #expect(result.body.contains("không có quyền"), "\(where_)")
                    }
                }
            }
        }
    }

    /// Evaluators are scoped: to units (here Sở Tài chính only, not the
    /// SNNPTNT of every path) and to fields of criteria (here field 2, not
    /// criterion 1 of every path).
    enum Scope: String, CaseIterable { case otherUnit, otherField }

    @Test("evaluators outside their scope: another unit is refused everywhere in it, another field on every criterion route", arguments: Scope.allCases)
    func scopes(scope: Scope) async throws {
        try await withDemoApp { app in
            let period = try await openPeriod(app)
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let username = "thamdinh.\(scope.rawValue.lowercased())"
            var account = ["username": username, "displayName": "Thẩm định có phạm vi", "password": "Mat-khau#2026", "role": "evaluator"]
            if scope == .otherUnit { account["scopeUnits"] = "STC" } else { account["scopeFields"] = "2" }
            #expect(try await admin.send(.POST, "/api/v1/users", json: account).status == .created)
            let b = Browser(app)
            #expect(try await b.signIn(username, password: "Mat-khau#2026").status == .seeOther)
            for rule in Self.rules where !rule.signsOut && !rule.lastBeforeSignOut {
                let path = concrete(rule.path, period: period)
                let isPage = !path.hasPrefix("/api/") && path != "/healthz" && path != "/metrics"
                let result = rule.method == .GET
                    ? try await b.send(.GET, path)
                    : isPage ? try await b.send(rule.method, path, form: [:]) : try await b.send(rule.method, path, body: "{}", contentType: .json)
                let criterionRoute = rule.path.contains(":criterion")
                let allowed: Bool
                switch rule.access {
                case .everyone, .signedIn, .reviewers, .scorersByID: allowed = true
                case .assessmentReaders: allowed = scope == .otherField
                case .evaluator, .correspondents, .scorers: allowed = scope == .otherField && !criterionRoute
                case .admin, .ownUnit, .focalPoint, .unitLeader, .councilMember: allowed = false
                }
                let where_ = "\(scope) \(rule.method) \(path)"
                if allowed {
                    #expect(result.status != .unauthorized && result.status != .forbidden, "\(where_) → \(result.status)")
                } else {
                    #expect(result.status == .forbidden, "\(where_) → \(result.status)")
                }
            }
        }
    }
}
