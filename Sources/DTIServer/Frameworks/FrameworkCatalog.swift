import DTICore
import DTIFormats
import Fluent
import Vapor

/// Framework versions: import from YAML, summaries and the public
/// methodology tree. A version, once imported, is never changed.
enum FrameworkCatalog {
    enum ImportOutcome {
        case imported(FrameworkVersion)
        case alreadyPresent(FrameworkVersion)
    }

    /// Imports a framework file. The same content again is a no-op; a
    /// different content under an existing key and version is refused, and so
    /// is a criterion filled from a feed (or a field of it) the server does not know.
    static func importYAML(_ text: String, file: String, feeds: [Feed], on db: any Database) async throws -> ImportOutcome {
        func invalid(_ problems: [TableProblem]) -> Abort {
            Abort(.unprocessableEntity, reason: "Tệp bộ chỉ số không hợp lệ:\n" + problems.map(\.description).joined(separator: "\n"))
        }
        let framework: Framework
        do {
            framework = try FrameworkLoader.parse(text, file: file)
        } catch {
            throw invalid(error.problems)
        }
        let unknown = FeedLoader.check(framework, feeds: feeds, file: file)
        guard unknown.isEmpty else { throw invalid(unknown) }
        let sha = SHA256.hash(data: Data(text.utf8)).hex
        if let existing = try await FrameworkVersion.query(on: db)
            .filter(\.$key == framework.id).filter(\.$version == framework.version).first() {
            if existing.sha256 == sha { return .alreadyPresent(existing) }
            throw Abort(.conflict, reason: "Bộ chỉ số \"\(framework.id)\" phiên bản \(framework.version) đã có với nội dung khác. Mỗi thay đổi cần một phiên bản mới (tăng \"version\").")
        }
        let version = FrameworkVersion(key: framework.id, version: framework.version, level: framework.level,
                                       year: framework.year, title: framework.title, yaml: text, sha256: sha)
        try await version.create(on: db)
        return .imported(version)
    }

    /// The parsed framework of a stored version (stored files always parse:
    /// they were checked on import).
    /// The stored version, parsed once: versions never change (a change is a
    /// new version), so the parse is kept, keyed by the content's hash.
    static func framework(_ version: FrameworkVersion) throws -> Framework {
        try ParsedFrameworks.shared.entry(version).framework
    }

    /// The same, flattened for scoring.
    static func compiled(_ version: FrameworkVersion) throws -> CompiledFramework {
        try ParsedFrameworks.shared.entry(version).compiled
    }

    static func summary(_ version: FrameworkVersion) throws -> FrameworkSummary {
        let f = try framework(version)
        return FrameworkSummary(
            key: version.key, version: version.version, level: version.level, levelLabel: Levels.label(version.level),
            year: version.year, title: version.title, sha256: version.sha256,
            maxPoints: f.maxPoints.formatted(decimals: f.maxPoints.significantDecimals, separator: ","), method: f.method.rawValue)
    }

    static func nodes(_ framework: Framework) -> [FrameworkNodeRow] {
        let compiled = CompiledFramework(framework)
        return compiled.nodes.enumerated().map { i, node in
            FrameworkNodeRow(
                code: node.code, kind: node.kind.rawValue, kindLabel: node.kind.label, name: node.name,
                depth: compiled.depth[i], indent: compiled.depth[i] * 2,
                max: node.max.formatted(decimals: node.max.significantDecimals, separator: ","),
                rule: node.rule.map { describe($0, max: node.max) },
                evidence: node.evidence, dataSource: node.dataSource, verifyingUnit: node.verifyingUnit,
                applicability: describe(node.applicability), note: node.note)
        }
    }

    static func text(_ v: ScaledDecimal) -> String { v.formatted(decimals: v.significantDecimals, separator: ",") }

    /// The scoring rule in Vietnamese, as the public methodology states it.
    static func describe(_ rule: Rule, max: ScaledDecimal) -> String {
        switch rule {
        case .yesNo:
            return "Có: \(text(max)) điểm; không: 0 điểm."
        case .tiers(let tiers):
            return tiers.map { "từ \(text($0.atLeast)) trở lên: \(text($0.points)) điểm" }.joined(separator: "; ") + "; còn lại: 0 điểm."
        case .ratio(let r):
            let zero: String
            switch r.whenDenominatorIsZero {
            case .zero: zero = "b = 0: 0 điểm"
            case .full: zero = "b = 0: điểm tối đa"
            case .notApplicable: zero = "b = 0: không áp dụng"
            }
            return "a = \(r.numerator); b = \(r.denominator); điểm = a/b × \(text(max)) (a ≤ b); \(zero)."
        case .choice(let options):
            return options.map { "\($0.label): \(text($0.fraction.multiplied(by: max, dividedBy: ScaledDecimal(1)))) điểm" }.joined(separator: "; ") + "."
        case .parts(let options):
            return "Cộng điểm các điều kiện đạt: " + options.map { "\($0.label): \(text($0.fraction.multiplied(by: max, dividedBy: ScaledDecimal(1)))) điểm" }.joined(separator: "; ") + "."
        case .cappedCount(let perItem):
            return "\(text(perItem)) điểm cho mỗi mục, tối đa \(text(max)) điểm."
        case .manual(let rubric):
            return "Chấm điểm từ 0 đến \(text(max))" + (rubric.map { ": \($0)" } ?? ".")
        }
    }

    static func describe(_ a: Applicability) -> String? {
        var parts: [String] = []
        if a.notDeployed { parts.append("Năm nay tỉnh chưa triển khai: không tính vào điểm tối đa") }
        if !a.exceptTags.isEmpty {
            let names = a.exceptTags.sorted().map { $0 == "no-online-public-services" ? "đơn vị không có dịch vụ công trực tuyến" : $0 }
            parts.append("Không áp dụng cho: " + names.joined(separator: ", "))
        }
        return parts.isEmpty ? nil : parts.joined(separator: ". ")
    }
}

/// Frameworks parsed and compiled once per stored version (by content hash).
final class ParsedFrameworks: @unchecked Sendable {
    static let shared = ParsedFrameworks()
    private let lock = NSLock()
    // Guarded by `lock`.
    private var entries: [String: (framework: Framework, compiled: CompiledFramework)] = [:]

    func entry(_ version: FrameworkVersion) throws -> (framework: Framework, compiled: CompiledFramework) {
        let key = "\(version.key)@\(version.version)#\(version.sha256)"
        if let hit = lock.withLock({ entries[key] }) { return hit }
        let framework: Framework
        do { framework = try FrameworkLoader.parse(version.yaml, file: "\(version.key)@\(version.version)") } catch {
            throw Abort(.internalServerError, reason: "Bộ chỉ số lưu trữ không đọc được.")
        }
        let entry = (framework, CompiledFramework(framework))
        lock.withLock { entries[key] = entry }
        return entry
    }
}

