import Fluent
import Vapor

/// Reminders before a deadline: while a period's self-assessment phase has
/// `daysAhead` days or fewer left, the focal points and leaders of every
/// unit that has not sent its self-assessment are reminded, once per
/// deadline; while the corrections phase closes, so are the units with a
/// correction request still open. Delivered through the outbox like every
/// notification.
enum DeadlineReminders {
    static let daysAhead = 3

    /// Creates the reminders due `today`; returns how many were created.
    @discardableResult
    static func sweep(on db: any Database, today: String) async throws -> Int {
        let horizon = DateText.adding(days: daysAhead, to: today)
        var created = 0
        for period in try await Period.query(on: db).filter(\.$locked == false).with(\.$phases).with(\.$frameworks).all() {
            for phase in period.phases where phase.endsOn >= today && phase.endsOn <= horizon && phase.startsOn <= today {
                let levels = Set(period.frameworks.map(\.level))
                let submissions = try await Submission.query(on: db).filter(\.$period.$id == period.id!).all()
                var due: [UnitModel] = []
                switch Phase(rawValue: phase.phase) {
                case .selfAssessment?:
                    let sent = Set(submissions.filter { $0.state == .submitted }.map(\.$unit.id))
                    due = try await UnitModel.query(on: db).all().filter {
                        levels.contains($0.level) && !sent.contains($0.id!) && ($0.validUntil == nil || $0.validUntil! > today)
                    }
                case .corrections?:
                    let ids = submissions.compactMap(\.id)
                    guard !ids.isEmpty else { continue }
                    let open = try await CorrectionRequest.query(on: db).filter(\.$submission.$id ~~ ids)
                        .filter(\.$status != CorrectionRequest.Status.closed.rawValue).all()
                    let units = Set(submissions.filter { s in open.contains { $0.$submission.id == s.id } }.map(\.$unit.id))
                    due = try await UnitModel.query(on: db).all().filter { units.contains($0.id!) }
                default: continue
                }
                let kind = "deadline:\(period.id!.uuidString):\(phase.phase):\(phase.endsOn)"
                let already = Set(try await OutboxMessage.query(on: db).filter(\.$kind == kind).all().map(\.recipient))
                let label = Phase(rawValue: phase.phase)?.label ?? phase.phase
                for unit in due {
                    let people = try await Notifier.accounts(of: unit, role: .focalPoint, on: db) + Notifier.accounts(of: unit, role: .unitLeader, on: db)
                    let recipients = people.filter { !already.contains($0.username) }
                    guard !recipients.isEmpty else { continue }
                    let what = phase.phase == Phase.selfAssessment.rawValue
                        ? "Bản tự đánh giá của \(unit.name) chưa được gửi thẩm định."
                        : "\(unit.name) còn yêu cầu bổ sung, chỉnh sửa chưa được đóng."
                    try await Notifier.notify(recipients, kind: kind,
                                              subject: "Sắp hết hạn \(label.lowercased()): \(period.title) (hạn \(DateText.display(phase.endsOn)))",
                                              body: "\(what)\nGiai đoạn \"\(label)\" của \(period.title) kết thúc ngày \(DateText.display(phase.endsOn)); sau hạn này hệ thống không nhận số liệu nữa.",
                                              link: "/periods/\(period.id!)/units/\(unit.code.urlPathEncoded)", on: db)
                    created += recipients.count
                }
            }
        }
        return created
    }
}

/// Runs the reminder sweep once an hour while the server runs.
final class DeadlineReminderWorker: LifecycleHandler, @unchecked Sendable {
    // Set in didBoot, cancelled in shutdown (both on the application's lifecycle).
    private var task: Task<Void, Never>?

    func didBootAsync(_ application: Application) async throws {
        let db = application.db
        let logger = application.logger
        task = Task {
            while !Task.isCancelled {
                do {
                    let created = try await DeadlineReminders.sweep(on: db, today: DateText.todayISO(application.clock.now()))
                    if created > 0 { logger.info("deadline reminders: \(created) created") }
                } catch {
                    logger.warning("deadline reminders: \(error)")
                }
                try? await Task.sleep(nanoseconds: 3_600_000_000_000)
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        task?.cancel()
    }
}
