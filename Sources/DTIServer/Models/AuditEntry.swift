import Fluent
import Foundation

/// One line of the append-only audit log: who did what, when, from where.
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_log"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "at", on: .create) var at: Date?
    @OptionalField(key: "actor_id") var actorID: UUID?
    @Field(key: "actor_name") var actorName: String
    @Field(key: "action") var action: String
    @Field(key: "target") var target: String
    @Field(key: "detail") var detail: String
    @Field(key: "ip") var ip: String

    init() {}

    init(actorID: UUID?, actorName: String, action: String, target: String, detail: String, ip: String) {
        self.actorID = actorID
        self.actorName = actorName
        self.action = action
        self.target = target
        self.detail = detail
        self.ip = ip
    }
}
