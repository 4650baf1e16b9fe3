import Fluent
import Vapor

/// Puts notifications in the outbox and delivers them.
enum Notifier {
    /// One message per recipient, in the same database as the change.
    static func notify(_ users: [UserAccount], kind: String, subject: String, body: String, link: String = "", on db: any Database) async throws {
        for user in users {
            try await OutboxMessage(recipient: user.username, email: user.email, kind: kind, subject: subject, body: body, link: link).create(on: db)
        }
    }

    static func accounts(of unit: UnitModel, role: Role, on db: any Database) async throws -> [UserAccount] {
        try await UserAccount.query(on: db).filter(\.$unit.$id == unit.id!).filter(\.$roleName == role.rawValue).filter(\.$active == true).all()
    }

    static func evaluators(for unit: UnitModel, on db: any Database) async throws -> [UserAccount] {
        try await UserAccount.query(on: db).filter(\.$roleName == Role.evaluator.rawValue).filter(\.$active == true).all()
            .filter { let scope = AccountDirectory.list($0.scopeUnits); return scope.isEmpty || scope.contains(unit.code) }
    }

    /// Sends every pending message with an address; a failure leaves the
    /// message pending with the error and the attempt counted.
    @discardableResult
    static func deliverPending(_ db: any Database, mailer: any Mailer, clock: any WallClock = SystemClock(), limit: Int = 100) async throws -> (sent: Int, failed: Int) {
        let pending = try await OutboxMessage.query(on: db).filter(\.$sentAt == nil).filter(\.$email != "").filter(\.$attempts < 20)
            .sort(\.$createdAt).limit(limit).all()
        var sent = 0, failed = 0
        for message in pending {
            do {
                try await mailer.send(to: message.email, subject: message.subject, body: message.body, kind: message.kind)
                message.sentAt = clock.now()
                sent += 1
            } catch {
                message.lastError = String(describing: error).prefix(500).description
                failed += 1
            }
            message.attempts += 1
            try await message.save(on: db)
        }
        return (sent, failed)
    }
}
