import Vapor

struct PeriodSummary: Content {
    var id: UUID?
    var year: Int
    var title: String
    var locked: Bool
    var currentPhase: String?
}

/// A phase in the API: dates in ISO 8601 (yyyy-mm-dd), as they are sent.
struct PhaseRow: Content {
    var phase: String
    var label: String
    var startsOn: String
    var endsOn: String
    var current: Bool
}

struct PeriodPage: Encodable {
    struct UnitLink: Encodable { var code: String; var name: String; var group: String }
    /// A phase as people read it: dates dd/mm/yyyy.
    struct PhaseLine: Encodable {
        var label: String, startsOn: String, endsOn: String, current: Bool
        init(_ row: PhaseRow) {
            (label, startsOn, endsOn, current) = (row.label, DateText.display(row.startsOn), DateText.display(row.endsOn), row.current)
        }
    }
    var layout: Layout
    var period: PeriodSummary
    var phases: [PhaseLine]
    var frameworks: [FrameworkSummary]
    var units: [UnitLink]
    var editable: Bool
    var message: String?
    var phaseOptions: [LevelOption]
}
