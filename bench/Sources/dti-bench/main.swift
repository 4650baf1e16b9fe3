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
    FileHandle.standardError.write(Data("usage: dti-bench DATA_DIR [--runs N]\n".utf8))
    exit(64)
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
