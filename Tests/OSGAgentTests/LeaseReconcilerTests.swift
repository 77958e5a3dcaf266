import OSGAgent
import OSGDomain
import Testing

@Suite("The agent's decisions: start once, stop what the coordinator ended, report how jobs end")
struct LeaseReconcilerTests {
    static let now = Timestamp(secondsSinceEpoch: 1_800_000_000)

    static func lease(_ id: String, nodes: [(String, Int)] = [("n1", 1)], command: [String]? = ["true"],
                      preemptionDeadline: Timestamp? = nil) -> PolledLease {
        PolledLease(
            id: id, job: "job-\(id)", nodes: nodes.map { PolledLease.Allocation(node: $0.0, gpus: $0.1) }, start: now.description,
            command: command, maxDurationSeconds: 600,
            spec: PolledLease.Spec(name: "demo", cpu: 2, memoryGib: 4, gpusPerNode: nodes.first?.1 ?? 1, nodes: nodes.count, durationSeconds: 300),
            preemption: preemptionDeadline.map { PolledLease.Preemption(forJob: "job-x", noticed: now.description, deadline: $0.description) })
    }

    static func reconciler(gpus: Int = 4) -> LeaseReconciler {
        LeaseReconciler(nodes: [LeaseReconciler.NodeOffer(id: "n1", gpuIndices: Array(0..<gpus))])
    }

    static func started(_ actions: [LeaseReconciler.Action]) -> [LeaseWork] {
        actions.compactMap { if case .start(let work) = $0 { work } else { nil } }
    }

    @Test("a lease is started once, with its own GPUs, however often it is polled")
    func startOnce() {
        var agent = Self.reconciler()
        let first = Self.started(agent.leasesPolled([Self.lease("l1", nodes: [("n1", 2)])], now: Self.now))
        #expect(first.count == 1 && first[0].gpuIndices == [0, 1] && first[0].cpuCores == 2 && first[0].memoryGiB == 4)
        #expect(agent.leasesPolled([Self.lease("l1", nodes: [("n1", 2)])], now: Self.now).isEmpty)
        let second = Self.started(agent.leasesPolled([Self.lease("l1", nodes: [("n1", 2)]), Self.lease("l2", nodes: [("n1", 2)])], now: Self.now))
        #expect(second.map(\.gpuIndices) == [[2, 3]], "the next lease gets the GPUs still free")
    }

    @Test("a lease the coordinator stops listing is killed, then cleaned up without a report")
    func coordinatorEnded() {
        var agent = Self.reconciler()
        _ = agent.leasesPolled([Self.lease("l1")], now: Self.now)
        #expect(agent.leasesPolled([], now: Self.now) == [.kill(partID: "l1")])
        #expect(agent.jobEnded(partID: "l1", exit: .stopped) == [.cleanUp(partID: "l1")])
        #expect(agent.parts.isEmpty)
    }

    @Test("exit 0 is completed, other exits, signals and OOM are the job's failure, a lost job is a node fault",
          arguments: [
              (JobExit.exited(code: 0), LeaseEndReason.completed, 0 as Int?),
              (.exited(code: 3), .jobFailed, 3),
              (.signalled(signal: 11), .jobFailed, 139),
              (.outOfMemory, .jobFailed, 137),
              (.nodeFault("supervisor vanished"), .nodeFault, nil),
          ])
    func reports(exit: JobExit, reason: LeaseEndReason, code: Int?) {
        var agent = Self.reconciler()
        _ = agent.leasesPolled([Self.lease("l1")], now: Self.now)
        let report = LeaseReconciler.EndReport(reason: reason, exitCode: code)
        #expect(agent.jobEnded(partID: "l1", exit: exit) == [.reportEnd(leaseID: "l1", partID: "l1", report: report)])
        #expect(agent.pendingReports == [.reportEnd(leaseID: "l1", partID: "l1", report: report)], "owed until the coordinator takes it")
        // A poll before the coordinator has taken the report does not start the job again.
        #expect(agent.leasesPolled([Self.lease("l1")], now: Self.now).isEmpty)
        agent.endReported(partID: "l1")
        #expect(agent.pendingReports.isEmpty)
        #expect(agent.leasesPolled([Self.lease("l1")], now: Self.now).isEmpty, "still listed: stale poll, never a second run")
        #expect(agent.leasesPolled([], now: Self.now) == [.cleanUp(partID: "l1")])
    }

    @Test("max duration and our own stops are not reported: the coordinator ends those leases itself")
    func unreported() {
        for exit in [JobExit.timedOut, .stopped] {
            var agent = Self.reconciler()
            _ = agent.leasesPolled([Self.lease("l1")], now: Self.now)
            #expect(agent.jobEnded(partID: "l1", exit: exit).isEmpty)
            #expect(agent.leasesPolled([], now: Self.now) == [.cleanUp(partID: "l1")])
        }
    }

    @Test("a preemption notice becomes SIGTERM now with the time to the deadline as grace, once")
    func preemption() {
        var agent = Self.reconciler()
        _ = agent.leasesPolled([Self.lease("l1")], now: Self.now)
        let noticed = Self.lease("l1", preemptionDeadline: Self.now.adding(seconds: 90))
        #expect(agent.leasesPolled([noticed], now: Self.now.adding(seconds: 5)) == [.terminate(partID: "l1", graceSeconds: 85)])
        #expect(agent.leasesPolled([noticed], now: Self.now.adding(seconds: 6)).isEmpty)
        // Killed at the deadline by the signal we sent: the market's doing, not a failure.
        #expect(agent.jobEnded(partID: "l1", exit: .signalled(signal: 9)).isEmpty)
        // Nor is a job that saved its work and exited at the notice, with any status: the
        // coordinator ends the lease as preempted and requeues the job.
        for exit in [JobExit.exited(code: 0), .exited(code: 143), .outOfMemory] {
            var noticedAgent = Self.reconciler()
            _ = noticedAgent.leasesPolled([Self.lease("l2")], now: Self.now)
            _ = noticedAgent.leasesPolled([Self.lease("l2", preemptionDeadline: Self.now.adding(seconds: 30))], now: Self.now)
            #expect(noticedAgent.jobEnded(partID: "l2", exit: exit).isEmpty, "\(exit)")
        }
    }

    @Test("a gang: each rank knows its place; only rank 0's success completes the lease, any rank's failure ends it")
    func gang() {
        var rank1 = LeaseReconciler(nodes: [LeaseReconciler.NodeOffer(id: "n2", gpuIndices: [0])])
        let gang = Self.lease("g1", nodes: [("n1", 1), ("n2", 1)])
        let work = Self.started(rank1.leasesPolled([gang], now: Self.now))
        #expect(work.map(\.rank) == [1] && work.map(\.worldSize) == [2])
        #expect(work.first?.environment["OSG_GANG_NODES"] == "n1,n2")
        #expect(rank1.jobEnded(partID: "g1", exit: .exited(code: 0)).isEmpty, "rank 1 waits for rank 0")
        var rank0 = Self.reconciler()
        _ = rank0.leasesPolled([gang], now: Self.now)
        #expect(rank0.jobEnded(partID: "g1", exit: .exited(code: 0)) == [.reportEnd(leaseID: "g1", partID: "g1", report: .init(reason: .completed, exitCode: 0))])
        var failing = LeaseReconciler(nodes: [LeaseReconciler.NodeOffer(id: "n2", gpuIndices: [0])])
        _ = failing.leasesPolled([gang], now: Self.now)
        #expect(failing.jobEnded(partID: "g1", exit: .exited(code: 2)) == [.reportEnd(leaseID: "g1", partID: "g1", report: .init(reason: .jobFailed, exitCode: 2))])
    }

    @Test("a gang with two nodes of this agent runs one part per node")
    func gangOnOneAgent() {
        var agent = LeaseReconciler(nodes: [.init(id: "n1", gpuIndices: [0, 1]), .init(id: "n2", gpuIndices: [0, 1])])
        let work = Self.started(agent.leasesPolled([Self.lease("g1", nodes: [("n1", 2), ("n2", 2)])], now: Self.now))
        #expect(work.map(\.leaseID) == ["g1~0", "g1~1"] && work.map(\.rank) == [0, 1])
    }

    @Test("a job with nothing to run fails as the job's fault; more GPUs than are free is the node's")
    func unrunnable() {
        var agent = Self.reconciler(gpus: 1)
        #expect(agent.leasesPolled([Self.lease("l1", command: nil)], now: Self.now)
            == [.reportEnd(leaseID: "l1", partID: "l1", report: .init(reason: .jobFailed, exitCode: -1))])
        #expect(agent.leasesPolled([Self.lease("l1", command: nil), Self.lease("l2", nodes: [("n1", 2)])], now: Self.now)
            == [.reportEnd(leaseID: "l2", partID: "l2", report: .init(reason: .nodeFault, exitCode: nil))])
    }

    @Test("the journal restores every decision: a restarted agent resumes its parts and owes the same reports")
    func journal() throws {
        var agent = Self.reconciler()
        _ = agent.leasesPolled([Self.lease("l1"), Self.lease("l2")], now: Self.now)
        _ = agent.jobEnded(partID: "l2", exit: .exited(code: 1))
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("journal-\(UInt64.random(in: 0...UInt64.max)).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try AgentJournal(parts: agent.parts, linesSent: ["l1": 12]).save(to: url)
        let loaded = try AgentJournal.load(from: url)
        #expect(loaded.linesSent == ["l1": 12])
        let restarted = LeaseReconciler(nodes: agent.nodes, parts: loaded.parts)
        #expect(restarted.partsToResume.map(\.work.leaseID) == ["l1"])
        #expect(restarted.pendingReports == agent.pendingReports && restarted.pendingReports.count == 1)
        // A damaged journal is an error, never silently an empty one.
        try Data("{".utf8).write(to: url)
        #expect(throws: ExecutorError.self) { try AgentJournal.load(from: url) }
    }
}

import Foundation
