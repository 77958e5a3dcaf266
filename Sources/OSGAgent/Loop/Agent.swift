import Foundation
import Logging
import OSGDomain

/// The provider agent's loop (DESIGN.md §8): registers its nodes, heartbeats them in one signed
/// batch, long-polls its leases, runs them with an executor, streams their output, settles
/// their usage and reports how they end. It keeps going across coordinator restarts (retrying
/// with exponential backoff and jitter) and across its own (the journal and the executor's
/// state directory let it find its jobs again), and never ends a lease on its own account:
/// running jobs keep running while the coordinator is unreachable.
///
/// The decisions are ``LeaseReconciler``'s; this type performs them.
public actor Agent {
    /// How often and how patiently the agent talks to the coordinator.
    public struct Timing: Sendable {
        public var heartbeatSeconds: Double = 10
        public var pollWaitSeconds: Int = 25
        public var usageReportSeconds: Double = 60
        public var outputFlushSeconds: Double = 1
        /// Backoff after a failed call: doubles from `backoffFirstSeconds` to `backoffMaxSeconds`,
        /// with ±50 % jitter so that agents do not come back in step after a coordinator restart.
        public var backoffFirstSeconds: Double = 0.5
        public var backoffMaxSeconds: Double = 30
        /// SIGTERM → SIGKILL grace when the coordinator ends a lease (cancel, max duration).
        public var stopGraceSeconds: Int64 = 10
        /// The host benchmark run once the nodes are registered, its result posted to each node;
        /// `nil`: none.
        public var benchmark: HostBenchmark.Workload? = .standard

        public init() {}
    }

    /// What `osg agent status` shows.
    public struct Status: Sendable, Codable, Equatable {
        public var nodes: [String]
        public var executor: String
        public var registered: Bool
        public var lastHeartbeat: String?
        public var lastPoll: String?
        public var leaseVersion: UInt64
        public var coordinatorReachable: Bool
        public var lastError: String?
        public var running: [String]
        public var endsToReport: [String]
    }

    private let nodes: [NodeRegistrationRequest]
    private let offers: [LeaseReconciler.NodeOffer]
    private let coordinator: any AgentCoordinator
    private let executor: any LeaseExecutor
    private let stateDirectory: URL
    private let timing: Timing
    private let logger: Logger

    private var reconciler: LeaseReconciler
    private var linesSent: [String: Int]
    private var jobs: [String: any RunningJob] = [:]
    private var watched: Set<String> = []
    /// Set when ``run()`` ends: watchers of jobs still running stop acting for this agent (a
    /// new agent on the same state takes the jobs over).
    private var stopped = false
    /// Parts whose output is being sent right now: one sender per part, or a line goes twice.
    private var shipping: Set<String> = []
    private var lastUsage: [String: Date] = [:]
    private var usageMeters: [String: LeaseUsageMeter] = [:]
    /// Parts whose start is under way, and starts waiting for a free slot (with their poll's time).
    private var starting: Set<String> = []
    private var waitingToStart: [(work: LeaseWork, polled: Date?)] = []
    /// The cumulative figures each lease's last accepted usage report gave, from the latest poll.
    private var reportedUsage: [String: PolledLease.Usage] = [:]
    /// Measures the given GPUs (real GPUs: ``GPUBenchmark``); `nil` on a simulated node.
    private let gpuBenchmark: (@Sendable ([Int]) async -> GPUBenchmark.Outcome)?
    /// The CPU package's energy meter (RAPL), when the host has one.
    private var hostEnergy: HostEnergyMeter?
    /// Per part, the host meter's reading and the job's CPU time at its last usage report.
    private var cpuEnergyBase: [String: (host: HostEnergyMeter.Reading, cpuMilliseconds: Int64)] = [:]
    /// Reads the GPUs' utilisation and power (real GPUs: nvidia-smi); `nil` on a simulated node.
    private let gpuReadings: (@Sendable () async -> [Int: GPUUsageQuery.Reading])?
    /// When the poll being acted on came back (for ``startLatencies``).
    private var pollReceived: Date?
    /// Fetches inputs and returns outputs (`nil`: a lease with inputs fails them, one with
    /// outputs returns none).
    private let data: LeaseData?
    /// Outputs already returned, by part (a resent end report does not upload them again).
    private var collectedOutputs: [String: [OutputBlob?]] = [:]
    /// Seconds from the poll that showed a lease to its job running, newest last (at most 10,000).
    public private(set) var startLatencies: [Double] = []
    private var status: Status
    private var writtenStatus: Status?
    private var leaseVersion: UInt64 = 0

    /// - Parameters:
    ///   - nodes: the nodes to register, with the GPU indices each offers (`offers`, same ids).
    ///   - stateDirectory: where the journal and the status file live (the executor keeps its
    ///     own state under its own directory).
    public init(nodes: [NodeRegistrationRequest], offers: [LeaseReconciler.NodeOffer], coordinator: any AgentCoordinator,
                executor: any LeaseExecutor, stateDirectory: URL, timing: Timing = Timing(), logger: Logger,
                gpuReadings: (@Sendable () async -> [Int: GPUUsageQuery.Reading])? = nil,
                gpuBenchmark: (@Sendable ([Int]) async -> GPUBenchmark.Outcome)? = nil,
                hostEnergy: HostEnergyMeter? = HostEnergyMeter(), data: (any LeaseDataTransfer)? = nil) throws {
        precondition(nodes.map(\.id) == offers.map(\.id), "one offer per node, in the same order")
        // Only the journal's own folder is private: the folders above it must stay traversable,
        // since sandboxed jobs run as other users under the executor's folder beside it.
        try FileManager.default.createDirectory(at: stateDirectory.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let journal = try AgentJournal.load(from: stateDirectory.appendingPathComponent("journal.json"))
        self.nodes = nodes
        self.offers = offers
        self.coordinator = coordinator
        self.executor = executor
        self.stateDirectory = stateDirectory
        self.timing = timing
        self.logger = logger
        self.gpuReadings = gpuReadings
        self.hostEnergy = hostEnergy
        self.gpuBenchmark = gpuBenchmark
        // Beside the journal's private folder, traversable: a sandboxed job, another user, reads
        // its inputs through their read-only binds.
        let dataDirectory = stateDirectory.deletingLastPathComponent().appendingPathComponent("lease-data", isDirectory: true)
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        self.data = data.map { LeaseData(transfer: $0, directory: dataDirectory) }
        reconciler = LeaseReconciler(nodes: offers, parts: journal.parts)
        linesSent = journal.linesSent
        status = Status(nodes: nodes.map(\.id), executor: executor.name, registered: false, leaseVersion: 0,
                        coordinatorReachable: false, running: [], endsToReport: [])
    }

    /// Where `osg agent status` reads the agent's status.
    public static func statusFile(in stateDirectory: URL) -> URL { stateDirectory.appendingPathComponent("status.json") }

    // MARK: Running

    /// Runs until the task is cancelled. Jobs keep running after it returns (they outlive the
    /// agent by design); a new agent on the same state directory takes them over.
    public func run() async throws {
        try await executor.preflight()
        try await resume()
        await registerUntilDone()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.heartbeatLoop() }
            group.addTask {
                // Measured before new leases are taken, so no tenant's job shares the GPUs with
                // the benchmark (jobs resumed after a restart keep theirs out of it). The warm
                // sandboxes are built after it, for the same reason.
                await self.benchmarkOnce()
                await self.executor.keepWarm(self.warmShapes)
                await self.pollLoop()
            }
            group.addTask { await self.housekeepingLoop() }
            await group.waitForAll()
        }
        await executor.keepWarm([])
        stopped = true
    }

    /// The lease shapes the executor keeps a sandbox ready for: one per offered GPU, with the
    /// node's memory per GPU (see ``WarmLeaseShape/evenShares(of:)``).
    var warmShapes: [WarmLeaseShape] {
        WarmLeaseShape.evenShares(of: zip(nodes, offers).map { (memoryGiB: $0.memoryGib, gpus: $0.gpus, gpuIndices: $1.gpuIndices) })
    }

    /// After a restart: finds the jobs the executor still has, restarts parts that were decided
    /// but never started, kills what the journal does not know.
    private func resume() async throws {
        let found = try await executor.runningJobs()
        let known = Set(reconciler.parts.keys)
        for (partID, job) in found.sorted(by: { $0.key < $1.key }) where !known.contains(partID) {
            logger.warning("killing a job this agent does not know (no lease in its journal)", metadata: ["part": "\(partID)"])
            await job.kill()
            _ = await job.exit()
            try? await executor.cleanUp(leaseID: partID)
        }
        for part in reconciler.partsToResume {
            if let job = found[part.work.leaseID] {
                adopt(job, partID: part.work.leaseID)
            } else if part.phase == .running {
                await perform([.start(part.work)])
            } else {
                // Stopping, and the executor has nothing: it is gone.
                await perform(reconcile { $0.jobEnded(partID: part.work.leaseID, exit: .stopped) })
            }
        }
        for partID in found.keys where known.contains(partID) && jobs[partID] == nil {
            adopt(found[partID]!, partID: partID)
        }
        logger.info("agent resumed", metadata: ["parts": "\(reconciler.parts.count)", "jobs found": "\(found.count)"])
    }

    private func registerUntilDone() async {
        var backoff = Backoff(timing)
        while !Task.isCancelled {
            do {
                for node in nodes { try await coordinator.register(node) }
                status.registered = true
                status.coordinatorReachable = true
                logger.info("nodes registered", metadata: ["nodes": "\(nodes.map(\.id).joined(separator: ","))"])
                writeStatus()
                return
            } catch {
                noteFailure(error, doing: "register")
                if case .refused = error {
                    logger.error("the coordinator refused a node; fix the configuration", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(backoff.next()))
            }
        }
    }

    /// Measures the host, and the GPUs where there is a tool for them, and posts each node's
    /// result ("measured, not declared"): the GPU figures of a node are the means over its own
    /// GPUs; a node whose GPUs were not measured posts the host figures alone.
    private func benchmarkOnce() async {
        guard let workload = timing.benchmark else { return }
        let clock = ContinuousClock()
        let started = clock.now
        let host = await HostBenchmark.run(workload: workload, cores: max(1, nodes.map(\.cpu).max() ?? 1))
        logger.info("host benchmark", metadata: [
            "cpu_fp32_gflops": "\(host.cpuFP32GFLOPS)", "memory_bandwidth_mbps": "\(host.memoryBandwidthMBps)",
            "cores": "\(host.coresMeasured)", "duration_ms": "\(host.durationMilliseconds)",
        ])
        let gpus = await measureGPUs()
        let seconds = max(1, Int64((started.duration(to: clock.now).components.seconds)))
        for (node, offer) in zip(nodes, offers) {
            let result = Self.nodeBenchmark(host: host, gpus: gpus, offer: offer, durationSeconds: seconds)
            var backoff = Backoff(timing)
            for _ in 0..<10 where !Task.isCancelled {
                do {
                    try await coordinator.reportBenchmark(nodeID: node.id, result: result)
                    break
                } catch {
                    noteFailure(error, doing: "report the benchmark of \(node.id)")
                    if case .refused = error { break }
                    try? await Task.sleep(for: .seconds(backoff.next()))
                }
            }
        }
    }

    /// Runs the GPU benchmark over every offered GPU that no lease holds (a restarted agent's
    /// running jobs keep theirs); `nil` when it measured nothing (logged).
    private func measureGPUs() async -> GPUBenchmarkResult? {
        let busy = Set(reconciler.parts.values.flatMap(\.work.gpuIndices))
        let indices = offers.flatMap(\.gpuIndices).filter { !busy.contains($0) }.sorted()
        guard let gpuBenchmark, !indices.isEmpty else { return nil }
        switch await gpuBenchmark(indices) {
        case .measured(let result):
            logger.info("GPU benchmark", metadata: [
                "tool": "\(result.tool) \(result.toolVersion)", "gpus": "\(result.gpus.count)",
                "fp16_dense_gflops": "\(result.gpus.map { Int64($0.fp16DenseGFLOPS) })",
                "memory_bandwidth_mbps": "\(result.gpus.map { Int64($0.memoryBandwidthMBps) })",
            ])
            return result
        case .unavailable(let reason):
            logger.notice("GPUs not benchmarked: no tool for them here; posting host figures only", metadata: ["reason": "\(reason)"])
            return nil
        case .failed(let message):
            logger.error("the GPU benchmark failed; posting host figures only", metadata: ["error": "\(message)"])
            return nil
        }
    }

    /// One node's report: the host's figures, with the means over the node's own GPUs when
    /// every one of them was measured (a node is never credited with another node's GPUs).
    static func nodeBenchmark(host: HostBenchmarkResult, gpus: GPUBenchmarkResult?, offer: LeaseReconciler.NodeOffer, durationSeconds: Int64) -> NodeBenchmark {
        let hostFigures = NodeBenchmark.HostMeasurement(
            cpuCores: host.coresMeasured, cpuFP32GFLOPS: max(1, host.cpuFP32GFLOPS), memoryBandwidthMBps: max(1, host.memoryBandwidthMBps))
        if var measured = gpus, !offer.gpuIndices.isEmpty {
            let mine = measured.gpus.filter { offer.gpuIndices.contains($0.index) }
            if mine.count == offer.gpuIndices.count {
                measured.gpus = mine
                return measured.nodeBenchmark(durationSeconds: durationSeconds, host: hostFigures)
            }
        }
        return NodeBenchmark(
            tool: host.tool, toolVersion: host.toolVersion, durationSeconds: durationSeconds, gpusMeasured: 0,
            fp16DenseGFLOPS: 0, fp32GFLOPS: 0, memoryBandwidthMBps: 0, hostToDeviceMBps: 0, deviceToHostMBps: 0, host: hostFigures)
    }

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            do {
                try await coordinator.heartbeat(nodeIDs: nodes.map(\.id))
                status.lastHeartbeat = Timestamp.now.description
                status.coordinatorReachable = true
                writeStatus()
            } catch {
                noteFailure(error, doing: "heartbeat")
                if case .refused(_, "unknown_node", _) = error { await registerUntilDone() }
            }
            try? await Task.sleep(for: .seconds(timing.heartbeatSeconds))
        }
    }

    private func pollLoop() async {
        var backoff = Backoff(timing)
        while !Task.isCancelled {
            do {
                let (version, leases) = try await coordinator.pollLeases(after: leaseVersion, waitSeconds: timing.pollWaitSeconds)
                pollReceived = Date()
                defer { pollReceived = nil }
                reportedUsage = Dictionary(leases.compactMap { lease in lease.usage.map { (lease.id, $0) } }, uniquingKeysWith: { first, _ in first })
                backoff.reset()
                // A coordinator that restarted from an older snapshot may count versions anew.
                leaseVersion = version
                status.leaseVersion = version
                status.lastPoll = Timestamp.now.description
                status.coordinatorReachable = true
                await perform(reconcile { $0.leasesPolled(leases, now: .now) })
            } catch {
                if Task.isCancelled { return }
                noteFailure(error, doing: "poll leases")
                if case .refused = error { leaseVersion = 0 }
                try? await Task.sleep(for: .seconds(backoff.next()))
            }
        }
    }

    /// Every second or so: output to the coordinator, usage reports when due, end reports that
    /// failed before.
    private func housekeepingLoop() async {
        while !Task.isCancelled {
            await shipOutput()
            await reportUsageWhenDue()
            await perform(reconciler.pendingReports)
            writeStatus()
            try? await Task.sleep(for: .seconds(timing.outputFlushSeconds))
        }
    }

    // MARK: Actions

    private func reconcile(_ step: (inout LeaseReconciler) -> [LeaseReconciler.Action]) -> [LeaseReconciler.Action] {
        let actions = step(&reconciler)
        saveJournal()
        return actions
    }

    /// Most leases starting at once (a start is a few processes and files, or an image pull).
    static let concurrentStarts = 16

    private func perform(_ actions: [LeaseReconciler.Action]) async {
        for action in actions {
            switch action {
            case .start(let work):
                launch(work, polled: pollReceived)
            case .terminate(let partID, let grace):
                logger.info("preemption notice: stopping the job", metadata: ["part": "\(partID)", "grace_s": "\(grace)"])
                await jobs[partID]?.terminate(graceSeconds: grace)
            case .kill(let partID):
                logger.info("the coordinator ended the lease: stopping the job", metadata: ["part": "\(partID)"])
                if let job = jobs[partID] {
                    await job.terminate(graceSeconds: timing.stopGraceSeconds)
                } else if !starting.contains(partID) && !waitingToStart.contains(where: { $0.work.leaseID == partID }) {
                    await perform(reconcile { $0.jobEnded(partID: partID, exit: .stopped) })
                }
                // A start under way: ``started`` finds the part stopping and stops the job.
            case .reportEnd(let leaseID, let partID, var report):
                await shipOutput(partID: partID, final: true)
                report.outputs = await outputs(for: partID, reason: report.reason)
                do {
                    try await coordinator.endLease(leaseID, report: report)
                    logger.info("lease end reported", metadata: ["lease": "\(leaseID)", "reason": "\(report.reason.rawValue)",
                                                                "exit_code": "\(report.exitCode.map(String.init) ?? "-")"])
                    reconciler.endReported(partID: partID)
                    saveJournal()
                } catch {
                    switch error {
                    case .refused(_, let code, _) where ["lease_already_ended", "unknown_lease", "not_allowed_to_end"].contains(code):
                        reconciler.endReported(partID: partID)
                        saveJournal()
                    default:
                        noteFailure(error, doing: "report the end of \(leaseID)")
                    }
                }
            case .cleanUp(let partID):
                jobs[partID] = nil
                collectedOutputs[partID] = nil
                data?.cleanUp(partID: partID)
                linesSent[partID] = nil
                lastUsage[partID] = nil
                usageMeters[partID] = nil
                cpuEnergyBase[partID] = nil
                saveJournal()
                do { try await executor.cleanUp(leaseID: partID) } catch {
                    logger.warning("could not clean up a lease", metadata: ["part": "\(partID)", "error": "\(error)"])
                }
            }
        }
    }

    /// Starts `work` in a task of its own (at most ``concurrentStarts`` at once, the rest wait
    /// their turn), so that a slow start, such as an image pull, holds up neither the poll
    /// loop nor other leases: the agent keeps polling, and a lease ended meanwhile is stopped as
    /// soon as its job runs. `polled`: when the poll that showed the lease came back (for
    /// ``startLatencies``), `nil` for a start after a restart.
    private func launch(_ work: LeaseWork, polled: Date?) {
        guard !starting.contains(work.leaseID), !waitingToStart.contains(where: { $0.work.leaseID == work.leaseID }) else { return }
        guard starting.count < Self.concurrentStarts else {
            waitingToStart.append((work, polled))
            return
        }
        starting.insert(work.leaseID)
        let executor = self.executor
        let data = self.data
        Task {
            var work = work
            if work.contents != nil || !work.wantedInputs.isEmpty || !work.secretNames.isEmpty {
                do {
                    guard let data else { throw LeaseData.InputFailure(description: "this agent does not fetch job contents or inputs") }
                    work = try await data.applyContents(to: work)
                    await self.contentsApplied(work)
                    if work.command.isEmpty && work.image == nil {
                        throw LeaseData.InputFailure(description: "the job's contents name neither an image nor a command")
                    }
                    if !work.secretNames.isEmpty {
                        guard executor.deliversSecrets else {
                            throw LeaseData.InputFailure(description: "this node's \(executor.name) executor cannot deliver secrets (its jobs may run on other hosts)")
                        }
                        guard let part = await self.part(work.leaseID) else {
                            throw LeaseData.InputFailure(description: "the lease's part is no longer known to the agent")
                        }
                        work.secrets = try await data.fetchSecrets(names: work.secretNames, leaseID: part.leaseID, node: part.nodeID)
                    }
                    work.inputs = try await data.stage(work.wantedInputs, partID: work.leaseID)
                } catch {
                    await self.inputsFailed(work, "\(error)")
                    return
                }
            }
            let result: Result<any RunningJob, any Error>
            do { result = .success(try await executor.start(work)) } catch { result = .failure(error) }
            await self.started(work, result, polled: polled, at: Date())
        }
    }

    /// The part a start belongs to.
    private func part(_ partID: String) -> LeaseReconciler.Part? {
        reconciler.parts[partID]
    }

    /// Records a part's work with its contents applied (its outputs' paths, for their return).
    private func contentsApplied(_ work: LeaseWork) {
        reconciler.updateWork(work)
    }

    /// An input could not be staged: the lease ends as `input_failed`, and the reason is the
    /// job's only output line.
    private func inputsFailed(_ work: LeaseWork, _ reason: String) async {
        starting.remove(work.leaseID)
        if !waitingToStart.isEmpty {
            let (next, nextPolled) = waitingToStart.removeFirst()
            launch(next, polled: nextPolled)
        }
        logger.warning("an input of the lease failed", metadata: ["part": "\(work.leaseID)", "reason": "\(reason)"])
        if let part = reconciler.parts[work.leaseID] {
            try? await coordinator.postLogs(leaseID: part.leaseID, nodeID: part.nodeID, firstLine: 0, lines: ["osg agent: \(reason)"])
        }
        await perform(reconcile { $0.jobEnded(partID: work.leaseID, exit: .inputFailed(reason)) })
    }

    /// The outputs to report with a part's end: collected once from the work directory, for a
    /// completed or failed job whose spec lists outputs (rank 0 of a gang).
    private func outputs(for partID: String, reason: LeaseEndReason) async -> [OutputBlob?]? {
        if let done = collectedOutputs[partID] { return done }
        guard reason == .completed || reason == .jobFailed, let part = reconciler.parts[partID], !part.work.outputs.isEmpty,
              let work = executor.workDirectory(leaseID: partID) else { return nil }
        guard let data else { return part.work.outputs.map { _ in nil } }
        let logger = self.logger
        let collected = await data.collect(part.work.outputs, from: work, job: part.work.jobID, partID: partID) { note in
            logger.warning("\(note)", metadata: ["part": "\(partID)"])
        }
        collectedOutputs[partID] = collected
        return collected
    }

    /// A start came back: watch the job, or stop it if the coordinator ended the lease meanwhile.
    private func started(_ work: LeaseWork, _ result: Result<any RunningJob, any Error>, polled: Date?, at running: Date) async {
        starting.remove(work.leaseID)
        if !waitingToStart.isEmpty {
            let (next, nextPolled) = waitingToStart.removeFirst()
            launch(next, polled: nextPolled)
        }
        guard !stopped else { return }
        switch result {
        case .success(let job):
            if let polled {
                if startLatencies.count == 10_000 { startLatencies.removeFirst(5_000) }
                startLatencies.append(running.timeIntervalSince(polled))
            }
            guard let part = reconciler.parts[work.leaseID] else {
                // Nothing of ours any more (not expected: a part stays known while it starts).
                await job.kill()
                _ = await job.exit()
                try? await executor.cleanUp(leaseID: work.leaseID)
                return
            }
            logger.info("lease started", metadata: ["part": "\(work.leaseID)", "job": "\(work.jobID)", "gpus": "\(work.gpuIndices)"])
            adopt(job, partID: work.leaseID)
            if part.phase == .stopping {
                // The coordinator ended the lease while it was starting.
                await job.terminate(graceSeconds: timing.stopGraceSeconds)
            }
        case .failure(let error):
            logger.error("could not start a lease", metadata: ["part": "\(work.leaseID)", "error": "\(error)"])
            await perform(reconcile { $0.jobEnded(partID: work.leaseID, exit: .nodeFault("the executor could not start the job: \(error)")) })
        }
    }

    /// Watches a job until it ends.
    private func adopt(_ job: any RunningJob, partID: String) {
        jobs[partID] = job
        lastUsage[partID] = lastUsage[partID] ?? Date()
        guard watched.insert(partID).inserted else { return }
        Task {
            let exit = await job.exit()
            await self.jobExited(partID: partID, exit: exit)
        }
    }

    private func jobExited(partID: String, exit: JobExit) async {
        watched.remove(partID)
        guard !stopped else { return }
        logger.info("job ended", metadata: ["part": "\(partID)", "exit": "\(exit)"])
        await shipOutput(partID: partID, final: true)
        await perform(reconcile { $0.jobEnded(partID: partID, exit: exit) })
    }

    private func shipOutput() async {
        for partID in jobs.keys.sorted() { await shipOutput(partID: partID) }
    }

    /// Sends the part's new output lines (at most 1,000 per request, a few requests per call).
    /// - Parameter final: wait for a send already under way (up to 10 s), then send the rest:
    ///   before an end is reported, every line the job wrote goes first.
    private func shipOutput(partID: String, final: Bool = false) async {
        if final {
            for _ in 0..<500 where shipping.contains(partID) { try? await Task.sleep(for: .milliseconds(20)) }
        }
        guard let job = jobs[partID], let part = reconciler.parts[partID], shipping.insert(partID).inserted else { return }
        defer { shipping.remove(partID) }
        for _ in 0..<8 {
            let offset = linesSent[partID] ?? 0
            guard let (lines, next) = try? await job.output(from: offset, limit: 1_000), !lines.isEmpty else { return }
            let prefix = part.work.worldSize > 1 ? "[rank \(part.work.rank)] " : ""
            do {
                try await coordinator.postLogs(leaseID: part.leaseID, nodeID: part.nodeID, firstLine: offset, lines: lines.map { prefix + $0.text })
                linesSent[partID] = next
                saveJournal()
            } catch {
                if case .refused = error {
                    // The lease ended meanwhile: the lines have nowhere to go.
                    linesSent[partID] = next
                    saveJournal()
                } else {
                    noteFailure(error, doing: "send output")
                }
                return
            }
        }
    }

    private func reportUsageWhenDue() async {
        let now = Date()
        let due = reconciler.parts.sorted(by: { $0.key < $1.key }).filter { partID, part in
            part.phase == .running && part.work.rank == 0
                && lastUsage[partID].map { now.timeIntervalSince($0) >= timing.usageReportSeconds } == true
        }
        guard !due.isEmpty else { return }
        let readings = await gpuReadings?() ?? [:]
        let host = hostEnergy?.read()
        for (partID, part) in due {
            let seconds = now.timeIntervalSince(lastUsage[partID] ?? now)
            lastUsage[partID] = now
            let reported = reportedUsage[part.leaseID]
            var meter = usageMeters[partID] ?? LeaseUsageMeter(energyWh: reported?.energyWh ?? 0)
            var counters = meter.counters(readings: readings, gpuIndices: part.work.gpuIndices, seconds: seconds)
            if let cpu = await jobs[partID]?.cpuMilliseconds() {
                // Cumulative and never decreasing, across agent restarts too.
                counters.cpuMilliseconds = max(cpu, reported?.cpuMilliseconds ?? 0)
                if counters.energyWh == nil, let host {
                    // No GPU reading: the lease's share of the CPU package's energy.
                    if let base = cpuEnergyBase[partID] {
                        counters.energyWh = meter.add(joules: HostEnergyMeter.share(from: base.host, to: host, leaseCPUMilliseconds: cpu - base.cpuMilliseconds))
                    }
                    cpuEnergyBase[partID] = (host, cpu)
                }
            }
            usageMeters[partID] = meter
            do {
                try await coordinator.reportUsage(leaseID: part.leaseID, through: .now, counters: counters)
            } catch {
                noteFailure(error, doing: "report usage of \(part.leaseID)")
            }
        }
    }

    // MARK: Bookkeeping

    private func noteFailure(_ error: AgentCoordinatorError, doing what: String) {
        if case .unreachable = error { status.coordinatorReachable = false }
        status.lastError = "\(what): \(error)"
        logger.warning("\(what) failed", metadata: ["error": "\(error)"])
        writeStatus()
    }

    private func saveJournal() {
        do {
            try AgentJournal(parts: reconciler.parts, linesSent: linesSent).save(to: stateDirectory.appendingPathComponent("journal.json"))
        } catch {
            logger.error("could not save the agent's journal", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the status file when the status changed (an idle agent writes nothing).
    private func writeStatus() {
        status.running = reconciler.parts.filter { $0.value.phase == .running }.keys.sorted()
        status.endsToReport = reconciler.pendingReports.compactMap { if case .reportEnd(let lease, _, _) = $0 { lease } else { nil } }
        guard status != writtenStatus, let data = try? JSONEncoder().encode(status) else { return }
        writtenStatus = status
        let url = Self.statusFile(in: stateDirectory)
        let temporary = url.appendingPathExtension("tmp")
        if FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) {
            _ = rename(temporary.path, url.path)
        }
    }

    /// The current status (for tests and `osg agent status` in-process).
    public var currentStatus: Status { status }
}

/// Exponential backoff with ±50 % jitter.
struct Backoff {
    private let first: Double
    private let maximum: Double
    private var current: Double

    init(_ timing: Agent.Timing) {
        first = timing.backoffFirstSeconds
        maximum = timing.backoffMaxSeconds
        current = first
    }

    mutating func next() -> Double {
        let delay = current * Double.random(in: 0.5...1.5)
        current = min(maximum, current * 2)
        return min(maximum, delay)
    }

    mutating func reset() { current = first }
}

extension Timestamp {
    /// The wall clock now, to the second (the agent is an edge, not the core).
    static var now: Timestamp { Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)) }
}
