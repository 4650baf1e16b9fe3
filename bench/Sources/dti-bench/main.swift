// In-process benchmark: loads a data set once, then times each phase of
// `dti score` and the full recompute (scoring, indices, ranking, bands,
// statistics) over repeated runs. Reports medians. See docs/PERFORMANCE.md.
//
//     swift run -c release dti-bench DATA_DIR [--runs 21]
import DTICore
import DTIFormats
import Foundation

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func measure(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs {
        let start = now()
        try body()
        times.append(Double(now() - start) / 1_000_000)
    }
    return median(times)
}

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: dti-bench DATA_DIR [--runs N] | dti-bench --robustness [--runs N] [--units N]\n".utf8))
    exit(64)
}

/// `dti-bench --trend [FRAMEWORK] [--units N]`: one new month of the monthly index (issue 33) for
/// 4,000 units of the demo's 2026 commune framework — every answer rebuilt for the month's end from
/// the current rows and the later changes (one in ten units has some), its five criteria filled
/// from the feed's months — beside the baseline in the same run: one plain recompute of the same
/// units from their current answers through OfficialScore (what the live ranking does per unit).
if args[1] == "--trend" {
    let runs = args.firstIndex(of: "--runs").flatMap { Int(args[$0 + 1]) } ?? 21
    let count = args.firstIndex(of: "--units").flatMap { Int(args[$0 + 1]) } ?? 4000
    let path = args.count > 2 && !args[2].hasPrefix("--") ? args[2] : "frameworks/demo-2026-commune.yaml"
    let fw = CompiledFramework(try FrameworkLoader.load(path: path))
    var state: UInt64 = 33
    func next(_ bound: Int64) -> Int64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int64((state >> 33) % UInt64(bound))
    }
    let month = FeedMonth(year: fw.framework.year, month: 11)
    let moment = IndexTrend.end(of: month)
    let units = (0..<count).map { AssessedUnit(id: "X\($0)", name: "Xã \($0)", group: "Tỉnh \($0 % 34)") }
    var current: [[String: IndexTrend.Answer]] = []
    var changes: [[IndexTrend.Change]] = []
    var feeds: [[String: [FeedMonth: ScaledDecimal]]] = []
    for i in 0..<count {
        var answers: [String: IndexTrend.Answer] = [:]
        var months: [String: [FeedMonth: ScaledDecimal]] = [:]
        for position in fw.leaves {
            let node = fw.nodes[position]
            if let binding = node.feed {
                for m in 1...11 { months[node.code, default: [:]][FeedMonth(year: fw.framework.year, month: m)] = ScaledDecimal(micros: next(18_000_000)) }
                _ = binding
            }
            answers[node.code] = .init(value: "x", b: "", selfPoints: next(node.max.micros + 1), evaluatorPoints: nil, councilPoints: nil)
        }
        current.append(answers)
        feeds.append(months)
        // One unit in ten was scored by an evaluator after the month ended.
        changes.append(i % 10 == 0 ? fw.leaves.prefix(5).map { .init(criterion: fw.nodes[$0].code, field: "evaluator_points", old: "", at: moment.addingTimeInterval(86_400)) } : [])
    }
    var monthIndexes: [ScaledDecimal?] = []
    let monthMs = measure(runs) {
        monthIndexes = (0..<count).map { IndexTrend.index(units[$0], current: current[$0], changes: changes[$0], feedMonths: feeds[$0], month: month, in: fw) }
    }
    var plain: [ScaledDecimal?] = []
    let recomputeMs = measure(runs) {
        plain = (0..<count).map { ScoringEngine.index(of: OfficialScore.unit(units[$0], answers: current[$0], in: fw), in: fw, decimals: 4) }
    }
    print("data set: \(count) units, \(fw.leaves.count) criteria each (\(fw.leaves.filter { fw.nodes[$0].feed != nil }.count) filled from a feed, 11 months), one unit in ten changed after the month")
    print("runs: \(runs), median milliseconds")
    print("one month's index for every unit           " + String(format: "%8.2f", monthMs))
    print("baseline: one plain recompute of the units " + String(format: "%8.2f", recomputeMs))
    print("ratio (month / recompute): " + String(format: "%.2f", monthMs / recomputeMs) + "; indexes: \(monthIndexes.compactMap { $0 }.count), \(plain.compactMap { $0 }.count)")
    exit(0)
}

/// `dti-bench --robustness [--units N] [--groups G]`: `Robustness.analyse` with 1,000 draws over
/// 4,012 units in 34 groups and 3 pillars (the issue's figure; the data set's shape), beside a
/// floor in the same run: 2,001 sorts of all the units' totals (the cases it ranks, as one group).
if args[1] == "--robustness" {
    let runs = args.firstIndex(of: "--runs").flatMap { Int(args[$0 + 1]) } ?? 11
    let count = args.firstIndex(of: "--units").flatMap { Int(args[$0 + 1]) } ?? 4012
    var state: UInt64 = 2026
    func next() -> Int64 {  // a fixed sequence: the same data set every run
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int64((state >> 33) % 100_000_000)
    }
    let groupCount = args.firstIndex(of: "--groups").flatMap { Int(args[$0 + 1]) } ?? 34
    let units = (0..<count).map { i in Robustness.Unit(name: "Xã \(i + 1)", values: (0..<3).map { _ in ScaledDecimal(micros: next()) }) }
    // As bench/generate.py's data set: 4,012 communes in 34 provinces (groups ranked apart).
    let size = (count + groupCount - 1) / groupCount
    let groups = stride(from: 0, to: count, by: size).map { Robustness.Group(name: "Tỉnh \($0 / size + 1)", units: Array(units[$0..<min(count, $0 + size)])) }
    let input = Robustness.Input(columns: ["Chính quyền số", "Kinh tế số", "Xã hội số"],
                                 weights: [ScaledDecimal(1), ScaledDecimal(1), ScaledDecimal(1)], groups: groups)
    var report: Robustness.Report?
    let analyseMs = try measure(runs) { report = try Robustness.analyse(input, options: Robustness.Options(draws: 1000, seed: 1)) }
    let totals = units.map { $0.values!.reduce(0.0) { $0 + $1.doubleValue } }  // the floor sorts all units at once: at least the groups' sorts
    @inline(never) nonisolated func floor(_ totals: [Double]) -> Int32 {
        var pairs = totals.enumerated().map { (total: $0.element, unit: Int32($0.offset)) }
        for _ in 0..<2001 {
            for i in pairs.indices { pairs[i] = (totals[i], Int32(i)) }
            pairs.sort { $0.total > $1.total }
        }
        return pairs[0].unit
    }
    var first: Int32 = 0
    let floorMs = measure(runs) { first = floor(totals) }
    precondition(first >= 0)
    print("robustness: \(count) units in \(groups.count) groups, 3 pillars, 1,000 draws × 2 aggregations; runs: \(runs), median milliseconds")
    print(String(format: "  Robustness.analyse                 %9.1f ms", analyseMs))
    print(String(format: "  floor: 2,001 sorts of the totals   %9.1f ms", floorMs))
    print(String(format: "  ratio analyse / floor              %9.2f", analyseMs / floorMs))
    print("  flipping pairs found: \(report?.groups.reduce(0) { $0 + $1.flips.count } ?? 0)")
    exit(0)
}
let dir = URL(fileURLWithPath: args[1])
let runs = args.firstIndex(of: "--runs").flatMap { Int(args[$0 + 1]) } ?? 21

do {
    let frameworkPath = dir.appendingPathComponent("framework.yaml").path
    let unitsBytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("units.csv")))
    let responsesBytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("responses.csv")))
    let framework = CompiledFramework(try FrameworkLoader.load(path: frameworkPath))
    let unitsDoc = try CSVReader.parse(unitsBytes, file: "units.csv")
    let responsesDoc = try CSVReader.parse(responsesBytes, file: "responses.csv")
    let input = try AssessmentInputReader.read(units: unitsDoc, responses: responsesBytes, responsesFile: "responses.csv", framework: framework)
    var result = Assessment.run(framework, units: input.units, answers: input.answers)

    if args.contains("--profile-recompute") {
        // For profilers: nothing but the recompute, many times.
        for _ in 0..<runs { result = Assessment.run(framework, units: input.units, answers: input.answers) }
        exit(0)
    }
    let parseMs = try measure(max(3, runs / 4)) { _ = try CSVReader.parse(responsesBytes, file: "responses.csv") }
    let readMs = try measure(max(3, runs / 4)) {
        _ = try AssessmentInputReader.read(units: unitsDoc, responses: responsesBytes, responsesFile: "responses.csv", framework: framework)
    }
    let validateMs = measure(runs) {
        for (unit, answers) in zip(input.units, input.answers) { if let r = answers { _ = Validation.check(unit, r, in: framework) } }
    }
    let recomputeMs = measure(runs) { result = Assessment.run(framework, units: input.units, answers: input.answers) }
    let empty = UnitResponses(leafCount: framework.leaves.count)
    let scoreOnlyMs = measure(runs) {
        var issues: [ScoringIssue] = []
        for (unit, answers) in zip(input.units, input.answers) { _ = ScoringEngine.score(unit, answers ?? empty, in: framework, issues: &issues) }
    }
    let scores = result.scores
    let rankOnlyMs = measure(runs) {
        let rows = scores.map { ResultRow(group: $0.unit.group, unit: $0.unit.name, points: WrittenNumber(value: $0.totalPoints, decimals: 2), maxPoints: $0.totalApplicableMax) }
        _ = ResultTable(rows: rows).ranked(under: RankingSettings(method: .percent, bands: framework.framework.bands))
    }
    // Baseline in the same run: the plain definition, one thread, every
    // criterion through Rule.evaluate on a copied node, as a first version would.
    let naiveMs = measure(runs) {
        for (unit, slot) in zip(input.units, input.answers) {
            let answers = slot ?? empty
            var total = ScaledDecimal.zero
            for (i, leaf) in framework.leaves.enumerated() {
                let node = framework.nodes[leaf]
                guard node.applicability.applies(toUnitTagged: unit.tags), let answer = answers.inputs[i],
                      case .points(let p) = node.rule!.evaluate(answer, max: node.max) else { continue }
                total += p
            }
            _ = total
        }
    }
    let writeMs = measure(max(3, runs / 4)) { _ = ScoreWriter(result).render(.csv) }
    let criteria = input.units.count * framework.leaves.count
    func row(_ label: String, _ ms: Double, _ note: String = "") -> String {
        label.padding(toLength: 38, withPad: " ", startingAt: 0) + String(format: "%8.2f", ms) + (note.isEmpty ? "" : "   " + note)
    }
    print("data set: \(input.units.count) units, \(framework.leaves.count) criteria per unit, \(responsesDoc.records.count) answers")
    print("runs: \(runs), median milliseconds")
    print(row("parse responses CSV to records", parseMs))
    print(row("scan and type answers", readMs))
    print(row("validation checks", validateMs))
    print(row("recompute everything", recomputeMs, "\(criteria) criterion scores, indices, ranks, bands, statistics"))
    print(row("  scoring only, one thread", scoreOnlyMs))
    print(row("  ranking only", rankOnlyMs))
    print(row("baseline: naive scoring, one thread", naiveMs, "Rule.evaluate on a copied node per criterion"))
    print("scoring speed-up over the naive baseline, both one thread: \(String(format: "%.1f", naiveMs / scoreOnlyMs))x")
    print(row("write CSV", writeMs))
} catch let error as ProblemList {
    FileHandle.standardError.write(Data((error.problems.map(\.description).joined(separator: "\n") + "\n").utf8))
    exit(2)
}
