import Dispatch
import Synchronization

/// Encoded public answers (stats, market, providers, …) reused for a short time, so public
/// endpoints cost a lookup rather than a pass over the whole state.
///
/// One computation per key at a time (single flight): while an expired entry is recomputed,
/// callers get the previous bytes; when there are none yet, they all wait for the same
/// computation instead of each starting one.
final class PublicViewCache: Sendable {
    private enum Slot {
        case ready(bytes: [UInt8], computedNanoseconds: Int64)
        case computing(Task<[UInt8], Never>, previous: [UInt8]?)
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
            switch slots[key] {
            case .ready(let bytes, let computed) where Self.now() - computed <= maxAgeNanoseconds:
                return .answer(bytes)
            case .computing(_, let previous?):
                return .answer(previous)
            case .computing(let task, nil):
                return .wait(task)
            case .ready(let bytes, _):
                slots[key] = .computing(refresh(key, compute), previous: bytes)
                return .answer(bytes)
            case nil:
                let task = refresh(key, compute)
                slots[key] = .computing(task, previous: nil)
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
