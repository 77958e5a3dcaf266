import Foundation
import Testing

@testable import OSGAgent

/// Recorded Slurm 22.05 outputs (Fixtures/slurm, made by its record.sh).
enum SlurmFixture {
    static func text(_ name: String) throws -> String {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/slurm/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func record(_ name: String) throws -> SlurmJobRecord {
        let text = try text(name)
        let line = try #require(text.split(separator: "\n").first)
        return try #require(SlurmJobRecord(scontrolLine: line), "\(name) does not parse")
    }
}

@Suite("Slurm's outputs, parsed: scontrol, squeue, sbatch, ping; and how a job's end is concluded")
struct SlurmParsingTests {
    static let lease = "lease-1"

    @Test(
        "each recorded end state maps to its JobExit",
        arguments: [
            ("completed.txt", "COMPLETED", JobExit.exited(code: 0)),
            ("gpu.txt", "COMPLETED", .exited(code: 0)),
            ("failed-exit3.txt", "FAILED", .exited(code: 3)),
            ("out-of-memory.txt", "OUT_OF_MEMORY", .outOfMemory),
            ("failed-overmemorykill.txt", "FAILED", .signalled(signal: 9)),
            ("timeout.txt", "TIMEOUT", .timedOut),
        ]
    )
    func endStates(fixture: String, state: String, exit: JobExit) throws {
        let record = try SlurmFixture.record(fixture)
        #expect(record.state == state)
        #expect(SlurmJobOutcome.resolve(record: record, recordedStatus: nil, stopRequested: false, jobID: record.jobID) == .ended(exit))
    }

    @Test("ends that are the node's, not the job's, are node faults that name the state")
    func nodeFaults() throws {
        for fixture in ["node-fail.txt", "cancelled.txt"] {
            let record = try SlurmFixture.record(fixture)
            let outcome = SlurmJobOutcome.resolve(record: record, recordedStatus: nil, stopRequested: false, jobID: record.jobID)
            guard case .ended(.nodeFault(let message)) = outcome else {
                Issue.record("\(fixture): \(outcome)")
                continue
            }
            #expect(message.contains(record.jobID))
        }
        let node = try SlurmFixture.record("node-fail.txt")
        #expect(node.state == "NODE_FAIL" && node.reason == "NodeDown")
    }

    @Test("a job we asked to stop ends stopped: scancel --signal=TERM --full (FAILED 0:15) and scancel (CANCELLED)")
    func stopped() throws {
        let term = try SlurmFixture.record("terminated-term.txt")
        #expect(term.state == "FAILED" && term.exitSignal == 15)
        let cancelled = try SlurmFixture.record("cancelled.txt")
        #expect(cancelled.state == "CANCELLED")
        for record in [term, cancelled] {
            #expect(SlurmJobOutcome.resolve(record: record, recordedStatus: nil, stopRequested: true, jobID: record.jobID) == .ended(.stopped))
        }
        // Without our request, a job killed by SIGTERM was signalled by someone else.
        #expect(SlurmJobOutcome.resolve(record: term, recordedStatus: nil, stopRequested: false, jobID: term.jobID) == .ended(.signalled(signal: 15)))
        // Time limit and memory keep their reason even when a stop was asked for meanwhile.
        for (fixture, exit) in [("timeout.txt", JobExit.timedOut), ("out-of-memory.txt", .outOfMemory)] {
            let record = try SlurmFixture.record(fixture)
            #expect(SlurmJobOutcome.resolve(record: record, recordedStatus: nil, stopRequested: true, jobID: record.jobID) == .ended(exit))
        }
    }

    @Test("pending and running jobs have not ended")
    func active() throws {
        let pending = try SlurmFixture.record("pending.txt")
        #expect(pending.state == "PENDING")
        #expect(SlurmJobOutcome.resolve(record: pending, recordedStatus: nil, stopRequested: false, jobID: pending.jobID) == .queued)
        let running = try SlurmFixture.record("running.txt")
        #expect(running.state == "RUNNING")
        #expect(SlurmJobOutcome.resolve(record: running, recordedStatus: nil, stopRequested: true, jobID: running.jobID) == .running)
    }

    @Test(
        "the rest of the state table, by state name",
        arguments: [
            ("PREEMPTED", "0:15", false, "nodeFault"),
            ("PREEMPTED", "0:15", true, "stopped"),
            ("BOOT_FAIL", "0:0", true, "nodeFault"),
            ("DEADLINE", "0:0", false, "timedOut"),
            ("SPECIAL_EXIT", "7:0", false, "exited(7)"),
            ("REQUEUE_HOLD", "0:0", false, "queued"),
            ("COMPLETING", "0:0", false, "running"),
            ("SUSPENDED", "0:0", false, "running"),
            ("SOME_FUTURE_STATE", "0:0", false, "running"),
        ]
    )
    func stateTable(state: String, exitCode: String, stopRequested: Bool, expected: String) throws {
        let record = try #require(SlurmJobRecord(scontrolLine: "JobId=42 JobName=osg-x JobState=\(state) Reason=None ExitCode=\(exitCode)"))
        let outcome = SlurmJobOutcome.resolve(record: record, recordedStatus: nil, stopRequested: stopRequested, jobID: "42")
        let described: String
        switch outcome {
        case .queued: described = "queued"
        case .running: described = "running"
        case .ended(.nodeFault): described = "nodeFault"
        case .ended(.exited(let code)): described = "exited(\(code))"
        case .ended(let exit): described = "\(exit)"
        }
        #expect(described == expected)
    }

    @Test("a job slurmctld forgot ends with its batch script's status, or as a node fault without one")
    func purged() throws {
        let stderr = try SlurmFixture.text("unknown-job.stderr.txt")
        #expect(SlurmJobRecord.isUnknownJob(stderr: stderr))
        #expect(!SlurmJobRecord.isUnknownJob(stderr: "slurm_load_jobs error: Unable to contact slurm controller (connect failure)"))
        #expect(SlurmJobOutcome.resolve(record: nil, recordedStatus: 3, stopRequested: false, jobID: "9") == .ended(.exited(code: 3)))
        #expect(SlurmJobOutcome.resolve(record: nil, recordedStatus: nil, stopRequested: true, jobID: "9") == .ended(.stopped))
        guard case .ended(.nodeFault(let message)) = SlurmJobOutcome.resolve(record: nil, recordedStatus: nil, stopRequested: false, jobID: "9") else {
            Issue.record("a purged job without status must be a node fault")
            return
        }
        #expect(message.contains("job 9"))
    }

    @Test("scontrol's fields: values with spaces and '=' stay whole")
    func fields() throws {
        let record = try SlurmFixture.record("completed.txt")
        let line = try #require(try SlurmFixture.text("completed.txt").split(separator: "\n").first)
        let fields = SlurmJobRecord.fields(of: line)
        #expect(fields["TRES"]?.hasPrefix("cpu=1,mem=1G") == true)
        #expect(fields["Command"] == "(null)")  // --wrap jobs have no command file
        #expect(record.name == "osg-completed")
        #expect(record.workDirectory?.hasSuffix("/completed") == true)
        let spaced = try #require(SlurmJobRecord(scontrolLine: "JobId=5 JobName=osg-a JobState=RUNNING WorkDir=/srv/my leases/a/work StdOut=/x"))
        #expect(spaced.workDirectory == "/srv/my leases/a/work")
        #expect(SlurmJobRecord(scontrolLine: "No jobs in the system") == nil)
        #expect(SlurmJobRecord.parse(scontrolOutput: try SlurmFixture.text("gpu.txt"), jobID: "0") == nil)
    }

    @Test("squeue --states=all lines, sbatch --parsable and scontrol ping")
    func smallOutputs() throws {
        let entries = SlurmQueueEntry.parse(try SlurmFixture.text("squeue-states-all.txt"))
        #expect(Set(entries.map(\.name)) == ["osg-completed", "osg-timeout", "osg-cancelled"])
        #expect(entries.allSatisfy { SlurmSubmission.isJobID($0.jobID) && $0.workDirectory.hasPrefix("/") })
        #expect(Set(entries.map(\.state)).isSuperset(of: ["COMPLETED", "TIMEOUT", "CANCELLED"]))

        let submitted = try SlurmFixture.text("sbatch-parsable.txt")
        #expect(SlurmSubmitOutput.jobID(submitted) == submitted.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(SlurmSubmitOutput.jobID("1234;cluster-b\n") == "1234")
        #expect(SlurmSubmitOutput.jobID("sbatch: error: Batch job submission failed\n") == nil)

        #expect(SlurmPing.isUp(try SlurmFixture.text("ping-up.txt")))
        #expect(!SlurmPing.isUp(try SlurmFixture.text("ping-down.txt")))
    }
}
