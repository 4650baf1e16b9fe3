import Fluent
import Vapor

/// Evidence: upload (streamed), list, and download — only to those who may
/// read the unit's self-assessment, and always as an attachment.
struct EvidenceController: RouteCollection {
    let maxBytes: Int

    func boot(routes: any RoutesBuilder) throws {
        // Signed in; the service allows the unit's focal point to upload and
        // the self-assessment's readers to list and download.
        let signedIn = routes.grouped(RoleGuard.signedIn)
        signedIn.on(.POST, "api", "v1", "periods", ":id", "units", ":code", "evidence", body: .stream, use: upload)
        signedIn.get("api", "v1", "periods", ":id", "units", ":code", "evidence", use: list)
        signedIn.get("api", "v1", "evidence", ":file", use: download)
        // The browser form (multipart, streamed; the CSRF token is its first field).
        signedIn.on(.POST, "periods", ":id", "units", ":code", "evidence", body: .stream, use: uploadForm)
    }

    struct Item: Content {
        var id: UUID?
        var name: String
        var kind: String
        var size: Int64
        var sha256: String
        var documentNumber: String
        var issuer: String
        var documentDate: String
        var criteria: [String]
        var uploadedBy: String
    }

    func item(_ f: EvidenceFile) -> Item {
        Item(id: f.id, name: f.originalName, kind: f.kind, size: f.size, sha256: f.sha256, documentNumber: f.documentNumber,
             issuer: f.issuer, documentDate: f.documentDate, criteria: AccountDirectory.list(f.criteria), uploadedBy: f.uploadedBy)
    }

    @Sendable func upload(req: Request) async throws -> Response {
        let a = try await SelfAssessment.load(req.context, periodID: req.parameters.get("id", as: UUID.self), unitCode: req.parameters.get("code") ?? "")
        let file = try await EvidenceService.upload(a, meta: try EvidenceService.metadata(req), maxBytes: maxBytes, on: req)
        return try await item(file).encodeResponse(status: .created, for: req)
    }

    @Sendable func uploadForm(req: Request) async throws -> Response {
        try await SelfAssessmentController.formAction(req) { a in
            let file = try await EvidenceService.uploadForm(a, maxBytes: maxBytes, on: req)
            return "Đã lưu tài liệu \(file.originalName) (\(file.kind.uppercased()), \(DateText.size(file.size))) cho tiêu chí \(AccountDirectory.list(file.criteria).joined(separator: ", "))."
        }
    }

    @Sendable func list(req: Request) async throws -> [Item] {
        let a = try await SelfAssessment.load(req.context, periodID: req.parameters.get("id", as: UUID.self), unitCode: req.parameters.get("code") ?? "")
        guard let submission = a.submission else { return [] }
        return try await EvidenceFile.query(on: req.db).filter(\.$submission.$id == submission.id!).sort(\.$uploadedAt).all().map(item)
    }

    @Sendable func download(req: Request) async throws -> Response {
        guard let id = req.parameters.get("file", as: UUID.self),
              let file = try await EvidenceFile.query(on: req.db).filter(\.$id == id).with(\.$submission, { $0.with(\.$unit) }).first() else {
            throw Abort(.notFound, reason: "Không có tài liệu này.")
        }
        // The same rule as reading the self-assessment it belongs to.
        _ = try await SelfAssessment.load(req.context, periodID: file.submission.$period.id, unitCode: file.submission.unit.code)
        // Streamed from disk in chunks, never read whole.
        guard let path = try req.application.fileStore.localPath(of: file.storedName) else { throw Abort(.notFound, reason: "Tệp không còn trong kho lưu trữ.") }
        let response = try await req.fileio.asyncStreamFile(at: path, mediaType: .binary)
        var headers = response.headers
        let ascii = file.originalName.unicodeScalars.map { $0.isASCII && $0 != "\"" ? String($0) : "_" }.joined()
        let encoded = file.originalName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ascii
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: "X-Content-SHA256", value: file.sha256)
        response.headers = headers
        return response
    }
}
