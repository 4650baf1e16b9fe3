import Fluent
import Vapor

/// Appends to the audit log. Entries are never updated or deleted.
enum AuditLog {
    static func record(_ ctx: ServiceContext, actor: UserAccount?, action: String, target: String, detail: String = "", on db: (any Database)? = nil) async throws {
        try await AuditEntry(actorID: actor?.id, actorName: actor?.username ?? "", action: action, target: target, detail: detail, ip: ctx.address)
            .create(on: db ?? ctx.db)
    }

    static func record(_ request: Request, actor: UserAccount?, action: String, target: String, detail: String = "", on db: (any Database)? = nil) async throws {
        try await record(request.context, actor: actor, action: action, target: target, detail: detail, on: db)
    }
}
