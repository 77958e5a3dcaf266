import OSGDomain

/// The agent's decisions as a value (STYLE.md rule 2): what the coordinator leases to this
/// agent's nodes and what the executor reports go in; actions for the executor and the
/// coordinator come out. The agent's I/O loop performs them.
///
/// The rules, which make "nothing runs twice" and "only an explicit, logged decision ends a
/// lease" (DESIGN.md §11) hold:
/// - a lease listed for one of our nodes and not running here is started, once: a part stays
///   known (in ``parts``, which the agent keeps on disk) until the coordinator stops listing it;
/// - a part the coordinator no longer lists (the tenant cancelled, the market preempted it, the
///   lease hit its `max_duration`, the node was declared lost) is killed and cleaned up;
/// - a preemption notice is passed on as SIGTERM at once and SIGKILL at its deadline; however
///   the job then ends, the coordinator ends the lease as `preempted` and requeues the job;
/// - a job that ends by itself is reported: exit 0 as `completed` (by the gang's rank 0; other
///   ranks wait for it), any other exit, a signal or out-of-memory as `job_failed` with the
///   exit code, an executor's loss as `node_fault`; a job the executor stopped on our request,
///   or killed at `max_duration`, is not reported (the coordinator ends those leases itself).
/// - the coordinator being unreachable changes nothing here: running jobs keep running.
public struct LeaseReconciler: Sendable {
    /// One of this agent's nodes, and the GPU indices it offers.
    public struct NodeOffer: Sendable, Hashable, Codable {
        public var id: String
        public var gpuIndices: [Int]

        public init(id: String, gpuIndices: [Int]) {
            self.id = id
            self.gpuIndices = gpuIndices
        }
    }

    /// Where one part of a lease (a lease's share of one of our nodes) is.
    public enum Phase: Sendable, Hashable, Codable {
        /// Asked the executor to start it.
        case running
        /// Asked the executor to stop it because the coordinator ended the lease.
        case stopping
        /// It ended by itself; `report` is the end to tell the coordinator, if any.
        case ended(JobExit, report: EndReport?)
        /// Its end was reported; waiting for the coordinator to stop listing it.
        case reported
    }

    /// What the agent tells the coordinator about a lease's end.
    public struct EndReport: Sendable, Hashable, Codable {
        public var reason: LeaseEndReason
        public var exitCode: Int?
        /// What came back for each of the spec's outputs, once the agent collected them.
        public var outputs: [OutputBlob?]?

        public init(reason: LeaseEndReason, exitCode: Int?, outputs: [OutputBlob?]? = nil) {
            self.reason = reason
            self.exitCode = exitCode
            self.outputs = outputs
        }
    }

    /// A lease's share of one of our nodes.
    public struct Part: Sendable, Hashable, Codable {
        /// The coordinator's lease id.
        public var leaseID: String
        public var nodeID: String
        /// What the executor runs (its `leaseID` is ``partID(leaseID:nodeID:in:)``).
        public var work: LeaseWork
        public var phase: Phase
        /// Whether a preemption notice was passed on (SIGTERM sent).
        public var noticed: Bool = false
    }

    /// What the agent should do.
    public enum Action: Sendable, Hashable {
        /// Start the work (idempotent in the executor).
        case start(LeaseWork)
        /// SIGTERM now, SIGKILL after the grace.
        case terminate(partID: String, graceSeconds: Int64)
        /// Kill it now.
        case kill(partID: String)
        /// Tell the coordinator how the lease ended.
        case reportEnd(leaseID: String, partID: String, report: EndReport)
        /// Remove what the executor keeps for the part.
        case cleanUp(partID: String)
    }

    public let nodes: [NodeOffer]
    /// Parts by part id (the executor's lease id).
    public private(set) var parts: [String: Part]

    public init(nodes: [NodeOffer], parts: [String: Part] = [:]) {
        precondition(Set(nodes.map(\.id)).count == nodes.count, "node ids are unique")
        self.nodes = nodes
        self.parts = parts
    }

    /// The executor's id for a lease's share of `nodeID`: the lease id when the lease has one
    /// node of ours, else the lease id and the node's rank (`lease-7~1`).
    public static func partID(leaseID: String, nodeID: String, in lease: PolledLease, ours: Set<String>) -> String {
        let mine = lease.nodes.filter { ours.contains($0.node) }
        guard mine.count > 1, let rank = lease.nodes.firstIndex(where: { $0.node == nodeID }) else { return leaseID }
        return "\(leaseID)~\(rank)"
    }

    // MARK: Inputs

    /// The coordinator's running leases on this operator's nodes, as of one poll.
    /// - Parameter now: the agent's clock, seconds since the epoch (for preemption deadlines).
    public mutating func leasesPolled(_ leases: [PolledLease], now: Timestamp) -> [Action] {
        var actions: [Action] = []
        let ours = Set(nodes.map(\.id))
        var listed: Set<String> = []
        for lease in leases.sorted(by: { $0.id < $1.id }) {
            for (rank, allocation) in lease.nodes.enumerated() where ours.contains(allocation.node) {
                let partID = Self.partID(leaseID: lease.id, nodeID: allocation.node, in: lease, ours: ours)
                listed.insert(partID)
                if var part = parts[partID] {
                    if part.phase == .running, !part.noticed, let notice = lease.preemption,
                       let deadline = Timestamp(rfc3339: notice.deadline) {
                        part.noticed = true
                        parts[partID] = part
                        actions.append(.terminate(partID: partID, graceSeconds: max(0, now.seconds(until: deadline))))
                    }
                    continue
                }
                actions += begin(lease, rank: rank, allocation: allocation, partID: partID)
            }
        }
        for (partID, part) in parts.sorted(by: { $0.key < $1.key }) where !listed.contains(partID) {
            switch part.phase {
            case .running:
                parts[partID]?.phase = .stopping
                actions.append(.kill(partID: partID))
            case .stopping:
                break
            case .ended, .reported:
                // Over: the coordinator has ended the lease (our report, another rank's, or its own rule).
                parts[partID] = nil
                actions.append(.cleanUp(partID: partID))
            }
        }
        return actions
    }

    /// The executor says a part's job ended.
    public mutating func jobEnded(partID: String, exit: JobExit) -> [Action] {
        guard let part = parts[partID] else { return [] }
        switch part.phase {
        case .running:
            let report = Self.report(for: exit, rank: part.work.rank, preempted: part.noticed)
            parts[partID]?.phase = .ended(exit, report: report)
            return report.map { [.reportEnd(leaseID: part.leaseID, partID: partID, report: $0)] } ?? []
        case .stopping:
            // We stopped it because the coordinator had ended the lease: nothing to report.
            parts[partID] = nil
            return [.cleanUp(partID: partID)]
        case .ended, .reported:
            return []
        }
    }

    /// The coordinator took the end report (or answered that the lease had already ended).
    public mutating func endReported(partID: String) {
        guard case .ended = parts[partID]?.phase else { return }
        parts[partID]?.phase = .reported
    }

    /// Reports still owed to the coordinator (after a failed attempt, or a restart).
    public var pendingReports: [Action] {
        parts.sorted { $0.key < $1.key }.compactMap { partID, part in
            guard case .ended(_, let report?) = part.phase else { return nil }
            return .reportEnd(leaseID: part.leaseID, partID: partID, report: report)
        }
    }

    /// Replaces a known part's work (its private contents applied before the start).
    public mutating func updateWork(_ work: LeaseWork) {
        parts[work.leaseID]?.work = work
    }

    /// After a restart: the parts that should be running, whose jobs the executor must find
    /// again (or start, if the agent stopped between deciding and starting).
    public var partsToResume: [Part] {
        parts.values.filter { $0.phase == .running || $0.phase == .stopping }.sorted { $0.work.leaseID < $1.work.leaseID }
    }

    // MARK: Rules

    /// How a job's end is reported, if at all.
    static func report(for exit: JobExit, rank: Int, preempted: Bool) -> EndReport? {
        // A job under a preemption notice that stops (saving its work and exiting, or killed at
        // the deadline) was stopped by the market: the coordinator ends the lease as `preempted`
        // at the deadline and requeues the job. Only the node's own fault is still reported.
        if preempted {
            if case .nodeFault = exit { return EndReport(reason: .nodeFault, exitCode: nil) }
            return nil
        }
        switch exit {
        case .exited(0):
            // A gang completes when its rank 0 does; the others wait for the lease to end.
            return rank == 0 ? EndReport(reason: .completed, exitCode: 0) : nil
        case .exited(let code):
            return EndReport(reason: .jobFailed, exitCode: Int(code))
        case .signalled(let signal):
            return EndReport(reason: .jobFailed, exitCode: 128 + Int(signal))
        case .outOfMemory:
            return EndReport(reason: .jobFailed, exitCode: 137)
        case .timedOut, .stopped:
            return nil
        case .nodeFault:
            return EndReport(reason: .nodeFault, exitCode: nil)
        case .inputFailed:
            return EndReport(reason: .inputFailed, exitCode: nil)
        }
    }

    /// Starts a newly listed part, or reports why it cannot run.
    private mutating func begin(_ lease: PolledLease, rank: Int, allocation: PolledLease.Allocation, partID: String) -> [Action] {
        let spec = lease.spec
        var work = LeaseWork(
            leaseID: partID, jobID: lease.job, jobName: spec?.name ?? lease.job, command: lease.command ?? [], image: lease.image,
            cpuCores: spec?.cpu ?? 1, memoryGiB: spec?.memoryGib ?? 1, diskGiB: spec?.diskGib ?? 0, gpuIndices: [],
            networkAllowed: spec?.network ?? false,
            environment: Dictionary((lease.env ?? []).map { ($0.name, $0.value) }) { _, last in last }.merging(["OSG_GANG_NODES": lease.nodes.map(\.node).joined(separator: ",")]) { _, agent in agent },
            maxDurationSeconds: lease.maxDurationSeconds ?? spec?.durationSeconds ?? 3_600, rank: rank, worldSize: lease.nodes.count)
        work.wantedInputs = spec?.inputs ?? []
        work.outputs = rank == 0 ? spec?.outputs ?? [] : []
        work.contents = spec?.contents
        var part = Part(leaseID: lease.id, nodeID: allocation.node, work: work, phase: .running)
        guard let indices = freeGPUIndices(on: allocation.node, count: allocation.gpus) else {
            let report = EndReport(reason: .nodeFault, exitCode: nil)
            part.phase = .ended(.nodeFault("the coordinator leased \(allocation.gpus) GPUs of \(allocation.node), more than are free here"), report: report)
            parts[partID] = part
            return [.reportEnd(leaseID: lease.id, partID: partID, report: report)]
        }
        work.gpuIndices = indices
        part.work = work
        if work.command.isEmpty && work.image == nil && work.contents == nil {
            // Nothing to run is the job's own fault.
            let report = EndReport(reason: .jobFailed, exitCode: -1)
            part.phase = .ended(.exited(code: -1), report: report)
            parts[partID] = part
            return [.reportEnd(leaseID: lease.id, partID: partID, report: report)]
        }
        parts[partID] = part
        return [.start(work)]
    }

    /// The lowest `count` GPU indices of `nodeID` no running part holds (a part being stopped
    /// may still hold its GPUs for the moment its kill takes).
    private func freeGPUIndices(on nodeID: String, count: Int) -> [Int]? {
        guard let node = nodes.first(where: { $0.id == nodeID }) else { return nil }
        let held = Set(parts.values.filter { $0.nodeID == nodeID && $0.phase == .running }.flatMap(\.work.gpuIndices))
        let free = node.gpuIndices.filter { !held.contains($0) }
        return free.count >= count ? Array(free.prefix(count)) : nil
    }
}
