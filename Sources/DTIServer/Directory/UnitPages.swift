import Vapor

struct UnitRow: Content {
    var id: UUID?
    var code: String
    var name: String
    var level: String
    var levelLabel: String
    var group: String
    var tags: [String]
    var parentCode: String?
}

struct UnitsPage: Encodable {
    var layout: Layout
    var query: String
    var units: [UnitRow]
    var count: Int
}

struct UnitFormPage: Encodable {
    var layout: Layout
    var form: UnitInput
    var errors: [String]
    var levels: [LevelOption]
    var importErrors: [String]
    var importText: String
}

struct LevelOption: Encodable {
    var value: String
    var label: String
    var selected: Bool
}
