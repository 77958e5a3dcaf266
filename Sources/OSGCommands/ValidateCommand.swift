import ArgumentParser
import Foundation
import OSGDomain
import OSGSpec

/// `osg validate SPEC`: checks a job spec and prints "ok" or every problem with its location.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a job spec (YAML or JSON) and report every problem with its line.",
        discussion: """
            Prints "ok" and a one-line summary when the spec is valid (exit 0); otherwise prints \
            each problem as FILE:LINE:COLUMN: FIELD: MESSAGE and exits 1. Use - to read standard input.
            """
    )

    @Argument(help: "The job spec file (YAML or JSON), or - for standard input.")
    var spec: String

    @Option(name: .long, help: "Check deadlines against this RFC 3339 time instead of the clock.")
    var now: String?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let currentTime = try PortabilityTime.now(now)
        let text: String
        do {
            text = try InputFile.readText(spec)
        } catch {
            emit(problems: [SpecProblem(.syntax, field: "", "\(error)")], spec: nil)
            throw ExitCode(1)
        }
        let result = JobSpecReader.read(text, now: currentTime)
        emit(problems: result.problems, spec: result.spec)
        if !result.problems.isEmpty { throw ExitCode(1) }
    }

    private func emit(problems: [SpecProblem], spec jobSpec: JobSpec?) {
        if json {
            var object: [String: Any] = [
                "ok": problems.isEmpty,
                "file": spec,
                "problems": problems.map { problem -> [String: Any] in
                    var entry: [String: Any] = ["code": problem.code.rawValue, "field": problem.field, "message": problem.message]
                    if let line = problem.line { entry["line"] = line }
                    if let column = problem.column { entry["column"] = column }
                    return entry
                },
            ]
            if let jobSpec {
                object["summary"] = [
                    "name": jobSpec.name,
                    "gpus_total": jobSpec.totalGPUs,
                    "gpu": jobSpec.resources.gpu.selector.description,
                    "nodes": jobSpec.nodeCount,
                    "max_duration_s": jobSpec.maxDurationSeconds,
                    "max_cost_micro_credits": jobSpec.maxCost.rawValue,
                ] as [String: Any]
            }
            JSONOutput.print(object)
        } else if let jobSpec, problems.isEmpty {
            print("ok: \(jobSpec.name): \(jobSpec.nodeCount) node(s) × \(jobSpec.resources.gpu.countPerNode) \(jobSpec.resources.gpu.selector) GPU, up to \(DurationText.format(seconds: jobSpec.maxDurationSeconds)), at most \(jobSpec.maxCost) credits")
        } else {
            for problem in problems {
                print("\(spec):\(problem)")
            }
            print("\(problems.count) problem\(problems.count == 1 ? "" : "s") in \(spec)")
        }
    }
}
