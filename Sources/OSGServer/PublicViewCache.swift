import Dispatch
import Synchronization

/// Encoded public answers (stats, market, providers, …) reused for a short time, so public
/// endpoints cost a lookup rather than a pass over the whole state.
///
/// One computation per key at a time (single flight): while an expired entry is recomputed,
/// callers get the previous bytes if those are at most twice the maximum age old; otherwise
/// (none yet, or an entry left alone for long) they all wait for the same computation instead
/// of each starting one. So an answer is never older than twice the maximum age plus one
/// computation, even the first after an idle spell.
final class PublicViewCache: Sendable {
    private enum Slot {
        case ready(bytes: [UInt8], computedNanoseconds: Int64)
        /// `previous`: the bytes being replaced, while young enough to serve.
        case computing(Task<[UInt8], Never>, previous: [UInt8]?, previousNanoseconds: Int64)
    }

    private let slots = Mutex<[String: Slot]>([:])
    let maxAgeNanoseconds: Int64

    init(maxAgeNanoseconds: Int64) {
        self.maxAgeNanoseconds = maxAgeNanoseconds
    }

    private static func now() -> Int64 { Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds) }

    /// The cached bytes for `key`, or those `compute` gives when they are missing or stale.
    /// With a maximum age of 0 nothing is cached.
    func bytes(for key: String, compute: @escaping @Sendable () async -> [UInt8]) async -> [UInt8] {
        if maxAgeNanoseconds == 0 { return await compute() }
        enum Next { case answer([UInt8]), wait(Task<[UInt8], Never>) }
        let next: Next = slots.withLock { slots in
            let now = Self.now()
            switch slots[key] {
            case .ready(let bytes, let computed) where now - computed <= maxAgeNanoseconds:
                return .answer(bytes)
            case .computing(_, let previous?, let computed) where now - computed <= 2 * maxAgeNanoseconds:
                return .answer(previous)
            case .computing(let task, _, _):
                return .wait(task)
            case .ready(let bytes, let computed):
                let task = refresh(key, compute)
                slots[key] = .computing(task, previous: bytes, previousNanoseconds: computed)
                return now - computed <= 2 * maxAgeNanoseconds ? .answer(bytes) : .wait(task)
            case nil:
                let task = refresh(key, compute)
                slots[key] = .computing(task, previous: nil, previousNanoseconds: 0)
                return .wait(task)
            }
        }
        switch next {
        case .answer(let bytes): return bytes
        case .wait(let task): return await task.value
        }
    }

    private func refresh(_ key: String, _ compute: @escaping @Sendable () async -> [UInt8]) -> Task<[UInt8], Never> {
        Task {
            let bytes = await compute()
            slots.withLock { $0[key] = .ready(bytes: bytes, computedNanoseconds: Self.now()) }
            return bytes
        }
    }
}
