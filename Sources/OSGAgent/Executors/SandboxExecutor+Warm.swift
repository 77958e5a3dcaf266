import Foundation
import Logging
import OSGDomain

#if canImport(Glibc)
import Glibc
#endif

/// Warm sandboxes: built before their leases, so that a lease of a common shape starts with a
/// rename and a pipe write instead of a new bubblewrap sandbox (see ``SandboxWarmSlot``).
extension SandboxExecutor {
    /// Where warm slots live until a lease takes them: `<state>/warm/`.
    var warmDirectory: URL { stateDirectory.appendingPathComponent("warm", isDirectory: true) }

    /// Keeps a sandbox ready for each of `shapes` (see ``WarmLeaseShape``; a shape listed twice,
    /// two), built in the background one at a time; `[]` lets every ready one go. A lease of a
    /// kept shape then starts in a ready sandbox when there is one; any other lease, or one that
    /// finds none ready, starts in a sandbox built for it.
    ///
    /// A warm sandbox runs as a lease uid of its own, which its lease keeps, and serves one lease
    /// once. It ends unused when the agent lets it go or exits (its supervisor reads the end of
    /// its control pipe), and an agent that starts again removes whatever an earlier one left in
    /// `<state>/warm/` before building its own.
    public func keepWarm(_ shapes: [WarmLeaseShape]) async {
        let unwanted = warmPool.withLock { $0.setTargets(keepsWarmSandboxes ? shapes : []) }
        unwanted.forEach(letGo)
        buildWarmSlots()
    }

    /// How many warm sandboxes are ready (of `shape`, or of every shape).
    public func warmSandboxCount(of shape: WarmLeaseShape? = nil) -> Int {
        warmPool.withLock { $0.readyCount(of: shape) }
    }

    /// How many leases this executor started in a warm sandbox.
    public var warmStartCount: Int { warmPool.withLock { $0.warmStarts } }

    /// Builds, on ``warmQueue``, the slots the pool lacks.
    func buildWarmSlots() {
        warmQueue.async { [self] in
            if !warmPool.withLock({ $0.leftoversRemoved }) {
                removeWarmLeftovers()
                warmPool.withLock { $0.leftoversRemoved = true }
            }
            var prepared = false
            while let shape = warmPool.withLock({ $0.nextToBuild() }) {
                let slot: SandboxWarmSlot
                do {
                    // Once per round of builds, before the first.
                    if !prepared { try queue.sync { try prepareStateDirectory() } }
                    prepared = true
                    slot = try buildWarmSlot(shape)
                } catch {
                    warmPool.withLock { $0.finishBuilding(shape) }
                    // Tried again at the next clean-up or keepWarm; leases start cold meanwhile.
                    logger.warning("could not build a warm sandbox: leases start in sandboxes built for them", metadata: ["shape": "\(shape)", "error": "\(error)"])
                    return
                }
                if !warmPool.withLock({ $0.built(slot) }) { letGo(slot) }
            }
        }
    }

    /// Builds one slot of `shape` and waits until its sandbox runs the launcher.
    private func buildWarmSlot(_ shape: WarmLeaseShape) throws -> SandboxWarmSlot {
        if !SandboxFiles.exists(warmDirectory) { try SandboxFiles.makeDirectory(warmDirectory, mode: 0o711) }
        let uid = runsAsRoot ? try allocateUID() : nil
        let name = "slot-" + Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255) })
        let directory = SandboxLeaseDirectory(slotRoot: warmDirectory.appendingPathComponent(name, isDirectory: true))
        // The supervisor's ends (closed here once it has them), and the agent's (closed here on failure).
        var descriptors: [Int32] = []
        var kept: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        do {
            try SandboxFiles.makeDirectory(directory.root, mode: 0o711)
            try SandboxFiles.makeDirectory(directory.work, mode: 0o700, owner: uid ?? geteuid())
            let memoryBytes = Int64(shape.memoryGiB) << 30
            // The sandbox of a lease of this shape (see WarmLeaseShape), whatever its command.
            let work = LeaseWork(
                leaseID: name, jobID: name, jobName: name, command: ["/bin/true"], cpuCores: 1, memoryGiB: shape.memoryGiB,
                gpuIndices: [shape.gpuIndex], maxDurationSeconds: 1)
            let arguments = SandboxArguments(
                work: work, workDirectory: directory.work.path, root: .host, layout: hostLayout(), tmpfsBytes: memoryBytes, setsEnvironment: false)
            let cgroup = cgroupParent?.appendingPathComponent("osg-warm-\(name)", isDirectory: true)
            try writeSandboxFiles(directory, uid: uid, options: arguments.options)
            if let cgroup { try SandboxFiles.writeNew(cgroup.path + "\n", to: directory.cgroupRecord) }
            let script = SandboxSupervisorScript(
                leaseDirectory: directory.root.path, sharedDirectory: sharedDirectory.path, bwrapPath: bwrapPath, jobUID: uid,
                maxDurationSeconds: 1, memoryBytes: memoryBytes, cpuCores: 1, pidsMax: Self.maximumProcessesPerLease,
                limits: cgroup.map { .cgroup(path: $0.path) } ?? .rlimits
            )
            let timer = try SandboxProcess.highPipe()
            descriptors += [timer.read, timer.write]
            let control = try SandboxProcess.highPipe()
            descriptors += [control.read]
            kept += [control.write]
            let launch = try SandboxProcess.highPipe()
            descriptors += [launch.read, launch.write]
            let started = try SandboxProcess.highPipe()
            descriptors += [started.write]
            kept += [started.read]
            let pid = try SandboxProcess.spawnDetached(
                ["/bin/bash", supervisorScript.path] + script.warmArguments, logPath: directory.supervisorLog.path,
                passing: [
                    SandboxSupervisorScript.timerReadFD: timer.read, SandboxSupervisorScript.timerWriteFD: timer.write,
                    SandboxSupervisorScript.controlFD: control.read, SandboxSupervisorScript.launchReadFD: launch.read,
                    SandboxSupervisorScript.launchWriteFD: launch.write, SandboxSupervisorScript.startedFD: started.write,
                ]
            )
            guard let identity = SandboxProcessIdentity.current(pid: pid) else {
                SandboxProcess.reap(pid)
                throw ExecutorError("warm_spawn_failed", "the warm sandbox's supervisor ended at once: see \(directory.supervisorLog.path)")
            }
            kept = []  // the slot holds them now
            let slot = SandboxWarmSlot(shape: shape, root: directory.root, uid: uid, supervisor: identity, cgroup: cgroup, control: control.write, started: started.read)
            guard slot.waitUntilReady(timeoutSeconds: Self.startTimeoutSeconds) else {
                let log = SandboxFiles.readText(directory.supervisorLog, limit: 2_000) ?? ""
                let stderr = SandboxFiles.readText(directory.stderr, limit: 2_000) ?? ""
                letGo(slot)
                throw ExecutorError("warm_failed", "the warm sandbox did not start: \(stderr)\(log)".trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return slot
        } catch let error as ExecutorError where error.code == "warm_failed" {
            throw error  // its slot was let go, which removes its files and gives its uid back
        } catch {
            kept.forEach { close($0) }
            try? FileManager.default.removeItem(at: directory.root)
            releaseUID(uid)
            throw error
        }
    }

    /// On ``queue``: a ready slot of `shape`, its directory renamed to the lease's; `nil` if
    /// none is ready (the lease then starts in a sandbox built for it). The job is handed over
    /// with ``handOver(_:to:)``.
    func startInWarmSlot(_ work: LeaseWork, shape: WarmLeaseShape, in directory: SandboxLeaseDirectory) -> (SandboxJob, SandboxWarmSlot)? {
        while let slot = warmPool.withLock({ $0.take(shape) }) {
            guard slot.sandboxWaits, slot.supervisor.isAlive else {
                letGo(slot)
                continue
            }
            // The sandbox's /work is bound to the work directory itself: it follows the rename.
            guard rename(slot.root.path, directory.root.path) == 0 else {
                logger.warning("could not move a warm sandbox to its lease", metadata: ["lease": "\(work.leaseID)", "error": "\(String(cString: strerror(errno)))"])
                letGo(slot)
                return nil
            }
            warmPool.withLock { $0.warmStarts += 1 }
            logger.info(
                "sandbox job started in a warm sandbox",
                metadata: [
                    "lease": "\(work.leaseID)", "uid": "\(slot.uid.map(String.init) ?? "agent")", "supervisor": "\(slot.supervisor.pid)",
                    "limits": "\(slot.cgroup == nil ? "rlimits" : "cgroup")",
                ]
            )
            let job = SandboxJob(
                directory: directory, supervisor: slot.supervisor, isChild: true, cpuTime: slot.cgroup.map(LeaseCPUTime.cgroup) ?? slot.uid.map(LeaseCPUTime.uid),
                logger: logger)
            return (job, slot)
        }
        return nil
    }

    /// Off the queue: gives the lease's job to its slot and waits for the launcher to start it.
    func handOver(_ work: LeaseWork, to slot: SandboxWarmSlot) {
        let message = SandboxSupervisorScript.goMessage(
            maxDurationSeconds: work.maxDurationSeconds, cpuCores: work.cpuCores, environment: SandboxArguments.environment(for: work),
            command: work.command)
        if !slot.handOver(message, timeoutSeconds: Self.startTimeoutSeconds) {
            // The supervisor records how its sandbox ended; the job reports it.
            logger.warning("the warm sandbox did not report starting the job", metadata: ["lease": "\(work.leaseID)"])
        }
    }

    /// Lets `slot` go: its supervisor ends its sandbox; once it has ended, its files, cgroup and
    /// uid are given back.
    func letGo(_ slot: SandboxWarmSlot) {
        slot.letGo()
        SandboxProcess.reap(slot.supervisor.pid) { [self] _ in
            try? FileManager.default.removeItem(at: slot.root)
            if let cgroup = slot.cgroup { removeCgroup(cgroup) }
            releaseUID(slot.uid)
        }
    }

    /// Removes the slots an earlier agent left in `<state>/warm/` (ending their sandboxes: each
    /// dies with its supervisor).
    private func removeWarmLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: warmDirectory.path)) ?? []
        for name in names {
            let directory = SandboxLeaseDirectory(slotRoot: warmDirectory.appendingPathComponent(name, isDirectory: true))
            if let supervisor = SandboxFiles.readText(directory.supervisorPID).flatMap(SandboxProcessIdentity.init(line:)), supervisor.isAlive {
                kill(supervisor.pid, SIGKILL)
            }
            let cgroup = recordedCgroup(of: directory)
            try? FileManager.default.removeItem(at: directory.root)
            if let cgroup { removeCgroup(cgroup) }
        }
        if !names.isEmpty { logger.info("removed warm sandboxes an earlier agent left", metadata: ["count": "\(names.count)"]) }
    }
}
