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
    var result = Assessment.run(framework, units: input.units, responses: input.responses)

    if args.contains("--profile-recompute") {
        // For profilers: nothing but the recompute, many times.
        for _ in 0..<runs { result = Assessment.run(framework, units: input.units, responses: input.responses) }
        exit(0)
    }
    let parseMs = try measure(max(3, runs / 4)) { _ = try CSVReader.parse(responsesBytes, file: "responses.csv") }
    let readMs = try measure(max(3, runs / 4)) {
        _ = try AssessmentInputReader.read(units: unitsDoc, responses: responsesBytes, responsesFile: "responses.csv", framework: framework)
    }
    let validateMs = measure(runs) {
        for unit in input.units { if let r = input.responses[unit.id] { _ = Validation.check(unit, r, in: framework) } }
    }
    let recomputeMs = measure(runs) { result = Assessment.run(framework, units: input.units, responses: input.responses) }
    let empty = UnitResponses(leafCount: framework.leaves.count)
    let scoreOnlyMs = measure(runs) {
        var issues: [ScoringIssue] = []
        for unit in input.units { _ = ScoringEngine.score(unit, input.responses[unit.id] ?? empty, in: framework, issues: &issues) }
    }
    let scores = result.scores
    let rankOnlyMs = measure(runs) {
        let rows = scores.map { ResultRow(group: $0.unit.group, unit: $0.unit.name, points: WrittenNumber(value: $0.totalPoints, decimals: 2), maxPoints: $0.totalApplicableMax) }
        _ = ResultTable(rows: rows).ranked(under: RankingSettings(method: .percent, bands: framework.framework.bands))
    }
    let writeMs = measure(max(3, runs / 4)) { _ = ScoreWriter(result).render(.csv) }
    let criteria = input.units.count * framework.leaves.count
    print("""
    data set: \(input.units.count) units, \(framework.leaves.count) criteria per unit, \(responsesDoc.records.count) answers
    runs: \(runs) (median, ms)
    parse CSV to records            \(String(format: "%8.2f", parseMs))
    scan + type answers        \(String(format: "%8.2f", readMs))
    validation checks          \(String(format: "%8.2f", validateMs))
    recompute everything       \(String(format: "%8.2f", recomputeMs))   (\(criteria) criterion scores, indices, ranks, bands, statistics)
      of which scoring only    \(String(format: "%8.2f", scoreOnlyMs))
      of which ranking only    \(String(format: "%8.2f", rankOnlyMs))
    write CSV                  \(String(format: "%8.2f", writeMs))
    """)
} catch let error as ProblemList {
    FileHandle.standardError.write(Data((error.problems.map(\.description).joined(separator: "\n") + "\n").utf8))
    exit(2)
}
