import Fluent
import Vapor

/// Whether a period may be published, condition by condition: the
/// publication phase is open; every participating unit was appraised by the
/// council or is marked as not reporting with a reason; no correction request
/// is open; the scores are final (every phase in which they change is over,
/// no deadline exception still running).
struct PublicationReadiness: Content {
    struct Check: Content {
        var key: String
        var label: String
        var holds: Bool
        /// What stands in the way, one line each.
        var details: [String]
    }

    var checks: [Check]
    var ready: Bool { checks.allSatisfy(\.holds) }

    /// The reason a refusal carries: each failing condition and its first details.
    var refusal: String {
        "Chưa đủ điều kiện công bố:\n" + checks.filter { !$0.holds }.map { check in
            "- \(check.label): " + check.details.prefix(5).joined(separator: "; ") + (check.details.count > 5 ? "; và \(check.details.count - 5) mục khác" : "")
        }.joined(separator: "\n")
    }

    static func evaluate(_ period: Period, today: String, on db: any Database) async throws -> PublicationReadiness {
        var checks: [Check] = []
        let phases = Dictionary(period.phases.map { ($0.phase, $0) }, uniquingKeysWith: { a, _ in a })
        if let p = phases[Phase.publication.rawValue] {
            let open = p.startsOn <= today && today <= p.endsOn
            checks.append(Check(key: "phase", label: "Đang trong giai đoạn công bố", holds: open,
                                details: open ? [] : ["Giai đoạn công bố từ \(DateText.display(p.startsOn)) đến hết \(DateText.display(p.endsOn)); hôm nay là \(DateText.display(today))."]))
        } else {
            checks.append(Check(key: "phase", label: "Đang trong giai đoạn công bố", holds: false, details: ["Kỳ đánh giá chưa có giai đoạn công bố; hãy thêm ngày ở trang Sửa kỳ đánh giá."]))
        }
        let board = try await SeasonBoard.load(period, for: nil, today: today, on: db)
        let pending = board.rows.filter { $0.status != .appraised && $0.status != .notReporting }
        checks.append(Check(key: "appraised", label: "Mọi đơn vị tham gia đã được Hội đồng thẩm định hoặc được đánh dấu không báo cáo (có lý do)",
                            holds: pending.isEmpty, details: pending.map { "\($0.unit.name): \($0.status.label)" }))
        let open = board.rows.filter { $0.openCorrections > 0 }
        checks.append(Check(key: "corrections", label: "Không còn yêu cầu bổ sung, chỉnh sửa đang mở", holds: open.isEmpty,
                            details: open.map { "\($0.unit.name): \($0.openCorrections) yêu cầu đang mở" }))
        var running: [String] = []
        for phase in [Phase.selfAssessment, .evaluation, .corrections, .councilAppraisal] {
            if let p = phases[phase.rawValue], p.endsOn >= today { running.append("Giai đoạn \"\(phase.label)\" đến hết \(DateText.display(p.endsOn)).") }
        }
        let exceptions = try await PhaseException.query(on: db).filter(\.$period.$id == period.id!).filter(\.$until >= today).with(\.$unit).all()
        for e in exceptions {
            running.append("\(e.unit.name) được gia hạn \"\(Phase(rawValue: e.phase)?.label ?? e.phase)\" đến hết \(DateText.display(e.until)).")
        }
        checks.append(Check(key: "final", label: "Điểm đã chốt: các giai đoạn nhập và chấm điểm đã kết thúc", holds: running.isEmpty, details: running))
        // After preliminary results: the complaint window is over and every complaint answered.
        if period.preliminaryAt != nil {
            var waiting: [String] = []
            if let until = period.complaintsUntil, today <= until { waiting.append("Các đơn vị còn được khiếu nại đến hết ngày \(DateText.display(until)).") }
            let names = Dictionary(board.rows.map { ($0.unit.id!, $0.unit.name) }, uniquingKeysWith: { a, _ in a })
            for c in try await Complaint.query(on: db).filter(\.$period.$id == period.id!).filter(\.$status == Complaint.Status.open.rawValue).sort(\.$createdAt).all() {
                waiting.append("\(names[c.$unit.id] ?? ""): khiếu nại tiêu chí \(c.criterion) chờ trả lời")
            }
            checks.append(Check(key: "complaints", label: "Đã hết hạn khiếu nại kết quả dự kiến và mọi khiếu nại đã được trả lời", holds: waiting.isEmpty, details: waiting))
        }
        return PublicationReadiness(checks: checks)
    }
}
