import Dispatch

/// A serial executor on its own dispatch queue, outside Swift's cooperative thread pool.
///
/// The single writer runs on one: applying a market clearing over a long queue, or computing
/// the public views, can take a while, and on the cooperative pool (one thread per core) it
/// would hold up request handling — signature checks, parsing, answers — for that long. On its
/// own queue the operating system time-slices it against the request threads instead.
final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
