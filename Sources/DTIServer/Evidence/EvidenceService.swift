import DTICore
import Fluent
import Vapor

/// The file types accepted as evidence, recognised by their content.
enum EvidenceKind: String, CaseIterable {
    case pdf, docx, xlsx, png, jpeg

    var extensions: [String] {
        switch self {
        case .pdf: return ["pdf"]
        case .docx: return ["docx"]
        case .xlsx: return ["xlsx"]
        case .png: return ["png"]
        case .jpeg: return ["jpg", "jpeg"]
        }
    }

    var label: String { rawValue.uppercased() }

    /// The kind a file's name declares by its extension, if it is one we take.
    init?(fileName: String) {
        let ext = (fileName as NSString).pathExtension.lowercased()
        guard let kind = EvidenceKind.allCases.first(where: { $0.extensions.contains(ext) }) else { return nil }
        self = kind
    }

    static func refusal(_ fileName: String) -> String {
        "Chỉ nhận tệp PDF, DOCX, XLSX, PNG, JPEG; tệp \"\(fileName.excerpt())\" không thuộc các loại này."
    }

    /// The kind the bytes actually are, from the start of the file and (for
    /// the Office formats, which are ZIP archives) its central directory.
    static func detect(head: Data, tail: Data) -> EvidenceKind? {
        let h = [UInt8](head.prefix(8))
        if h.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if h.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if h.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if h.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let names = String(decoding: tail, as: UTF8.self)
            if names.contains("word/document.xml") { return .docx }
            if names.contains("xl/workbook.xml") { return .xlsx }
        }
        return nil
    }
}

/// Uploads: streamed to the file store, checked, hashed, and linked to
/// criteria; anything refused or interrupted leaves nothing behind.
enum EvidenceService {
    struct Metadata {
        var fileName: String
        var criteria: [String]
        var documentNumber: String
        var issuer: String
        var documentDate: String
    }

    static func metadata(_ req: Request) throws -> Metadata {
        func q(_ key: String) -> String { ((try? req.query.get(String.self, at: key)) ?? "").trimmingCharacters(in: .whitespaces) }
        return Metadata(fileName: q("name"), criteria: AccountDirectory.list(q("criteria")), documentNumber: q("number"),
                        issuer: q("issuer"), documentDate: q("date"))
    }

    /// Who may attach, and to which criteria: checked before any byte is read.
    /// Returns the kind the file name declares.
    /// What is wrong with a file's name as a browser or client sends it: a
    /// path, a hidden file, control characters, length.
    static func nameProblems(_ name: String) -> [String] {
        var problems: [String] = []
        if name.contains("/") || name.contains("\\") || name.contains("..") || name.hasPrefix(".") || name.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            problems.append("Tên tệp \"\(name.excerpt())\" không hợp lệ: không được chứa đường dẫn.")
        }
        if name.count > 200 { problems.append("Tên tệp quá dài (tối đa 200 ký tự).") }
        return problems
    }

    static func requireUploader(_ a: SelfAssessment, _ user: UserAccount) throws {
        guard user.role == .focalPoint, user.$unit.id == a.unit.id else {
            throw Abort(.forbidden, reason: "Chỉ cán bộ đầu mối của đơn vị được tải lên tài liệu kiểm chứng.")
        }
    }

    static func check(_ a: SelfAssessment, meta: Metadata, user: UserAccount) throws -> EvidenceKind {
        try requireUploader(a, user)
        // A locked or published period takes nothing: 409, as every other write.
        if a.period.locked { throw Abort(.conflict, reason: "Kỳ đánh giá đã khóa; không thể tải lên tài liệu kiểm chứng.") }
        var problems: [String] = []
        let name = meta.fileName
        if name.isEmpty { problems.append("Thiếu tên tệp (tham số name).") }
        problems += nameProblems(name)
        guard let declared = EvidenceKind(fileName: name) else {
            problems.append(EvidenceKind.refusal(name))
            throw Abort(.unsupportedMediaType, reason: problems.joined(separator: "\n"))
        }
        if meta.criteria.isEmpty { problems.append("Cần ít nhất một tiêu chí (tham số criteria).") }
        for code in meta.criteria {
            if a.framework.leafByCode[code] == nil { problems.append("Không có tiêu chí \"\(code.excerpt())\" trong bộ chỉ số.") }
            else if let refusal = a.editRefusal(for: user, criterion: code) { problems.append("Tiêu chí \(code): \(refusal.reason)") }
        }
        if !meta.documentDate.isEmpty, DateText.parseISO(meta.documentDate) == nil { problems.append("Ngày văn bản \"\(meta.documentDate)\" không hợp lệ; dùng yyyy-mm-dd.") }
        if meta.documentNumber.count > 100 || meta.issuer.count > 200 { problems.append("Số hiệu hoặc cơ quan ban hành quá dài.") }
        if !problems.isEmpty { throw Abort(.unprocessableEntity, reason: problems.joined(separator: "\n")) }
        return declared
    }

    /// A file arriving chunk by chunk: written to the store and hashed as it
    /// comes, refused past `maxBytes`. `discard()` leaves nothing behind.
    final class Intake {
        let writer: any FileWriting
        let maxBytes: Int
        var hasher = SHA256()
        var size = 0

        init(_ store: any FileStore, maxBytes: Int) throws {
            writer = try store.begin()
            self.maxBytes = maxBytes
        }

        func append(_ chunk: ByteBuffer) throws {
            size += chunk.readableBytes
            if size > maxBytes { throw Abort(.payloadTooLarge, reason: "Tệp vượt giới hạn \(maxBytes / 1_048_576) MB.") }
            let data = Data(chunk.readableBytesView)
            hasher.update(data: data)
            try writer.append(data)
        }

        /// Checks what arrived is the declared kind, then keeps it.
        func commit(named name: String, declared: EvidenceKind) throws -> (storedName: String, size: Int, sha256: String) {
            if size == 0 { throw Abort(.unprocessableEntity, reason: "Tệp rỗng.") }
            let detected = EvidenceKind.detect(head: try writer.readBack(limit: 16), tail: try writer.readTail(limit: 128 * 1024))
            guard let detected, detected == declared else {
                throw Abort(.unsupportedMediaType, reason: "Nội dung tệp \"\(name)\" không phải \(declared.label)\(detected.map { " (là \($0.label))" } ?? ""); tệp không được lưu.")
            }
            return (try writer.commit(), size, hasher.finalize().hex)
        }

        func discard() { writer.discard() }
    }

    /// The API upload: the request body is the file, metadata in the query.
    static func upload(_ a: SelfAssessment, meta: Metadata, maxBytes: Int, on req: Request) async throws -> EvidenceFile {
        guard let user = req.user else { throw Abort(.unauthorized, reason: "Cần đăng nhập.") }
        let declared = try check(a, meta: meta, user: user)
        let intake = try Intake(req.application.fileStore, maxBytes: maxBytes)
        let stored: (storedName: String, size: Int, sha256: String)
        do {
            for try await chunk in req.body { try intake.append(chunk) }
            stored = try intake.commit(named: meta.fileName, declared: declared)
        } catch {
            // Refused, too large or interrupted: nothing half-stored.
            intake.discard()
            throw error
        }
        return try await record(a, meta: meta, kind: declared, stored: stored, by: user, on: req.db)
    }

    /// The browser upload: a multipart form whose fields (criteria, number,
    /// issuer, date) come before the file, which streams like the API's.
    static func uploadForm(_ a: SelfAssessment, maxBytes: Int, on req: Request) async throws -> EvidenceFile {
        guard let user = req.user else { throw Abort(.unauthorized, reason: "Cần đăng nhập.") }
        try requireUploader(a, user)
        var fields: [String: [String]] = [:]
        var intake: Intake?
        var declared: EvidenceKind?
        var meta: Metadata?
        var stored: (storedName: String, size: Int, sha256: String)?
        func metadata(fileName: String) -> Metadata {
            func one(_ key: String) -> String { (fields[key]?.first ?? "").trimmingCharacters(in: .whitespaces) }
            let criteria = (fields["criteria"] ?? []).flatMap { AccountDirectory.list($0) }
            return Metadata(fileName: fileName, criteria: criteria, documentNumber: one("number"), issuer: one("issuer"), documentDate: one("date"))
        }
        do {
            try await MultipartStream.read(req) { event in
                switch event {
                case .field(let name, let value): fields[name, default: []].append(value)
                case .fileStart(_, let fileName):
                    guard intake == nil else { throw Abort(.unprocessableEntity, reason: "Mỗi lần chỉ tải lên một tệp.") }
                    let m = metadata(fileName: fileName)
                    declared = try check(a, meta: m, user: user)
                    meta = m
                    intake = try Intake(req.application.fileStore, maxBytes: maxBytes)
                case .fileData(let chunk): try intake?.append(chunk)
                case .fileEnd:
                    if let intake, let meta, let declared { stored = try intake.commit(named: meta.fileName, declared: declared) }
                }
            }
        } catch {
            if stored == nil { intake?.discard() }
            else if let stored { try? req.application.fileStore.remove(stored.storedName) }
            throw error
        }
        guard let meta, let declared, let stored else {
            throw Abort(.unprocessableEntity, reason: "Chưa chọn tệp để tải lên.")
        }
        return try await record(a, meta: meta, kind: declared, stored: stored, by: user, on: req.db)
    }

    static func record(_ a: SelfAssessment, meta: Metadata, kind: EvidenceKind, stored: (storedName: String, size: Int, sha256: String),
                       by user: UserAccount, on db: any Database) async throws -> EvidenceFile {
        let submission = try await SelfAssessmentService.submission(for: a, on: db)
        let file = EvidenceFile()
        file.$submission.id = submission.id!
        file.storedName = stored.storedName
        file.originalName = VietnameseText.normalized(meta.fileName)
        file.kind = kind.rawValue
        file.size = Int64(stored.size)
        file.sha256 = stored.sha256
        file.documentNumber = meta.documentNumber
        file.issuer = meta.issuer
        file.documentDate = meta.documentDate
        file.criteria = meta.criteria.joined(separator: ";")
        file.uploadedBy = user.username
        try await file.create(on: db)
        for code in meta.criteria {
            try await ChangeEntry(submissionID: submission.id!, criterion: code, actor: user.username, field: "evidence",
                                  old: "", new: "\(file.originalName) (\(file.sha256.prefix(12)))").create(on: db)
        }
        return file
    }
}
