import Foundation
import Vapor

/// Whether and how long an answer may be kept as bytes (`PublishedBytes`), declared where its
/// route is registered (`.kept(…)`). A route that declares nothing is rendered for every request,
/// whatever its address looks like.
struct KeepRule: Sendable, Equatable {
    /// How long the bytes are kept: nil for good (a published record never changes; a correction
    /// forgets its pages through the publication service).
    var seconds: TimeInterval?
    /// The route parameter naming the published period the answer is made from: the period's
    /// pages are forgotten together when its record is corrected, and the id has one spelling
    /// (other spellings are sent there with a 301).
    var period: String?
    /// Query parameters that only choose which kept page is shown, each a positive integer written
    /// the one way (`2`, not `02`). Any other query is rendered each time and never kept, so no
    /// stream of made-up addresses can fill the store.
    var choosing: Set<String> = []
    /// The same bytes for every reader (a download), so served from the store to signed-in
    /// readers too. A page is not: a signed-in reader's page carries their name and form token.
    var forEveryone = false

    /// A page or download made from a published record: kept for good, any `version` of the record.
    static func published(period: String = "id", choosing: Set<String> = [], download: Bool = false) -> KeepRule {
        KeepRule(seconds: nil, period: period, choosing: choosing.union(["version"]), forEveryone: download)
    }

    /// A public listing (home, frameworks, units, the list of results): kept a few seconds, so an
    /// administrator's change shows within that.
    static let listing = KeepRule(seconds: listingSeconds)

    static let listingSeconds: TimeInterval = 10

    /// Whether `query` (after "?", nil when none) only chooses among kept pages.
    func allows(query: String?) -> Bool {
        guard let query else { return true }
        return query.split(separator: "&", omittingEmptySubsequences: false).allSatisfy { parameter in
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, choosing.contains(String(pair[0])), let n = Int(pair[1]), n >= 1 else { return false }
            return String(n) == pair[1]
        }
    }

    fileprivate static let key = "opendti.keep"
}

extension Route {
    /// Declares that this route's anonymous answers may be kept as bytes (`KeepRule`).
    @discardableResult
    func kept(_ rule: KeepRule) -> Route {
        userInfo[KeepRule.key] = rule
        return self
    }

    var keepRule: KeepRule? { userInfo[KeepRule.key] as? KeepRule }
}

/// The GET routes as Vapor's router finds them, each with the rule it declares (or none): the
/// rule of an address is the rule of the route that answers it.
final class KeptRoutes: @unchecked Sendable {  // the trie is only read once built
    struct Match: Sendable {
        var rule: KeepRule
        /// The index of the period's path segment (among the non-empty ones), when the rule names one.
        var periodIndex: Int?
    }

    private struct Slot { var match: Match? }
    private let router: TrieRouter<Slot>

    init(_ routes: Routes) {
        router = TrieRouter(Slot.self, options: routes.caseInsensitive ? [.caseInsensitive] : [])
        for route in routes.all where route.method == .GET {
            // As Vapor's DefaultResponder registers it: empty constants left out.
            let path = route.path.filter { if case .constant("") = $0 { return false } else { return true } }
            let match = route.keepRule.map { rule in
                Match(rule: rule, periodIndex: rule.period.flatMap { name in  // among the path's segments
                    path.firstIndex { if case .parameter(name) = $0 { return true } else { return false } }
                })
            }
            router.register(Slot(match: match), at: [.constant("GET")] + path)  // a trie path is never empty
        }
    }

    /// The rule of the route a GET of `path` reaches, or nil (no route, or one that declares nothing).
    func match(path: some StringProtocol) -> Match? {
        var parameters = Parameters()
        return router.route(path: ["GET"] + path.split(separator: "/" as Character).map { String($0) }, parameters: &parameters)?.match
    }

    /// The published period a kept address names, when its rule names one and it is an id.
    func period(_ match: Match, path: some StringProtocol) -> UUID? {
        guard let index = match.periodIndex else { return nil }
        let parts = path.split(separator: "/" as Character)
        return index < parts.count ? UUID(uuidString: String(parts[index])) : nil
    }

    /// The match of `target` (path and query) when it is a published page or download, kept for
    /// good and naming a period by its id; nil otherwise.
    func published(_ target: String) -> Match? {
        let path = target.prefix { $0 != "?" }
        guard let match = match(path: path), match.rule.period != nil, period(match, path: path) != nil else { return nil }
        return match
    }

    /// The one spelling of an address made from a published record, when `target` is another:
    /// the period's id as `UUID.uuidString` writes it (upper case, as every link of the site
    /// does), each other path segment percent-encoded the one way the site's links are
    /// (`urlPathEncoded`), no empty segment, the query as sent. Nil when `target` is that spelling
    /// already or names no published period. Another spelling is sent there (301) rather than
    /// rendered and kept anew: one address, one kept page, forgotten in one piece after a
    /// correction (issue 31, Medium 7).
    /// `match` is the path's, when the caller has looked it up already.
    func canonical(_ target: String, match known: Match? = nil) -> String? {
        let split = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = split[0]
        guard let index = (known ?? match(path: path))?.periodIndex else { return nil }
        var parts: [String] = []
        for (i, part) in path.split(separator: "/" as Character).enumerated() {
            guard let decoded = part.removingPercentEncoding,
                  let encoded = i == index ? UUID(uuidString: decoded)?.uuidString : decoded.addingPercentEncoding(withAllowedCharacters: Self.segmentAllowed)
            else { return nil }
            parts.append(encoded)
        }
        let canonicalPath = "/" + parts.joined(separator: "/")
        guard canonicalPath != path else { return nil }
        return canonicalPath + (split.count == 2 ? "?" + split[1] : "")
    }

    /// What a path segment of the site's links leaves unencoded (`urlPathEncoded`, without "/").
    private static let segmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
}
