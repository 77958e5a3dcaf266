/// The limits a lease's supervisor applies to the sandbox.
enum SandboxLimits: Sendable, Hashable {
    /// A cgroup v2 of the lease's own at `path`: `cpu.max`, `memory.max` (swap off), `pids.max`;
    /// out-of-memory kills are counted in `memory.events`.
    case cgroup(path: String)
    /// Resource limits on the sandbox's processes: `RLIMIT_DATA` (each process's heap and private
    /// mappings, not its address space, so CUDA's large reservations still work), `RLIMIT_NPROC`
    /// (processes of the lease's own uid) and no core files. The CPU is not limited (there is no
    /// rlimit for a share of cores; `RLIMIT_CPU` would kill the job). `RLIMIT_DATA` binds each
    /// process, not their sum, and a job over it sees failed allocations (usually a non-zero
    /// exit, reported as such), not an OOM kill. Only a SIGKILL of the job while the host's OOM
    /// killer counter (`oom_kill` in `/proc/vmstat`) rose is reported as `.outOfMemory`: the
    /// kernel says whom it killed only in its log, so a job killed by the host's OOM killer for
    /// another process's sake would be misreported. `/tmp` and `/dev/shm` are tmpfs of the
    /// lease's memory size each, which no rlimit counts.
    case rlimits
}
