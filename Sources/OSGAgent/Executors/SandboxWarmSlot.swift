import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A sandbox built before its lease: a supervisor in `warm` mode (see
/// ``SandboxSupervisorScript``) whose bubblewrap sandbox runs the launcher, waiting as the lease's
/// user for the job, in `<state>/warm/<slot>/` (the layout of a lease's directory, which it
/// becomes).
///
/// A lease of the slot's ``shape`` takes it: the executor renames the slot's directory to the
/// lease's (the sandbox's `/work` is bound to the directory itself, so it follows), then writes
/// the lease's `go` and job on ``controlDescriptor`` and waits for the launcher's byte on
/// ``startedDescriptor``. From then on it is a lease like any other. A slot serves one lease,
/// once: nothing of it is shared or reused. Closing ``controlDescriptor`` without `go` (the agent
/// lets the slot go, or dies) ends its sandbox unused.
final class SandboxWarmSlot: Sendable {
    let shape: WarmLeaseShape
    /// `<state>/warm/<slot>/` until a lease takes it.
    let root: URL
    /// The host uid its sandbox runs as (`nil`: the agent's own, when it is not root).
    let uid: UInt32?
    /// Its supervisor, a child of this process.
    let supervisor: SandboxProcessIdentity
    /// Its cgroup v2 directory (named by the slot, kept by the lease), or `nil` under rlimits.
    let cgroup: URL?
    /// The write end of the supervisor's control pipe and the read end of the launcher's
    /// "started" pipe, until closed.
    private let descriptors: Mutex<(control: Int32, started: Int32)?>

    init(shape: WarmLeaseShape, root: URL, uid: UInt32?, supervisor: SandboxProcessIdentity, cgroup: URL?, control: Int32, started: Int32) {
        self.shape = shape
        self.root = root
        self.uid = uid
        self.supervisor = supervisor
        self.cgroup = cgroup
        self.descriptors = Mutex((control, started))
    }

    /// The launcher's byte that says its sandbox is built and it waits for the job.
    static let readyByte = UInt8(ascii: "r")
    /// The launcher's byte that says it starts the job.
    static let startingByte = UInt8(ascii: "x")

    /// Whether its sandbox still waits for a job: the launcher's pipe has neither ended (every
    /// process of the sandbox holds its write end, so its end means the sandbox is gone) nor
    /// carries an unexpected byte.
    var sandboxWaits: Bool {
        guard let started = descriptors.withLock({ $0?.started }) else { return false }
        var waiting = pollfd(fd: started, events: Int16(POLLIN), revents: 0)
        return poll(&waiting, 1, 0) == 0
    }

    /// Waits at most `timeoutSeconds` for the launcher to say its sandbox is built; `false` if
    /// it did not (the sandbox failed: its stderr says why).
    func waitUntilReady(timeoutSeconds: Double) -> Bool {
        guard let started = descriptors.withLock({ $0?.started }) else { return false }
        return Self.readByte(from: started, timeoutSeconds: timeoutSeconds) == Self.readyByte
    }

    /// Hands the lease's job to the slot (`message`: ``SandboxSupervisorScript/goMessage``) and
    /// waits, at most `timeoutSeconds`, for the launcher to say it starts it. Closes both
    /// descriptors. Returns whether the launcher said so; if not, the supervisor records how the
    /// sandbox ended (or vanished, a node fault) as for any lease.
    func handOver(_ message: [UInt8], timeoutSeconds: Double) -> Bool {
        guard let (control, started) = descriptors.withLock({ held in defer { held = nil }; return held }) else { return false }
        defer { close(started) }
        let written = Self.writeAll(message, to: control)
        close(control)
        guard written else { return false }
        return Self.readByte(from: started, timeoutSeconds: timeoutSeconds) == Self.startingByte
    }

    /// The next byte on `descriptor`, waiting at most `timeoutSeconds`; `nil` at its end, on an
    /// error or past the time.
    private static func readByte(from descriptor: Int32, timeoutSeconds: Double) -> UInt8? {
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while true {
            let left = Int32(max(0, min(1_000, deadline.timeIntervalSinceNow * 1_000)))
            let ready = poll(&waiting, 1, left)
            if ready > 0 {
                var byte: UInt8 = 0
                let count = read(descriptor, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                return count == 1 ? byte : nil
            }
            if ready < 0 && errno != EINTR { return nil }
            if deadline.timeIntervalSinceNow <= 0 { return nil }
        }
    }

    /// Closes both descriptors (its supervisor then ends the sandbox unused); nothing if handed over.
    func letGo() {
        guard let (control, started) = descriptors.withLock({ held in defer { held = nil }; return held }) else { return }
        close(control)
        close(started)
    }

    /// Writes all of `bytes` to `descriptor`; `false` if the reader is gone or the write fails.
    /// SIGPIPE is blocked on this thread meanwhile (a SIGPIPE the write raised is taken off it),
    /// so a supervisor gone meanwhile fails the write instead of killing the agent, and the
    /// process's own disposition is left alone.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                if errno == EPIPE {
                    var now = timespec()
                    _ = sigtimedwait(&pipeSignal, nil, &now)
                }
                return false
            }
            offset += count
        }
        return true
    }
}
