import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The default executor: each lease runs in a bubblewrap sandbox, under a supervisor that
/// outlives the agent.
///
/// The job sees the host's system read-only, a minimal `/etc`, a private `/tmp`, its own `/proc`
/// and a minimal `/dev` (plus its leased GPUs' device nodes), and one writable directory,
/// `/work`; it has no network unless the spec allows it, runs as an unprivileged user of its
/// own (a host uid per lease when the agent is root), and cannot see other leases or the
/// agent's files. Everything for a lease lives under `<state>/leases/<leaseID>/` (see
/// ``SandboxLeaseDirectory``).
///
/// ```swift
/// let executor = SandboxExecutor(stateDirectory: URL(fileURLWithPath: "/var/lib/osg/sandbox"), logger: logger)
/// try await executor.preflight()
/// let job = try await executor.start(work)
/// let exit = await job.exit()
/// try await executor.cleanUp(leaseID: work.leaseID)
/// ```
///
/// Limits: a cgroup v2 per lease (`cpu.max`, `memory.max`, `pids.max`) when the agent's own
/// cgroup is delegated to it (systemd `Delegate=yes`; use `KillMode=process` so a restart of the
/// agent does not kill the leases), otherwise rlimits (see ``SandboxLimits``); the choice is
/// logged.
///
/// A job with an `image` runs in that image's root filesystem instead of the host's system:
/// ``imageStore`` fetches and unpacks it (once per manifest digest, shared by leases), and the
/// sandbox binds it read-only at `/`, with the same `/work`, `/tmp`, `/proc`, `/dev`, isolation
/// and limits. The image's `Env` comes under the spec's environment, its `WorkingDir` replaces
/// `/work` as the starting directory, and the command is the image's `Entrypoint` followed by
/// the spec's command, or by the image's `Cmd` when the spec gives none (as `docker run IMAGE
/// COMMAND…`). An image failure that is the tenant's (see ``OCIImageStore/jobFaultCodes``, and
/// an image with nothing to run) ends the job at once as `exited(125)` (docker's code for a run
/// that could not start) with the reason on its stderr, so the tenant sees it and it is not
/// retried as a node fault; a failure of the node's (tools missing, network, disk) is thrown.
public final class SandboxExecutor: LeaseExecutor, Sendable {
    public let name = "sandbox"
    /// Where everything the executor keeps lives (`leases/<leaseID>/`).
    public let stateDirectory: URL
    /// The bubblewrap binary.
    public let bwrapPath: String
    /// The cgroup v2 under which each lease gets its own, or `nil` when rlimits apply.
    public let cgroupParent: URL?
    /// The first host uid given to leases (when the agent runs as root); lease uids are
    /// `jobUIDBase ..< jobUIDBase + jobUIDCount`.
    public let jobUIDBase: UInt32
    public static let jobUIDCount: UInt32 = 65_536
    /// The first lease uid unless the operator names another: a range distributions and
    /// systemd leave unused.
    public static let defaultJobUIDBase: UInt32 = 0x7000_0000
    /// Processes (and threads) a lease may have at once.
    public static let maximumProcessesPerLease = 4096
    /// How long ``start(_:)`` waits for the sandbox to run before it reports the job as started anyway.
    static let startTimeoutSeconds: Double = 10
    /// The exit code of a job whose image could not be used for a reason of the tenant's (as
    /// `docker run`'s 125): the job never ran.
    public static let imageRefusedExitCode: Int32 = 125
    /// Fetches and unpacks the jobs' images.
    public let imageStore: OCIImageStore
    /// Whether ``keepWarm(_:)`` builds sandboxes ahead of their leases (when `false` it keeps none).
    public let keepsWarmSandboxes: Bool

    let logger: Logger
    let runsAsRoot: Bool
    private var leasesDirectory: URL { stateDirectory.appendingPathComponent("leases", isDirectory: true) }
    /// Files every lease shares, written once (see ``sharedFiles``): a start writes none of them.
    var sharedDirectory: URL { Self.sharedDirectory(of: stateDirectory) }
    /// The supervisor script of this version, in ``sharedDirectory``.
    var supervisorScript: URL { SandboxSupervisorScript.url(in: sharedDirectory) }
    /// Whether ``sharedDirectory`` holds this version's files (checked once, then by their script's presence).
    private let sharedFilesWritten = Mutex(false)
    /// The host's layout and when it was read: read again when older than ``layoutLifetimeSeconds``.
    private let cachedLayout = Mutex<(read: Date, layout: SandboxHostLayout)?>(nil)
    /// How long a read of the host's layout serves starts.
    static let layoutLifetimeSeconds: Double = 5
    /// Starts, adoptions and clean-ups run here one at a time, off the cooperative pool: a lease
    /// is never started twice.
    let queue = DispatchQueue(label: "osg.sandbox.executor")
    let jobs = Mutex<[String: SandboxJob]>([:])
    /// The warm sandboxes kept and wanted (see ``keepWarm(_:)``).
    let warmPool = Mutex(SandboxWarmPool())
    /// Warm sandboxes are built here, one at a time, beside starts and clean-ups.
    let warmQueue = DispatchQueue(label: "osg.sandbox.warm", qos: .utility)
    /// The lease uids that lease directories hold, read from disk at the first start and kept
    /// up to date by starts and clean-ups (`nil` until then): a start costs no directory scan.
    private let usedUIDs = Mutex<Set<UInt32>?>(nil)

    /// - Parameters:
    ///   - stateDirectory: the executor's directory (created if missing; it must be traversable
    ///     by the lease uids, so it gets `o+x`).
    ///   - bwrapPath: the bubblewrap binary; by default the first `bwrap` on `PATH` or in `/usr/bin`.
    ///   - cgroupParent: a delegated cgroup v2 directory for the leases' cgroups (see
    ///     ``usableCgroup(_:)``); `nil` tries the agent's own cgroup. If neither can hold them,
    ///     rlimits apply.
    ///   - jobUIDBase: the first host uid for leases; the default range (0x70000000…) is unused
    ///     by distributions and systemd.
    ///   - imageStore: where jobs' images come from; by default a store in `<state>/images`
    ///     serving registry images only.
    ///   - keepsWarmSandboxes: whether ``keepWarm(_:)`` builds sandboxes ahead of their leases.
    ///   - logger: where the executor says what it does (which limits apply, jobs' ends).
    public init(
        stateDirectory: URL, bwrapPath: String = SandboxExecutor.defaultBwrapPath, cgroupParent: URL? = nil,
        jobUIDBase: UInt32 = SandboxExecutor.defaultJobUIDBase, imageStore: OCIImageStore? = nil, keepsWarmSandboxes: Bool = true,
        logger: Logger
    ) {
        self.keepsWarmSandboxes = keepsWarmSandboxes
        precondition(jobUIDBase >= 1000 && UInt64(jobUIDBase) + UInt64(Self.jobUIDCount) < UInt64(UInt32.max), "job uids must be ordinary, valid uids")
        self.stateDirectory = stateDirectory.standardizedFileURL
        self.bwrapPath = bwrapPath
        self.jobUIDBase = jobUIDBase
        self.logger = logger
        self.runsAsRoot = geteuid() == 0
        self.imageStore = imageStore
            ?? OCIImageStore(directory: stateDirectory.standardizedFileURL.appendingPathComponent("images", isDirectory: true), logger: logger)
        let discovered = cgroupParent.map(Self.usableCgroup) ?? Self.delegatedCgroup()
        self.cgroupParent = discovered
        if let cgroupParent, discovered == nil {
            logger.error("the given cgroup cannot hold the leases' cgroups: falling back to rlimits", metadata: ["cgroup": "\(cgroupParent.path)"])
        }
        if let discovered {
            logger.info("sandbox limits: a cgroup v2 per lease (cpu.max, memory.max, pids.max)", metadata: ["parent": "\(discovered.path)"])
        } else {
            logger.info(
                "sandbox limits: rlimits (RLIMIT_DATA per process, RLIMIT_NPROC per lease uid); CPU not limited: no delegated, writable cgroup v2"
            )
        }
        if !runsAsRoot {
            logger.warning("the agent does not run as root: jobs run as the agent's own uid (mapped to an unprivileged user inside)")
        }
    }

    deinit {
        // The supervisors end their unused sandboxes once their control pipes close.
        for slot in warmPool.withLock({ $0.removeAllReady() }) {
            slot.letGo()
            let (root, cgroup) = (slot.root, slot.cgroup)
            SandboxProcess.reap(slot.supervisor.pid) { _ in
                try? FileManager.default.removeItem(at: root)
                if let cgroup { rmdir(cgroup.path) }
            }
        }
    }

    /// The first `bwrap` on `PATH`, in `/usr/bin` or `/usr/local/bin`; `/usr/bin/bwrap` if none.
    public static var defaultBwrapPath: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/bwrap" } + ["/usr/bin/bwrap", "/usr/local/bin/bwrap"]
        return candidates.first { access($0, X_OK) == 0 } ?? "/usr/bin/bwrap"
    }

    /// Whether bubblewrap can run sandboxes on this host, as ``preflight()`` checks it.
    public static let isUsable: Bool = (try? probe()) != nil

    /// Checks that bubblewrap is installed and allowed to create the sandbox's namespaces as an
    /// unprivileged uid; throws a clear ``ExecutorError`` otherwise.
    public static func probe(bwrapPath: String = defaultBwrapPath, uid: UInt32 = 0x7000_0000) throws {
        guard access(bwrapPath, X_OK) == 0 else {
            throw ExecutorError("bubblewrap_missing", "bubblewrap is not installed (no executable \(bwrapPath)): apt-get install bubblewrap")
        }
        guard access("/bin/bash", X_OK) == 0 else {
            throw ExecutorError("bash_missing", "the lease supervisor needs /bin/bash: apt-get install bash")
        }
        var command = [bwrapPath, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "true"]
        if geteuid() == 0 {
            guard access("/usr/bin/setpriv", X_OK) == 0 else {
                throw ExecutorError("setpriv_missing", "the lease supervisor needs /usr/bin/setpriv to drop root: apt-get install util-linux")
            }
            command = ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--inh-caps=-all"] + command
        }
        let (status, stderr) = SandboxProcess.run(command, timeoutSeconds: 10)
        guard status == 0 else {
            throw ExecutorError(
                "namespaces_refused",
                "the kernel refuses unprivileged user namespaces (bwrap exit \(status): \(stderr.isEmpty ? "no message" : stderr)): allow them "
                    + "(sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0)"
            )
        }
    }

    /// Checks bubblewrap (``probe(bwrapPath:uid:)``) and that the state directory can be
    /// prepared. Missing image tools are only logged: the node still runs jobs without images.
    public func preflight() async throws {
        try await onQueue { [self] in
            try Self.probe(bwrapPath: bwrapPath, uid: jobUIDBase)
            try prepareStateDirectory()
            do {
                try imageStore.probe()
            } catch {
                logger.warning("jobs with an image will fail on this node", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Starts `work` in a new sandbox and returns once the sandbox runs, or returns the lease's
    /// existing job (running or ended, not cleaned up): a lease never runs twice.
    /// With an image, this first fetches and unpacks it (outside the executor's queue, so other
    /// leases' starts and clean-ups do not wait for a download).
    /// - Throws: ``ExecutorError`` `invalid_lease_id`, `invalid_work`, an image failure of the
    ///   node's (`image_tools_missing`, `image_pull_failed`, `image_unpack_failed`,
    ///   `image_cache_failed`), or a state-directory or spawn failure (then nothing of the lease
    ///   is left behind).
    public func start(_ work: LeaseWork) async throws -> any RunningJob {
        let directory = try SandboxLeaseDirectory(leaseID: work.leaseID, leasesDirectory: leasesDirectory)
        if let job = jobs.withLock({ $0[work.leaseID] }) { return job }
        // `nil`: an image lease already on disk, to adopt (nothing to fetch).
        var plan: LaunchPlan? = .host(command: work.command)
        if let reference = work.image {
            plan = nil
            if !SandboxFiles.exists(directory.root) {
                try Self.validate(work)
                plan = try await imagePlan(work, reference: reference)
            }
        }
        let (job, launched, warmSlot) = try await onQueue { [self, plan] () throws -> (SandboxJob, Bool, SandboxWarmSlot?) in
            if let job = jobs.withLock({ $0[work.leaseID] }) { return (job, false, nil) }
            if SandboxFiles.exists(directory.root) { return (adopt(directory), false, nil) }
            guard let plan else {
                throw ExecutorError("start_raced", "lease \(work.leaseID) was cleaned up while it was being started: start it again")
            }
            try Self.validate(work)
            try prepareStateDirectory()
            let job: SandboxJob
            var warmSlot: SandboxWarmSlot?
            let shape = WarmLeaseShape(of: work)
            if case .refused(let error) = plan {
                job = try refuse(work, error, in: directory)
            } else if case .host = plan, let shape, let (warmJob, slot) = startInWarmSlot(work, shape: shape, in: directory) {
                (job, warmSlot) = (warmJob, slot)
            } else {
                job = try launch(work, plan, in: directory)
            }
            if let shape { warmPool.withLock { $0.leaseStarted(work.leaseID, shape: shape) } }
            jobs.withLock { $0[work.leaseID] = job }
            return (job, true, warmSlot)
        }
        if launched {
            // Off the serial queue, so that many leases started at once wait for their
            // sandboxes together rather than one after another.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async { [self] in
                    if let warmSlot {
                        handOver(work, to: warmSlot)
                    } else {
                        waitUntilRunning(job)
                    }
                    continuation.resume()
                }
            }
        }
        return job
    }

    /// Secrets reach the job as files of a memory file system, bound read-only.
    public var deliversSecrets: Bool { true }

    /// Where a lease's secrets live while it runs: a folder of the host's /dev/shm (memory,
    /// never a disk), removed with the lease.
    static func secretsDirectory(leaseID: String) -> URL {
        URL(fileURLWithPath: "/dev/shm/osg-secrets-\(leaseID)", isDirectory: true)
    }

    /// Writes `secrets` into the lease's secrets folder, each file readable by `uid` only.
    static func writeSecrets(_ secrets: [LeaseSecret], leaseID: String, uid: uid_t?) throws -> [(name: String, file: String)] {
        guard !secrets.isEmpty else { return [] }
        let folder = secretsDirectory(leaseID: leaseID)
        guard FileManager.default.fileExists(atPath: "/dev/shm") else {
            throw ExecutorError("no_memory_filesystem", "secrets need /dev/shm (a memory file system) on this host")
        }
        try? FileManager.default.removeItem(at: folder)
        guard mkdir(folder.path, 0o711) == 0 else { throw ExecutorError("secrets_failed", "cannot create \(folder.path): \(String(cString: strerror(errno)))") }
        var files: [(name: String, file: String)] = []
        for secret in secrets {
            let path = folder.appendingPathComponent(secret.name).path
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o400)
            guard descriptor >= 0 else { throw ExecutorError("secrets_failed", "cannot create a secret file: \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            let written = secret.value.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == secret.value.count else { throw ExecutorError("secrets_failed", "cannot write a secret file") }
            if let uid, fchown(descriptor, uid, gid_t(uid)) != 0 {
                throw ExecutorError("secrets_failed", "cannot give a secret file to the lease's user: \(String(cString: strerror(errno)))")
            }
            files.append((secret.name, path))
        }
        return files
    }

    public func workDirectory(leaseID: String) -> URL? {
        (try? SandboxLeaseDirectory(leaseID: leaseID, leasesDirectory: leasesDirectory))?.work
    }

    /// Every lease in the state directory, running or ended: after an agent restart, a job whose
    /// supervisor still runs is running; one with a status has ended; one with neither ended as a
    /// node fault (its supervisor vanished while the agent was down).
    public func runningJobs() async throws -> [String: any RunningJob] {
        try await onQueue { [self] in
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: leasesDirectory.path) else { return [:] }
            var found: [String: any RunningJob] = [:]
            for name in names {
                guard let directory = try? SandboxLeaseDirectory(leaseID: name, leasesDirectory: leasesDirectory) else {
                    logger.warning("ignoring a stray entry in the leases directory", metadata: ["name": "\(name)"])
                    continue
                }
                found[name] = jobs.withLock({ $0[name] }) ?? adopt(directory)
            }
            return found
        }
    }

    /// Removes the lease's directory (work, output, status) and its cgroup; nothing if there is
    /// none. - Throws: `lease_running` if the job still runs (kill it and wait for its exit first).
    public func cleanUp(leaseID: String) async throws {
        let directory = try SandboxLeaseDirectory(leaseID: leaseID, leasesDirectory: leasesDirectory)
        try await onQueue { [self] in
            guard SandboxFiles.exists(directory.root) else {
                jobs.withLock { _ = $0.removeValue(forKey: leaseID) }
                if warmPool.withLock({ $0.leaseCleanedUp(leaseID) }) { buildWarmSlots() }
                return
            }
            let job = jobs.withLock({ $0[leaseID] }) ?? adopt(directory)
            if let supervisor = job.supervisor, supervisor.isAlive, !SandboxFiles.exists(directory.status) {
                throw ExecutorError("lease_running", "lease \(leaseID) still runs: kill() it and wait for exit() before cleanUp")
            }
            if let cgroup = cgroupPath(of: directory) { removeCgroup(cgroup) }
            try? FileManager.default.removeItem(at: Self.secretsDirectory(leaseID: leaseID))
            let uid = Self.recordedUID(directory)
            do {
                try FileManager.default.removeItem(at: directory.root)
            } catch {
                throw ExecutorError("cleanup_failed", "could not remove \(directory.root.path): \(error)")
            }
            releaseUID(uid)
            jobs.withLock { _ = $0.removeValue(forKey: leaseID) }
            logger.info("sandbox lease cleaned up", metadata: ["lease": "\(leaseID)"])
            // Its GPU is free: keep a sandbox ready for its next lease.
            if warmPool.withLock({ $0.leaseCleanedUp(leaseID) }) { buildWarmSlots() }
        }
    }

    // MARK: - Starting

    /// What a start runs: a command on the host's system, one in an image, or nothing (the
    /// image failed for a reason of the tenant's).
    enum LaunchPlan: Sendable {
        case host(command: [String])
        case image(OCIImage, command: [String])
        case refused(ExecutorError)
    }

    /// The image's plan: its root filesystem and the command to run there, or the tenant's
    /// failure to report as the job's. A failure of the node's is thrown.
    private func imagePlan(_ work: LeaseWork, reference: String) async throws -> LaunchPlan {
        let image: OCIImage
        do {
            image = try await imageStore.image(for: reference)
        } catch let error as ExecutorError where OCIImageStore.isJobFault(error) {
            return .refused(error)
        }
        guard let command = image.configuration.command(overriding: work.command) else {
            return .refused(
                ExecutorError(
                    "image_no_command",
                    "image \(reference.debugDescription) has no Entrypoint or Cmd and the job gives no command: give `command` in the job spec"
                )
            )
        }
        return .image(image, command: command)
    }

    /// Refuses work the sandbox cannot run as asked.
    static func validate(_ work: LeaseWork) throws {
        func refuse(_ message: String) -> ExecutorError { ExecutorError("invalid_work", "lease \(work.leaseID): \(message)") }
        if work.image == nil || !work.command.isEmpty {
            // Without an image the command is everything; with one, it may be left to the image.
            guard !work.command.isEmpty, !work.command[0].isEmpty else { throw refuse("command is empty: give the program to run") }
        }
        guard work.command.allSatisfy({ !$0.utf8.contains(0) }) else { throw refuse("command contains a NUL byte") }
        guard work.cpuCores >= 1 else { throw refuse("cpuCores \(work.cpuCores) must be at least 1") }
        guard work.memoryGiB >= 1 else { throw refuse("memoryGiB \(work.memoryGiB) must be at least 1") }
        guard work.maxDurationSeconds >= 1 else { throw refuse("maxDurationSeconds \(work.maxDurationSeconds) must be at least 1") }
        guard work.gpuIndices.allSatisfy({ (0..<64).contains($0) }) else { throw refuse("gpuIndices \(work.gpuIndices) must be in 0...63") }
        for (name, value) in work.environment {
            guard !name.isEmpty, !name.contains("="), !name.utf8.contains(0), !value.utf8.contains(0) else {
                throw refuse("environment variable \(name.debugDescription) needs a name without '=' or NUL and a value without NUL")
            }
        }
    }

    /// Records a lease whose image failed for a reason of the tenant's as a job that ended at
    /// once with ``imageRefusedExitCode``, the reason on its stderr; it survives an agent
    /// restart like any ended lease, and never runs.
    private func refuse(_ work: LeaseWork, _ error: ExecutorError, in directory: SandboxLeaseDirectory) throws -> SandboxJob {
        do {
            try SandboxFiles.makeDirectory(directory.root, mode: 0o711)
            try SandboxFiles.writeAtomically(Data(), to: directory.stdout)
            try SandboxFiles.writeAtomically(Data(), to: directory.outputIndex)
            try SandboxFiles.writeAtomically("osg: the job's image cannot be used: \(error)\n", to: directory.stderr)
            try SandboxFiles.writeAtomically("exited \(Self.imageRefusedExitCode)\n", to: directory.status)
        } catch {
            try? FileManager.default.removeItem(at: directory.root)
            throw error
        }
        logger.notice("lease refused: its image cannot be used", metadata: ["lease": "\(work.leaseID)", "error": "\(error)"])
        return SandboxJob(directory: directory, ended: .exited(code: Self.imageRefusedExitCode), logger: logger)
    }

    /// Writes the lease's directory and starts its supervisor; on failure removes what it wrote.
    private func launch(_ work: LeaseWork, _ plan: LaunchPlan, in directory: SandboxLeaseDirectory) throws -> SandboxJob {
        let root: SandboxRootFilesystem, command: [String], image: OCIImage?
        switch plan {
        case .host(let hostCommand): (root, command, image) = (.host, hostCommand, nil)
        case .image(let unpacked, let imageCommand): (root, command, image) = (.directory(unpacked.rootFilesystem), imageCommand, unpacked)
        case .refused: preconditionFailure("a refused lease is recorded, not launched")
        }
        precondition(!command.isEmpty, "validated: there is a command to run")
        let uid = runsAsRoot ? try allocateUID() : nil
        do {
            try SandboxFiles.makeDirectory(directory.root, mode: 0o711)
            try SandboxFiles.makeDirectory(directory.work, mode: 0o700, owner: uid ?? geteuid())
            let memoryBytes = Int64(work.memoryGiB) << 30
            let secretFiles = try Self.writeSecrets(work.secrets, leaseID: work.leaseID, uid: uid)
            let arguments = SandboxArguments(
                work: work, workDirectory: directory.work.path, root: root, layout: hostLayout(), tmpfsBytes: memoryBytes,
                image: image?.configuration, secretFiles: secretFiles
            )
            try writeSandboxFiles(directory, uid: uid, options: arguments.options)
            try SandboxFiles.writeNew(SandboxFiles.nulSeparated(command), to: directory.command)
            let script = SandboxSupervisorScript(
                leaseDirectory: directory.root.path, sharedDirectory: sharedDirectory.path, bwrapPath: bwrapPath, jobUID: uid,
                maxDurationSeconds: work.maxDurationSeconds, memoryBytes: memoryBytes, cpuCores: work.cpuCores,
                pidsMax: Self.maximumProcessesPerLease,
                limits: cgroupPath(of: directory).map { .cgroup(path: $0.path) } ?? .rlimits
            )
            // The hard stop's clock: a pipe whose both ends only the supervisor holds.
            let timer = try SandboxProcess.highPipe()
            defer {
                close(timer.read)
                close(timer.write)
            }
            let pid = try SandboxProcess.spawnDetached(
                ["/bin/bash", supervisorScript.path] + script.runArguments, logPath: directory.supervisorLog.path,
                passing: [SandboxSupervisorScript.timerReadFD: timer.read, SandboxSupervisorScript.timerWriteFD: timer.write]
            )
            guard let identity = SandboxProcessIdentity.current(pid: pid) else {
                // It ended (or failed) at once; its status, if any, tells how.
                SandboxProcess.reap(pid)
                return SandboxJob(
                    directory: directory,
                    ended: SandboxFiles.readText(directory.status).map(SandboxExitStatus.parse)
                        ?? .nodeFault("the lease's supervisor ended at once: see \(directory.supervisorLog.path)"),
                    logger: logger
                )
            }
            logger.info(
                "sandbox job started",
                metadata: [
                    "lease": "\(work.leaseID)", "uid": "\(uid.map(String.init) ?? "agent")", "supervisor": "\(pid)",
                    "limits": "\(cgroupParent == nil ? "rlimits" : "cgroup")", "image": "\(image.map { "\($0.reference) \($0.manifestDigest)" } ?? "none")",
                ]
            )
            return SandboxJob(
                directory: directory, supervisor: identity, isChild: true, cpuTime: cpuTime(directory, uid: uid), logger: logger)
        } catch {
            try? FileManager.default.removeItem(at: Self.secretsDirectory(leaseID: work.leaseID))
            try? FileManager.default.removeItem(at: directory.root)
            releaseUID(uid)
            throw error
        }
    }

    /// Writes what the supervisor reads and the job's output goes to, in a new lease (or warm
    /// slot) directory: the job's uid, bubblewrap's `options`, and empty output files.
    func writeSandboxFiles(_ directory: SandboxLeaseDirectory, uid: UInt32?, options: [String]) throws {
        try SandboxFiles.writeNew(uid.map { "\($0)\n" } ?? "\n", to: directory.jobUID)
        try SandboxFiles.writeNew(SandboxFiles.nulSeparated(options), to: directory.bwrapArguments)
        for empty in [directory.stdout, directory.stderr, directory.outputIndex] {
            try SandboxFiles.writeNew(Data(), to: empty)
        }
    }

    /// Blocks (on a global queue's thread) until the sandbox runs: bubblewrap reported its pid, or
    /// the job already ended; at most ``startTimeoutSeconds``.
    private func waitUntilRunning(_ job: SandboxJob) {
        let deadline = Date().addingTimeInterval(Self.startTimeoutSeconds)
        // A sandbox usually runs within milliseconds: look often at first, then less often, so
        // that many starts waiting together leave the CPUs to the sandboxes they wait for.
        var pause: useconds_t = 250
        while Date() < deadline {
            if job.endedExit != nil || SandboxFiles.exists(job.directory.status) { return }
            if SandboxFiles.readText(job.directory.sandboxPID).flatMap(SandboxProcessIdentity.init(line:)) != nil,
                let status = SandboxFiles.readText(job.directory.sandboxStatus), status.contains("\"child-pid\"")
            {
                return
            }
            usleep(pause)
            pause = min(pause * 2, 8_000)
        }
        logger.warning("the sandbox did not report running in time", metadata: ["lease": "\(job.leaseID)", "seconds": "\(Self.startTimeoutSeconds)"])
    }

    /// A handle on a lease found in the state directory.
    private func adopt(_ directory: SandboxLeaseDirectory) -> SandboxJob {
        let job: SandboxJob
        if let status = SandboxFiles.readText(directory.status) {
            job = SandboxJob(directory: directory, ended: SandboxExitStatus.parse(status), logger: logger)
        } else if let supervisor = Self.supervisorIdentity(directory), supervisor.isAlive {
            let uid = Self.recordedUID(directory)
            job = SandboxJob(
                directory: directory, supervisor: supervisor, isChild: false, cpuTime: cpuTime(directory, uid: uid), logger: logger)
        } else if let status = SandboxFiles.readText(directory.status) {
            // It ended between the two checks.
            job = SandboxJob(directory: directory, ended: SandboxExitStatus.parse(status), logger: logger)
        } else {
            job = SandboxJob(directory: directory, ended: .nodeFault("the job's supervisor vanished while the agent was down"), logger: logger)
        }
        logger.info("sandbox job found", metadata: ["lease": "\(directory.leaseID)", "state": "\(job.endedExit.map { "\($0)" } ?? "running")"])
        jobs.withLock { $0[directory.leaseID] = job }
        return job
    }

    /// The supervisor's pid record; read again a moment later when it is there but not complete
    /// (the supervisor was writing it).
    private static func supervisorIdentity(_ directory: SandboxLeaseDirectory) -> SandboxProcessIdentity? {
        if let identity = SandboxFiles.readText(directory.supervisorPID).flatMap(SandboxProcessIdentity.init(line:)) { return identity }
        guard SandboxFiles.exists(directory.supervisorPID) else { return nil }
        usleep(20_000)
        return SandboxFiles.readText(directory.supervisorPID).flatMap(SandboxProcessIdentity.init(line:))
    }

    /// The lowest lease uid no lease directory holds, now taken.
    func allocateUID() throws -> UInt32 {
        try usedUIDs.withLock { used in
            var taken = used ?? uidsOnDisk()
            defer { used = taken }
            for slot in 0..<Self.jobUIDCount where !taken.contains(jobUIDBase + slot) {
                taken.insert(jobUIDBase + slot)
                return jobUIDBase + slot
            }
            throw ExecutorError("no_job_uid", "all \(Self.jobUIDCount) lease uids from \(jobUIDBase) are taken: clean up ended leases")
        }
    }

    /// Gives `uid` back once its lease directory is gone.
    func releaseUID(_ uid: UInt32?) {
        guard let uid else { return }
        usedUIDs.withLock { _ = $0?.remove(uid) }
    }

    /// The uid a lease directory records, if any.
    private static func recordedUID(_ directory: SandboxLeaseDirectory) -> UInt32? {
        SandboxFiles.readText(directory.jobUID).flatMap { UInt32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Every uid the lease directories on disk record.
    private func uidsOnDisk() -> Set<UInt32> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: leasesDirectory.path)) ?? []
        return Set(names.compactMap { name in
            (try? SandboxLeaseDirectory(leaseID: name, leasesDirectory: leasesDirectory)).flatMap(Self.recordedUID)
        })
    }

    /// The folder of files every lease shares in the state directory `stateDirectory`.
    static func sharedDirectory(of stateDirectory: URL) -> URL {
        stateDirectory.appendingPathComponent("shared", isDirectory: true)
    }

    /// What ``sharedDirectory`` holds, by name: the supervisor script and the job's `passwd`,
    /// `group` and `hosts`.
    static var sharedFiles: [(name: String, text: String, mode: mode_t)] {
        [
            (SandboxSupervisorScript.fileName, SandboxSupervisorScript.text, 0o700), ("passwd", SandboxArguments.passwd, 0o600),
            ("group", SandboxArguments.group, 0o600), ("hosts", SandboxArguments.hosts, 0o600),
        ]
    }

    /// Writes ``sharedFiles`` (each atomically, and only if it differs: a running supervisor's
    /// script never changes under it) the first time, and again if the script went missing.
    private func writeSharedFiles() throws {
        if sharedFilesWritten.withLock({ $0 }) && SandboxFiles.exists(supervisorScript) { return }
        if !SandboxFiles.exists(sharedDirectory) { try SandboxFiles.makeDirectory(sharedDirectory, mode: 0o700) }
        for file in Self.sharedFiles {
            let url = sharedDirectory.appendingPathComponent(file.name, isDirectory: false)
            if SandboxFiles.readText(url) == file.text { continue }
            try SandboxFiles.writeAtomically(file.text, to: url, mode: file.mode)
        }
        sharedFilesWritten.withLock { $0 = true }
    }

    /// The host's layout, read at most every ``layoutLifetimeSeconds`` (each read is some 90
    /// look-ups: system directories, `/etc` files, GPU device nodes).
    func hostLayout() -> SandboxHostLayout {
        let now = Date()
        if let cached = cachedLayout.withLock({ $0 }), now.timeIntervalSince(cached.read) < Self.layoutLifetimeSeconds, now >= cached.read {
            return cached.layout
        }
        let layout = SandboxHostLayout.current()
        cachedLayout.withLock { $0 = (now, layout) }
        return layout
    }

    /// Creates `<state>` and `<state>/leases`; both must let the lease uids pass (x, not r).
    func prepareStateDirectory() throws {
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        var info = stat()
        guard stat(stateDirectory.path, &info) == 0 else {
            throw ExecutorError("state_unusable", "cannot read \(stateDirectory.path): \(String(cString: strerror(errno)))")
        }
        if runsAsRoot && info.st_mode & S_IXOTH == 0 {
            guard chmod(stateDirectory.path, (info.st_mode & 0o7777) | S_IXOTH) == 0 else {
                throw ExecutorError("state_unusable", "cannot make \(stateDirectory.path) traversable (o+x) for the lease uids")
            }
            logger.notice("made the state directory traversable (o+x) for the lease uids", metadata: ["path": "\(stateDirectory.path)"])
        }
        if !SandboxFiles.exists(leasesDirectory) { try SandboxFiles.makeDirectory(leasesDirectory, mode: 0o711) }
        try writeSharedFiles()
        // bubblewrap opens the work directory as the lease's uid: every directory above it must
        // let others pass.
        var ancestor = stateDirectory.deletingLastPathComponent()
        while runsAsRoot && ancestor.path != "/" {
            guard stat(ancestor.path, &info) == 0, info.st_mode & S_IXOTH != 0 else {
                throw ExecutorError(
                    "state_unusable",
                    "the lease uids cannot pass through \(ancestor.path) (no o+x) to reach \(stateDirectory.path): put the state directory where others may traverse (e.g. /var/lib/osg) or chmod o+x \(ancestor.path)"
                )
            }
            ancestor.deleteLastPathComponent()
        }
    }

    // MARK: - cgroups

    /// Where the lease's CPU time is read: its cgroup, else its own uid; `nil` when the job
    /// runs as the agent's uid without a cgroup (its processes are not told apart).
    func cpuTime(_ directory: SandboxLeaseDirectory, uid: UInt32?) -> LeaseCPUTime? {
        if let cgroup = cgroupPath(of: directory) { return .cgroup(cgroup) }
        return uid.map(LeaseCPUTime.uid)
    }

    /// The lease's cgroup: the one its directory records (a lease started in a warm sandbox keeps
    /// its slot's), else `osg-lease-<leaseID>` under ``cgroupParent``; `nil` under rlimits.
    func cgroupPath(of directory: SandboxLeaseDirectory) -> URL? {
        guard let cgroupParent else { return nil }
        return recordedCgroup(of: directory) ?? cgroupParent.appendingPathComponent("osg-lease-\(directory.leaseID)", isDirectory: true)
    }

    /// The cgroup `directory` records (see ``SandboxLeaseDirectory/cgroupRecord``), if it is one
    /// under ``cgroupParent``.
    func recordedCgroup(of directory: SandboxLeaseDirectory) -> URL? {
        guard let cgroupParent,
            let recorded = SandboxFiles.readText(directory.cgroupRecord)?.trimmingCharacters(in: .whitespacesAndNewlines),
            recorded.hasPrefix(cgroupParent.path + "/"), !recorded.contains("/../")
        else { return nil }
        return URL(fileURLWithPath: recorded, isDirectory: true)
    }

    func removeCgroup(_ cgroup: URL) {
        guard SandboxFiles.exists(cgroup) else { return }
        // A cgroup is removable once its last process has been reaped; give the kernel a moment.
        for _ in 0..<50 {
            if rmdir(cgroup.path) == 0 || errno == ENOENT { return }
            usleep(10_000)
        }
        logger.warning("could not remove the lease's cgroup", metadata: ["cgroup": "\(cgroup.path)", "error": "\(String(cString: strerror(errno)))"])
    }

    /// The agent's own cgroup v2 if it can hold the leases' cgroups (see ``usableCgroup(_:)``);
    /// `nil` on cgroup v1 or hybrid hosts, or when the agent's cgroup is not delegated to it.
    public static func delegatedCgroup() -> URL? {
        let mount = "/sys/fs/cgroup"
        guard SandboxFiles.exists(URL(fileURLWithPath: mount + "/cgroup.controllers")),
            let membership = SandboxFiles.readText(URL(fileURLWithPath: "/proc/self/cgroup")),
            let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        else { return nil }
        return usableCgroup(URL(fileURLWithPath: mount + String(line.dropFirst(3)), isDirectory: true))
    }

    /// `cgroup` (created if missing) if it is a writable cgroup v2 directory with cpu, memory and
    /// pids enabled for its children, enabling them if needed; `nil` if it cannot be (not cgroup
    /// v2, not writable, or it holds processes itself: the kernel then refuses controllers to its
    /// children, so give the agent a cgroup of its own beside it, e.g. with systemd `Delegate=yes`
    /// and a `.../leases` sub-cgroup).
    public static func usableCgroup(_ cgroup: URL) -> URL? {
        if !SandboxFiles.exists(cgroup), SandboxFiles.exists(cgroup.deletingLastPathComponent().appendingPathComponent("cgroup.controllers")) {
            mkdir(cgroup.path, 0o755)
        }
        let subtree = cgroup.appendingPathComponent("cgroup.subtree_control")
        guard SandboxFiles.exists(cgroup.appendingPathComponent("cgroup.controllers")), access(cgroup.path, W_OK) == 0 else { return nil }
        let needed = ["cpu", "memory", "pids"]
        func enabled() -> Bool {
            let names = Set((SandboxFiles.readText(subtree) ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
            return needed.allSatisfy(names.contains)
        }
        if enabled() { return cgroup }
        guard let handle = FileHandle(forWritingAtPath: subtree.path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.write(contentsOf: Data(needed.map { "+" + $0 }.joined(separator: " ").utf8))) != nil else { return nil }
        return enabled() ? cgroup : nil
    }

    // MARK: - Queue

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
