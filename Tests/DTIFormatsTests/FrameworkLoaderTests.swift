import DTICore
import Foundation
import Testing
@testable import DTIFormats

@Suite("Framework files")
struct FrameworkLoaderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shipped = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("frameworks").path))?
        .filter { $0.hasSuffix(".yaml") }.sorted() ?? []

    @Test("every shipped framework loads and its maxima add up", arguments: shipped)
    func shippedLoad(_ name: String) throws {
        let f = try FrameworkLoader.load(path: Self.root.appendingPathComponent("frameworks/\(name)").path)
        #expect(!f.roots.isEmpty)
        #expect(f.provenance?.isEmpty == false, "every shipped file says what is known of its source")
        for node in f.allNodes where !node.isLeaf {
            #expect(node.max == node.children.reduce(.zero) { $0 + $1.max }, "\(name) \(node.code)")
        }
    }

    @Test("shipped frameworks carry the published maxima")
    func publishedMaxima() throws {
        func load(_ n: String) throws -> Framework { try FrameworkLoader.load(path: Self.root.appendingPathComponent("frameworks/\(n)").path) }
        #expect(try load("daklak-2021-department.yaml").maxPoints == ScaledDecimal(180))
        let district2021 = try load("daklak-2021-district.yaml")
        #expect(district2021.maxPoints == ScaledDecimal(420))
        #expect(district2021.roots.map(\.max) == [ScaledDecimal(200), ScaledDecimal(95), ScaledDecimal(125)])
        let dept2023 = CompiledFramework(try load("daklak-2023-department.yaml"))
        #expect(dept2023.framework.maxPoints == ScaledDecimal(1000))
        #expect(dept2023.mainIndices.map { dept2023.nodes[$0].max } == [100, 100, 100, 100, 100, 500].map { ScaledDecimal($0) })
        let district2023 = CompiledFramework(try load("daklak-2023-district.yaml"))
        #expect(district2023.mainIndices.map { district2023.nodes[$0].max } == [100, 100, 100, 100, 100, 200, 150, 150].map { ScaledDecimal($0) })
        let national = CompiledFramework(try load("national-922-province-2022.yaml"))
        #expect(national.mainIndices.count == 9)
        #expect(national.framework.maxPoints == ScaledDecimal(1000))
        #expect(national.framework.method == .weighted)
        // 405/QĐ-BKHCN (2025): three pillars, 400 + 300 + 300.
        let national2025 = try load("national-405-province-2025.yaml")
        #expect(national2025.roots.map(\.name) == ["Chính phủ số", "Kinh tế số", "Xã hội số"])
        #expect(national2025.roots.map(\.max) == [400, 300, 300].map { ScaledDecimal($0) } && national2025.maxPoints == ScaledDecimal(1000))
        #expect(national2025.provenance?.contains("47 chỉ số thành phần") == true)
        let example = try load("example-all-rules.yaml")
        let types = Set(example.allNodes.compactMap { $0.rule?.typeName })
        #expect(types == ["yes_no", "tiers", "ratio", "choice", "parts", "capped_count", "manual"])
    }

    func problems(_ yaml: String) -> [String] {
        do {
            _ = try FrameworkLoader.parse(yaml, file: "f.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    let header = """
    schema: opendti.framework/1
    id: t
    title: T
    level: district
    year: 2024
    version: 1
    method: raw

    """

    @Test("a malformed framework names file, line, column and field")
    func errors() {
        #expect(problems(header + "tree:\n  - index: \"1\"\n    name: A\n    max: 10\n    rule: {type: yes_no}\n    maxx: 3\n")
                == ["f.yaml:13:5: nút: trường không được hỗ trợ \"maxx\" (được phép: applies, children, component, criterion, data_source, evidence, feed, group, index, max, name, note, pillar, range, rule, verifying_unit, weight)"])
        #expect(problems(header + "tree:\n  - index: \"1\"\n    name: A\n    max: mười\n    rule: {type: yes_no}\n")
                == ["f.yaml:11:10: trường \"max\": \"mười\" không phải là số"])
        #expect(problems(header + "tree:\n  - index: \"1\"\n    name: A\n    max: 10\n    rule: {type: percent}\n")
                == ["f.yaml:12:18: trường \"rule.type\": \"percent\" không hợp lệ; dùng yes_no, tiers, ratio, choice, parts, capped_count hoặc manual"])
        #expect(problems(header + "tree:\n  - index: \"1\"\n    name: A\n    max: 30\n    children:\n      - {criterion: a, name: a, max: 10, rule: {type: yes_no}}\n")
                == ["f.yaml:11:10: trường \"max\": nút 1 ghi 30 điểm nhưng các nút con cộng lại 10"])
        #expect(problems(header + "tree:\n  - index: \"1\"\n    name: A\n    max: 10\n") == ["f.yaml:9:5: trường \"rule\": nút lá 1 cần cách tính điểm (rule)"])
        #expect(problems(header + "tree: [\n") .first?.hasPrefix("f.yaml:") == true)
        #expect(problems(header + "tree:\n  - {index: a, name: A, max: 5, rule: {type: tiers, tiers: [{at_least: 1, points: 9}]}}\n")
                .first?.contains("vượt điểm tối đa") == true)
        #expect(problems(header.replacingOccurrences(of: "method: raw", with: "method: median") + "tree:\n  - {index: a, name: A, max: 5, rule: {type: yes_no}}\n")
                == ["f.yaml:7:9: trường \"method\": \"median\" không hợp lệ; dùng raw, fraction, percent hoặc weighted"])
    }

    @Test("an unreadable framework file is named")
    func unreadable() {
        #expect(throws: ProblemList.self) { try FrameworkLoader.load(path: "/nonexistent/f.yaml") }
    }
}
