import Fluent
import Foundation

/// An assessment year (Kỳ đánh giá) with its frameworks and phases.
final class Period: Model, @unchecked Sendable {
    static let schema = "periods"

    @ID(key: .id) var id: UUID?
    @Field(key: "year") var year: Int
    @Field(key: "title") var title: String
    @Field(key: "locked") var locked: Bool
    /// A past decision loaded as results only: no self-assessment, no workflow.
    @Field(key: "results_only") var resultsOnly: Bool
    /// When the preliminary results went to the units (công bố kết quả dự kiến), if they did.
    @OptionalField(key: "preliminary_at") var preliminaryAt: Date?
    /// The last day (ISO, inclusive) a unit may complain about its preliminary results.
    @OptionalField(key: "complaints_until") var complaintsUntil: String?
    @Children(for: \.$period) var phases: [PeriodPhase]
    @Children(for: \.$period) var frameworks: [PeriodFramework]
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(year: Int, title: String) {
        self.year = year
        self.title = title
        self.locked = false
        self.resultsOnly = false
    }
}

/// The framework version a period uses for one level.
final class PeriodFramework: Model, @unchecked Sendable {
    static let schema = "period_frameworks"

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Field(key: "level") var level: String
    @Parent(key: "framework_version_id") var frameworkVersion: FrameworkVersion

    init() {}

    init(periodID: UUID, level: String, frameworkVersionID: UUID) {
        self.$period.id = periodID
        self.level = level
        self.$frameworkVersion.id = frameworkVersionID
    }
}

/// A phase of a period with its dates (ISO yyyy-mm-dd, inclusive).
final class PeriodPhase: Model, @unchecked Sendable {
    static let schema = "period_phases"

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Field(key: "phase") var phase: String
    @Field(key: "starts_on") var startsOn: String
    @Field(key: "ends_on") var endsOn: String

    init() {}

    init(periodID: UUID, phase: Phase, startsOn: String, endsOn: String) {
        self.$period.id = periodID
        self.phase = phase.rawValue
        self.startsOn = startsOn
        self.endsOn = endsOn
    }
}

/// The phases of the yearly cycle, in order.
public enum Phase: String, Codable, CaseIterable, Sendable {
    case selfAssessment = "self_assessment"
    case evaluation
    case corrections
    case councilAppraisal = "council_appraisal"
    case consolidation
    case publication

    public var label: String {
        switch self {
        case .selfAssessment: return "Tự đánh giá"
        case .evaluation: return "Đánh giá, thẩm định"
        case .corrections: return "Bổ sung, chỉnh sửa"
        case .councilAppraisal: return "Hội đồng thẩm định"
        case .consolidation: return "Tổng hợp kết quả"
        case .publication: return "Công bố"
        }
    }
}

/// A unit taking part in a period; a unit marked as not reporting (with the
/// reason) is ranked as "không báo cáo" whatever it entered.
final class PeriodUnit: Model, @unchecked Sendable {
    static let schema = "period_units"

    @ID(key: .id) var id: UUID?
    @Parent(key: "period_id") var period: Period
    @Parent(key: "unit_id") var unit: UnitModel
    /// Empty while the unit reports.
    @Field(key: "not_reporting_reason") var notReportingReason: String

    init() {}

    init(periodID: UUID, unitID: UUID) {
        self.$period.id = periodID
        self.$unit.id = unitID
        self.notReportingReason = ""
    }
}
