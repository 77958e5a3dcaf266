import Dispatch

/// A serial executor on its own dispatch queue, outside Swift's cooperative thread pool.
///
/// For work that blocks a thread: file writes and fsync (the transparency log's writer, job
/// logs), or long computations. The coordinator's single writer runs on one: applying a market clearing over a long queue, or computing
/// the public views, can take a while, and on the cooperative pool (one thread per core) it
/// would hold up request handling — signature checks, parsing, answers — for that long. On its
/// own queue the operating system time-slices it against the request threads instead.
public final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}

extension QueueExecutor {
    /// Runs blocking `body` on this executor's queue (in order with its other work) and
    /// returns its result to the awaiting task, whose cooperative thread stays free meanwhile.
    public func run<Value: Sendable, Failure: Error>(_ body: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { () throws(Failure) in try body() }) }
        }
        return try result.get()
    }
}
