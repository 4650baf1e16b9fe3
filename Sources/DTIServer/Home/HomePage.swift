import Vapor

struct HomePage: Encodable {
    var layout: Layout
    var unitCount: Int
    var frameworkCount: Int
    var periods: [PeriodSummary]
    var todo: TodoList?
}
