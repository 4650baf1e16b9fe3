import Foundation
import Yams

/// The decision that publishes a period's results, as a versioned file
/// (`reports/*.yaml`, schema `opendti.report/1`): the administrative texts
/// and page layout live in data, the figures come from the results.
public struct DecisionTemplate: Codable, Sendable {
    public struct Page: Codable, Sendable {
        public var font: String
        public var fontSize: Double
        public var marginsMm: [String: Double]
        enum CodingKeys: String, CodingKey { case font, fontSize = "font_size", marginsMm = "margins_mm" }
    }

    public var schema: String
    public var id: String
    public var version: Int
    public var page: Page
    public var issuer: [String]
    public var number: String
    public var motto: [String]
    public var placeDate: String
    public var kind: String
    public var summary: String
    public var authority: String
    public var bases: [String]
    public var decides: String
    public var articles: [String]
    public var recipients: [String]
    public var signature: [String]
    public var appendixTitle: String
    public var appendixSubtitle: String
    public var appendixNote: String
    public var analysisTitle: String

    enum CodingKeys: String, CodingKey {
        case schema, id, version, page, issuer, number, motto, kind, summary, authority, bases, decides, articles, recipients, signature
        case placeDate = "place_date", appendixTitle = "appendix_title", appendixSubtitle = "appendix_subtitle"
        case appendixNote = "appendix_note", analysisTitle = "analysis_title"
    }

    public static func load(yaml: String, file: String) throws -> DecisionTemplate {
        do {
            let t = try YAMLDecoder().decode(DecisionTemplate.self, from: yaml)
            guard t.schema == "opendti.report/1" else { throw TableProblemText(message: "\(file): schema phải là opendti.report/1") }
            return t
        } catch let e as TableProblemText { throw e } catch {
            throw TableProblemText(message: "\(file): không đọc được mẫu văn bản (\(error))")
        }
    }

    /// Replaces {name} with its value; {NAME_UPPER} with the value in capitals.
    public static func fill(_ text: String, _ values: [String: String]) -> String {
        var out = text
        for (key, value) in values {
            out = out.replacingOccurrences(of: "{\(key)}", with: value)
            out = out.replacingOccurrences(of: "{\(key.uppercased())_UPPER}", with: value.uppercased(with: Locale(identifier: "vi_VN")))
        }
        return out
    }
}

public struct TableProblemText: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
