import Foundation
import OSGDomain
import OSGSpec
import Testing

/// `osg export --to slurm` against the real slurmctld of `scripts/start-test-slurm.sh`.
@Suite("An exported sbatch script runs on a real Slurm", .serialized)
struct ExportToSlurmTests {
    static let enabled = AgentSlurmTests.enabled

    /// Runs a Slurm tool with the test cluster's configuration; its standard output.
    static func slurm(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["SLURM_CONF": AgentSlurmTests.slurmConfig.path]) { _, new in new }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SlurmToolError(description: "\(tool) \(arguments): \(errorText)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of `name=` in `scontrol show job` output, or nil when it is absent.
    static func field(_ name: String, of shown: String) -> String? {
        shown.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .first { $0.hasPrefix("\(name)=") }
            .map { String($0.dropFirst(name.count + 1)) }
    }

    struct SlurmToolError: Error, CustomStringConvertible { var description: String }

    @Test("sbatch accepts the script, Slurm allocates what the spec asks and runs its command with its environment",
          .enabled(if: enabled), .timeLimit(.minutes(2)))
    func exportedScriptRuns() async throws {
        let yaml = """
            name: exported-hello
            command: ["bash", "-c", "echo \\"$GREETING\\" gpus=$SLURM_GPUS_ON_NODE nodes=$SLURM_JOB_NUM_NODES"]
            env: { GREETING: "hello from an exported spec" }
            resources: { gpu: { model: any, count: 2 }, cpu: 1, memory_gib: 1 }
            duration: 4m
            max_duration: 5m
            max_price: 1.5
            carbon: { max_gco2_per_kwh: 300 }
            """
        let spec = try #require(JobSpecReader.read(yaml, now: WallClockForTests.now).spec)
        let script = SlurmScriptExporter.script(spec).text
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-export-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scriptURL = directory.appendingPathComponent("job.sbatch")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)

        let jobID = try Self.slurm("sbatch", ["--parsable", "--chdir=\(directory.path)", "--output=\(directory.path)/out.txt", scriptURL.path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try Self.slurm("scontrol", ["show", "job", jobID])
        #expect(shown.contains("JobName=exported-hello"), "\(shown)")
        // `--time-min` lets Slurm's backfill scheduler lower a pending job's limit to anywhere
        // between the two, which it does when other jobs hold the test cluster.
        #expect(Self.field("TimeMin", of: shown) == "00:04:00", "\(shown)")
        let limit = try #require(Self.field("TimeLimit", of: shown), "\(shown)")
        #expect(limit >= "00:04:00" && limit <= "00:05:00", "\(shown)")
        #expect(shown.contains("gres/gpu=2") || shown.contains("gres:gpu:2"), "\(shown)")
        #expect(shown.contains("MinMemoryNode=1G"), "\(shown)")

        var state = ""
        for _ in 0..<120 {
            let text = try Self.slurm("scontrol", ["show", "job", jobID])
            state = text.split(separator: " ").first { $0.hasPrefix("JobState=") }.map { String($0.dropFirst("JobState=".count)) } ?? ""
            if ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"].contains(state) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(state == "COMPLETED")
        let output = try String(contentsOf: directory.appendingPathComponent("out.txt"), encoding: .utf8)
        #expect(output == "hello from an exported spec gpus=2 nodes=1\n", "\(output)")

        let back = try JobImporter.read(script, options: ImportOptions(now: WallClockForTests.now, sourceName: "job")).spec
        #expect(back == spec)
    }
}

enum WallClockForTests {
    static var now: Timestamp { Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)) }
}
