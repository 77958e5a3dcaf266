import Foundation

/// The bubblewrap command line for one lease: a pure function of the work, the lease's paths and
/// the host's layout, so it can be read and tested without running anything.
///
/// The supervisor passes these options through `--args` (a file descriptor), never on the
/// command line, and opens the descriptors they name: ``statusFD``, ``passwdFD``, ``groupFD``,
/// ``hostsFD``.
struct SandboxArguments: Sendable {
    /// The job's uid and gid inside the sandbox (an ordinary user; mapped to the lease's own host
    /// uid, never to root).
    static let uidInside = 1000
    static let userName = "osg"
    /// The sandbox's host name (its uts namespace), resolvable through its own `/etc/hosts`.
    static let hostName = "osg-sandbox"
    static let statusFD = 3
    static let argumentsFD = 5
    static let passwdFD = 6
    static let groupFD = 7
    static let hostsFD = 8

    /// `/etc` files every program may need: the dynamic linker's cache, CA certificates for TLS,
    /// the time zone, and Debian's `alternatives` symlinks (`awk`, `editor`, …).
    static let systemEtcFiles = [
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/ssl/certs", "/etc/ssl/openssl.cnf",
        "/etc/pki/tls/certs", "/etc/ca-certificates", "/etc/alternatives", "/etc/localtime",
    ]
    /// `/etc` files for name resolution, bound only when the job may reach the network.
    static let networkEtcFiles = [
        "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf", "/etc/services",
        "/etc/protocols",
    ]
    /// The host's `/etc` files bound into an image's root when the job may reach the network: only
    /// name resolution (the image keeps its own `nsswitch.conf`, `services`, …).
    static let imageNetworkEtcFiles = ["/etc/resolv.conf", "/etc/hosts"]
    /// NVIDIA's device nodes shared by all GPUs; bound when present and the lease has GPUs.
    static let sharedGPUDevices = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"]

    /// bubblewrap's options, up to (not including) `--`.
    var options: [String]
    /// The job's environment, sorted by name.
    var environment: [(name: String, value: String)]
    /// The contents of the job's `/etc/passwd`, `/etc/group` and, without network, `/etc/hosts`:
    /// the same for every lease, so the executor writes them once (see
    /// ``SandboxExecutor/sharedFiles``) and the supervisor hands them to bubblewrap.
    static let passwd = "\(userName):x:\(uidInside):\(uidInside):OpenStargate job:/work:/bin/sh\n"
        + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    static let group = "\(userName):x:\(uidInside):\n" + "nogroup:x:65534:\n"
    static let hosts = "127.0.0.1\tlocalhost\n127.0.1.1\t\(hostName)\n::1\tlocalhost ip6-localhost ip6-loopback\n"

    /// - Parameters:
    ///   - work: the lease's work (its command is not part of the options).
    ///   - workDirectory: the host path of the lease's work directory.
    ///   - root: the job's root filesystem.
    ///   - layout: what this host has (see ``SandboxHostLayout/current()``).
    ///   - tmpfsBytes: the size of the job's `/tmp` and `/dev/shm` each (memory-backed).
    ///   - image: the config of the image whose root filesystem `root` is, if any: its
    ///     environment (under the spec's) and its working directory (instead of `/work`).
    ///   - secretFiles: the lease's secrets on the host's memory file system, each bound
    ///     read-only at `/run/secrets/<name>`.
    ///   - setsEnvironment: whether bubblewrap sets the job's environment (`--setenv`); a warm
    ///     sandbox's launcher sets it instead, when its lease comes (see ``SandboxWarmSlot``).
    init(
        work: LeaseWork, workDirectory: String, root: SandboxRootFilesystem, layout: SandboxHostLayout, tmpfsBytes: Int64,
        image: OCIImageConfiguration? = nil, secretFiles: [(name: String, file: String)] = [], setsEnvironment: Bool = true
    ) {
        precondition(workDirectory.hasPrefix("/"), "bubblewrap needs an absolute work directory")
        precondition(tmpfsBytes > 0)
        precondition(image == nil || root != .host, "an image's config goes with the image's root filesystem")
        environment = Self.environment(for: work, image: image)

        var options = [
            // New pid, ipc, uts, network, user and cgroup namespaces: the job sees no host
            // process, shared memory segment, host name, network or cgroup tree.
            "--unshare-all",
            // Said explicitly: the uid mapping and --disable-userns need the user namespace.
            "--unshare-user",
            // No nested user namespaces: they would reopen the kernel surface we keep closed.
            "--disable-userns",
        ]
        // The spec's choice: the host's network namespace, or none at all (not even loopback to
        // the host's services).
        if work.networkAllowed { options.append("--share-net") }
        options += [
            // If the supervisor is killed, the sandbox dies with it: no job runs unsupervised
            // (without its hard stop and its status). The agent is not the parent, so the job
            // outlives an agent restart.
            "--die-with-parent",
            // setsid() inside: the job cannot push keystrokes into a terminal it inherited (TIOCSTI).
            "--new-session",
            // An ordinary user inside, mapped to the lease's own unprivileged host uid.
            "--uid", String(Self.uidInside), "--gid", String(Self.uidInside),
            // The uts namespace's host name: the host's own stays private.
            "--hostname", Self.hostName,
            // The sandbox's init pid (to signal the job) and the job's exit code, for the supervisor.
            "--json-status-fd", String(Self.statusFD),
            // Nothing of the supervisor's environment; only the lease's, below.
            "--clearenv",
        ]
        if setsEnvironment {
            for (name, value) in environment { options += ["--setenv", name, value] }
        }

        switch root {
        case .host:
            // The host's system, read-only; merged-/usr symlinks recreated as symlinks.
            for directory in layout.systemDirectories {
                if let target = directory.symlinkTarget {
                    options += ["--symlink", target, "/" + directory.name]
                } else {
                    options += ["--ro-bind", "/" + directory.name, "/" + directory.name]
                }
            }
            // A minimal /etc: only what programs need, never the host's accounts or secrets.
            for path in Self.systemEtcFiles where layout.existingPaths.contains(path) {
                options += ["--ro-bind", path, path]
            }
        case .directory(let directory):
            // The image's own filesystem, read-only; /etc comes from the image.
            options += ["--ro-bind", directory.path, "/"]
        }
        // The job's own user, whatever the host's or the image's accounts are.
        options += ["--ro-bind-data", String(Self.passwdFD), "/etc/passwd", "--ro-bind-data", String(Self.groupFD), "/etc/group"]
        if work.networkAllowed {
            // An image has its own resolver configuration but not the node's name servers.
            let files = root == .host ? Self.networkEtcFiles : Self.imageNetworkEtcFiles
            for path in files where layout.existingPaths.contains(path) {
                options += ["--ro-bind", path, path]
            }
        } else {
            options += ["--ro-bind-data", String(Self.hostsFD), "/etc/hosts"]
        }
        options += [
            // A procfs of the job's own pid namespace: it lists the job's processes only.
            "--proc", "/proc",
            // A minimal /dev (null, zero, full, random, urandom, tty, pts), not the host's.
            "--dev", "/dev",
            // Shared memory of bounded size (a tmpfs is memory the rlimits do not count).
            "--size", String(tmpfsBytes), "--tmpfs", "/dev/shm",
        ]
        // Only the leased GPUs' device nodes, and NVIDIA's shared ones, when this host has them.
        let gpuDevices = work.gpuIndices.map { "/dev/nvidia\($0)" }.filter { layout.existingPaths.contains($0) }
        if !gpuDevices.isEmpty {
            for path in Self.sharedGPUDevices where layout.existingPaths.contains(path) {
                options += ["--dev-bind", path, path]
            }
            for path in gpuDevices { options += ["--dev-bind", path, path] }
        }
        options += [
            // /dev itself read-only: no files of unbounded size in its tmpfs.
            "--remount-ro", "/dev",
            // A private /tmp of bounded size.
            "--size", String(tmpfsBytes), "--tmpfs", "/tmp",
            // The lease's work directory, the only host directory the job can write.
            "--bind", workDirectory, "/work",
        ]
        // The checked inputs, read-only at their paths (bubblewrap makes the mount points).
        for input in work.inputs { options += ["--ro-bind", input.file, "/work/" + input.path] }
        for secret in secretFiles { options += ["--ro-bind", secret.file, "/run/secrets/" + secret.name] }
        options += [
            // The image's working directory (its code often expects it), else the work directory.
            "--chdir", image?.workingDirectory ?? "/work",
            // bubblewrap's root tmpfs read-only: nothing writable but /work, /tmp and /dev/shm.
            "--remount-ro", "/",
        ]
        self.options = options
    }

    /// The job's environment: a minimal login environment, the image's variables (its `PATH`,
    /// …) over it, the spec's variables on top, and the lease's own facts last (the job cannot
    /// misstate its lease or its GPUs).
    static func environment(for work: LeaseWork, image: OCIImageConfiguration? = nil) -> [(name: String, value: String)] {
        var environment = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/work", "USER": userName, "LOGNAME": userName, "SHELL": "/bin/sh", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
        ]
        if let image { environment.merge(image.environmentVariables) { _, image in image } }
        environment.merge(work.environment) { _, spec in spec }
        environment["CUDA_VISIBLE_DEVICES"] = work.gpuIndices.map(String.init).joined(separator: ",")
        environment["OSG_LEASE_ID"] = work.leaseID
        environment["OSG_JOB_ID"] = work.jobID
        environment["OSG_RANK"] = String(work.rank)
        environment["OSG_WORLD_SIZE"] = String(work.worldSize)
        return environment.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }
}
