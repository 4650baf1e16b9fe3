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
        self.isReviewer = user?.role.isReviewer ?? false
    }
}

struct ErrorPage: Encodable {
    var layout: Layout
    var status: Int
    var reason: String
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
