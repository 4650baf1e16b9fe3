import DTICore
import Foundation
import NIOCore
import NIOPosix

/// Sends one e-mail. The interface lets tests and other transports replace SMTP.
protocol Mailer: Sendable {
    func send(to: String, subject: String, body: String, kind: String) async throws
}

/// A small SMTP client (no library for it exists here): EHLO, optional
/// AUTH PLAIN, one message, UTF-8 headers and a base64 body.
struct SMTPMailer: Mailer {
    var host: String
    var port: Int
    var from: String
    var username: String?
    var password: String?

    struct SMTPError: Error, CustomStringConvertible {
        var description: String
    }

    func send(to: String, subject: String, body: String, kind: String) async throws {
        // A mail server that stops answering must not hold the outbox forever.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.converse(to: to, subject: subject, body: body, kind: kind) }
            group.addTask {
                try await Task.sleep(nanoseconds: 30_000_000_000)
                throw SMTPError(description: "máy chủ thư không trả lời trong 30 giây")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// An address that cannot end an SMTP command or a header: no control, space or separator
    /// character (`<>,;"\\`). Checked again here, whatever stored it.
    static func isSafeAddress(_ address: String) -> Bool {
        !address.isEmpty && !address.unicodeScalars.contains {
            $0.value < 0x21 || $0.value == 0x7F || $0.properties.isWhitespace || $0.properties.generalCategory == .control
                || $0.properties.generalCategory == .lineSeparator || $0.properties.generalCategory == .paragraphSeparator || "<>,;\"\\".unicodeScalars.contains($0)
        }
    }

    func converse(to: String, subject: String, body: String, kind: String) async throws {
        guard Self.isSafeAddress(to), Self.isSafeAddress(from) else {
            throw SMTPError(description: "địa chỉ thư \"\(to.excerpt())\" có ký tự không được phép (xuống dòng, khoảng trắng hoặc dấu phân cách)")
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let message = Self.message(from: from, to: to, subject: subject, body: body, kind: kind)
        try await channel.executeThenClose { inbound, outbound in
            var replies = ReplyReader(inbound.makeAsyncIterator())
            func say(_ line: String) async throws { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
            func expect(_ codes: Int...) async throws {
                let (code, text) = try await replies.next()
                guard codes.contains(code) else { throw SMTPError(description: "máy chủ thư trả lời \(code) \(text)") }
            }
            try await expect(220)
            try await say("EHLO opendti")
            try await expect(250)
            if let username, let password {
                let token = Data(("\u{0}" + username + "\u{0}" + password).utf8).base64EncodedString()
                try await say("AUTH PLAIN \(token)")
                try await expect(235)
            }
            try await say("MAIL FROM:<\(from)>")
            try await expect(250)
            try await say("RCPT TO:<\(to)>")
            try await expect(250, 251)
            try await say("DATA")
            try await expect(354)
            try await outbound.write(ByteBuffer(string: message + "\r\n.\r\n"))
            try await expect(250)
            try await say("QUIT")
            _ = try? await replies.next()
        }
    }

    /// RFC 5322 message; the base64 body never contains a line starting with ".".
    static func message(from: String, to: String, subject: String, body: String, kind: String) -> String {
        let encodedSubject = "=?UTF-8?B?" + Data(subject.utf8).base64EncodedString() + "?="
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let encodedBody = Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return [
            "From: OpenDTI <\(from)>", "To: <\(to)>", "Subject: \(encodedSubject)", "Date: \(formatter.string(from: Date()))",
            "Message-ID: <\(UUID().uuidString)@opendti>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64", "X-OpenDTI-Kind: \(kind)", "", encodedBody,
        ].joined(separator: "\r\n")
    }

    /// Reads SMTP replies, joining multi-line ones ("250-…" then "250 …").
    struct ReplyReader {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var pending = ""

        init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }

        mutating func next() async throws -> (Int, String) {
            var text = ""
            while true {
                while let range = pending.range(of: "\r\n") {
                    let line = String(pending[..<range.lowerBound])
                    pending.removeSubrange(..<range.upperBound)
                    text += line + " "
                    if line.count >= 4, line[line.index(line.startIndex, offsetBy: 3)] == " " || line.count == 3 {
                        return (Int(line.prefix(3)) ?? 0, text)
                    }
                    if line.count == 3 { return (Int(line) ?? 0, text) }
                }
                guard var buffer = try await iterator.next() else { throw SMTPError(description: "máy chủ thư đóng kết nối") }
                pending += buffer.readString(length: buffer.readableBytes) ?? ""
            }
        }
    }
}
