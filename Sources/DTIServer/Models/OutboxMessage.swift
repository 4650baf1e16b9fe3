import Fluent
import Foundation

/// A notification: shown in the application, and sent by e-mail from this
/// outbox. A message stays pending until the mail server accepts it, so
/// nothing is lost when the server is down.
final class OutboxMessage: Model, @unchecked Sendable {
    static let schema = "outbox"

    @ID(key: .id) var id: UUID?
    @Field(key: "recipient") var recipient: String
    @Field(key: "email") var email: String
    @Field(key: "kind") var kind: String
    @Field(key: "subject") var subject: String
    @Field(key: "body") var body: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "sent_at") var sentAt: Date?
    @Field(key: "attempts") var attempts: Int
    @Field(key: "last_error") var lastError: String
    /// Where the notification leads (a page path, "" for none).
    @Field(key: "link") var link: String
    @OptionalField(key: "read_at") var readAt: Date?

    init() {}

    init(recipient: String, email: String, kind: String, subject: String, body: String, link: String = "") {
        self.link = link
        self.recipient = recipient
        self.email = email
        self.kind = kind
        self.subject = subject
        self.body = body
        self.attempts = 0
        self.lastError = ""
    }
}
