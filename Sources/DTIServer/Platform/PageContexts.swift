import Vapor

/// What every page's layout needs: title, the signed-in account, the CSRF
/// token for forms, and which menu items to show.
struct Layout: Encodable {
    var title: String
    var userName: String?
    var roleLabel: String?
    var csrf: String
    var isAdmin: Bool
    var isSignedIn: Bool
    var unread: Int
    var isReviewer: Bool

    init(_ request: Request, title: String) {
        self.title = title
        let user = request.user
        self.userName = user?.displayName
        self.roleLabel = user?.role.label
        // A CSRF token lives in a session: anonymous reading creates none. A
        // form posted without the session cookie needs no token (it carries
        // no ambient credentials; `CSRFMiddleware`), so the public pages and
        // the sign-in form do without one.
        self.csrf = user != nil || request.hasSession ? request.csrfToken : ""
        self.isAdmin = user?.role == .administrator
        self.isSignedIn = user != nil
        self.unread = request.storage[UnreadCountMiddleware.Key.self] ?? 0
        self.isReviewer = [.administrator, .evaluator, .councilMember].contains(user?.role)
    }
}

struct ErrorPage: Encodable {
    var layout: Layout
    var status: Int
    var reason: String
}

struct HomePage: Encodable {
    var layout: Layout
    var unitCount: Int
    var frameworkCount: Int
    var periods: [PeriodSummary]
    var todo: TodoList?
}

struct LoginPage: Encodable {
    var layout: Layout
    var next: String
    var username: String
    var message: String?
}

/// Signing in with a code e-mailed to the owner of a locked account.
struct LoginCodePage: Encodable {
    var layout: Layout
    var username: String
    var code: String
    var message: String?
}

struct UnitRow: Content {
    var id: UUID?
    var code: String
    var name: String
    var level: String
    var levelLabel: String
    var group: String
    var tags: [String]
    var parentCode: String?
}

struct UnitsPage: Encodable {
    var layout: Layout
    var query: String
    var units: [UnitRow]
    var count: Int
}

struct UnitFormPage: Encodable {
    var layout: Layout
    var form: UnitInput
    var errors: [String]
    var levels: [LevelOption]
    var importErrors: [String]
    var importText: String
}

struct LevelOption: Encodable {
    var value: String
    var label: String
    var selected: Bool
}

struct FrameworkSummary: Content {
    var key: String
    var version: Int
    var level: String
    var levelLabel: String
    var year: Int
    var title: String
    var sha256: String
    var maxPoints: String
    var method: String
}

struct FrameworksPage: Encodable {
    var layout: Layout
    var frameworks: [FrameworkSummary]
}

struct FrameworkNodeRow: Content {
    var code: String
    var kind: String
    var kindLabel: String
    var name: String
    var depth: Int
    var indent: Int
    var max: String
    var rule: String?
    var evidence: String?
    var dataSource: String?
    var verifyingUnit: String?
    var applicability: String?
    var note: String?
}

struct FrameworkPage: Encodable {
    var layout: Layout
    var framework: FrameworkSummary
    var source: String?
    var provenance: String?
    var methodLabel: String
    var bands: [String]
    var nodes: [FrameworkNodeRow]
}

struct PeriodSummary: Content {
    var id: UUID?
    var year: Int
    var title: String
    var locked: Bool
    var currentPhase: String?
}

/// A phase in the API: dates in ISO 8601 (yyyy-mm-dd), as they are sent.
struct PhaseRow: Content {
    var phase: String
    var label: String
    var startsOn: String
    var endsOn: String
    var current: Bool
}

struct PeriodPage: Encodable {
    struct UnitLink: Encodable { var code: String; var name: String; var group: String }
    /// A phase as people read it: dates dd/mm/yyyy.
    struct PhaseLine: Encodable {
        var label: String, startsOn: String, endsOn: String, current: Bool
        init(_ row: PhaseRow) {
            (label, startsOn, endsOn, current) = (row.label, DateText.display(row.startsOn), DateText.display(row.endsOn), row.current)
        }
    }
    var layout: Layout
    var period: PeriodSummary
    var phases: [PhaseLine]
    var frameworks: [FrameworkSummary]
    var units: [UnitLink]
    var editable: Bool
    var message: String?
    var phaseOptions: [LevelOption]
}

struct UsersPage: Encodable {
    var layout: Layout
    var users: [UserRow]
    var roles: [LevelOption]
    var form: UserInput
    var errors: [String]
    var tokenErrors: [String]
    var issued: IssuedToken?
    /// The unit picker's choices ("CODE — name").
    var units: [String]
    var message: String?
    var importErrors: [String] = []
}

struct UserRow: Content {
    var id: UUID?
    var username: String
    var displayName: String
    var role: String
    var roleLabel: String
    var unitCode: String?
    var scopeUnits: [String]
    var scopeFields: [String]
    var locked: Bool
    var active: Bool = true
    var mustChangePassword: Bool = false
}

extension Request {
    /// A one-time message a form left in the session for the page it
    /// redirected to (post/redirect/get): read once, then gone.
    func takeFlash(_ key: String) -> String? {
        guard let message = session.data[key] else { return nil }
        session.data[key] = nil
        return message
    }
}
