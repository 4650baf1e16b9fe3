import Vapor

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

/// The API's framework (`GET /api/v1/frameworks/:key/:version`) and what its page shows below the header.
struct FrameworkDetail: Content {
    var framework: FrameworkSummary
    var source: String?
    var provenance: String?
    var methodLabel: String
    var bands: [String]
    var nodes: [FrameworkNodeRow]
}

struct FrameworkPage: Encodable {
    var layout: Layout
    var detail: FrameworkDetail
}
