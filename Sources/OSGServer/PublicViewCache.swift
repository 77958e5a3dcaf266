import Dispatch
import Synchronization

/// Encoded public answers (stats, market, providers, …) reused for a short time, so public
/// endpoints cost a lookup rather than a pass over the whole state. While one request
/// refreshes an expired entry, others keep getting the previous bytes.
final class PublicViewCache: Sendable {
    private struct Entry {
        var bytes: [UInt8]
        var computedNanoseconds: Int64
        var refreshing: Bool
    }

    private let entries = Mutex<[String: Entry]>([:])
    let maxAgeNanoseconds: Int64

    init(maxAgeNanoseconds: Int64) {
        self.maxAgeNanoseconds = maxAgeNanoseconds
    }

    /// The cached bytes for `key`, or those `compute` gives when they are missing or stale.
    func bytes(for key: String, compute: () async -> [UInt8]) async -> [UInt8] {
        let now = Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds)
        let cached: [UInt8]? = entries.withLock { entries in
            guard var entry = entries[key] else { return nil }
            if now - entry.computedNanoseconds <= maxAgeNanoseconds || entry.refreshing { return entry.bytes }
            entry.refreshing = true
            entries[key] = entry
            return nil
        }
        if let cached { return cached }
        let bytes = await compute()
        let done = Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds)
        entries.withLock { $0[key] = Entry(bytes: bytes, computedNanoseconds: done, refreshing: false) }
        return bytes
    }
}
