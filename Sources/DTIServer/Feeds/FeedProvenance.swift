import DTICore
import Fluent
import Foundation
import Vapor

/// Where an automated answer came from (issue 33): the feed, its field, the month the value is
/// of and the ingestion that brought it. The form's API rows carry it as `source`, and the page
/// links the criterion's provenance to the ingestion.
struct FeedProvenance: Content, Equatable {
    var feed: String
    var field: String
    /// `YYYY-MM`: the latest month the value counts.
    var month: String
    /// The number of the ingestion that brought the newest of the months counted.
    var ingestion: Int
    var receivedAt: Date

    /// The source of a value written at `asOf` from `received` (every value the unit ever received
    /// for the binding's feed): the values known then, combined as the binding says. Nil when none
    /// was known. A millisecond of slack: the answer and its ingestion share one clock reading, and
    /// a stored date may come back rounded.
    static func of(_ binding: FeedBinding, year: Int, received: [FeedStore.Received], asOf: Date) -> FeedProvenance? {
        let limit = asOf.addingTimeInterval(0.001)
        var known: [FeedMonth: (received: FeedStore.Received, value: ScaledDecimal)] = [:]
        for r in received where r.field == binding.field && r.received_at <= limit && (r.superseded_at.map { $0 > limit } ?? true) {
            guard let month = FeedMonth(r.month), month.year == year, let value = FeedIngestion.decimal(r.value) else { continue }
            if let other = known[month], other.received.number > r.number { continue }
            known[month] = (r, value)
        }
        guard let (_, month) = binding.value(of: known.mapValues(\.value), year: year) else { return nil }
        // The months the value counts: the latest alone, or every month so far.
        let counted = binding.combine == .latest ? [known[month]!.received] : known.filter { $0.key <= month }.map(\.value.received)
        let newest = counted.max { $0.number < $1.number }!
        return FeedProvenance(feed: binding.feed, field: binding.field, month: month.description, ingestion: newest.number, receivedAt: newest.received_at)
    }

    /// The sources of `a`'s automated answers, by criterion: one read per feed the framework binds,
    /// and none for a framework that binds no feed.
    static func load(_ a: SelfAssessment, on db: any Database) async throws -> [String: FeedProvenance] {
        let fw = a.framework
        var bound: [String: [(code: String, binding: FeedBinding, asOf: Date)]] = [:]
        for leaf in fw.leaves {
            let node = fw.nodes[leaf]
            guard let binding = node.feed, let answer = a.answers[node.code], let asOf = answer.updatedAt else { continue }
            bound[binding.feed, default: []].append((node.code, binding, asOf))
        }
        guard !bound.isEmpty, let unit = a.unit.id else { return [:] }
        let store = try FeedStore(db)
        var sources: [String: FeedProvenance] = [:]
        for (feed, criteria) in bound {
            let received = try await store.received(feed: feed, unit: unit, fields: Array(Set(criteria.map(\.binding.field))))
            for c in criteria {
                sources[c.code] = of(c.binding, year: fw.framework.year, received: received, asOf: c.asOf)
            }
        }
        return sources
    }
}
