import Fluent
import Vapor

/// Appends to the audit log. Entries are never updated or deleted.
enum AuditLog {
    static func record(_ request: Request, actor: UserAccount?, action: String, target: String, detail: String = "", on db: (any Database)? = nil) async throws {
        let ip = request.headers.first(name: "X-Forwarded-For")?.split(separator: ",").first.map { String($0).trimmingCharacters(in: .whitespaces) }
            ?? request.remoteAddress?.ipAddress ?? ""
        try await AuditEntry(actorID: actor?.id, actorName: actor?.username ?? "", action: action, target: target, detail: detail, ip: ip)
            .create(on: db ?? request.db)
    }
}
