import OSGRequestBodies
import Synchronization

/// Long polls open at once per key (`GET /v1/leases?wait=…`): each holds a waiter slot and a
/// connection, so one key may hold only a few (an agent needs one).
final class OpenPollCounter: Sendable {
    private let open = Mutex<[String: Int]>([:])
    /// Most long polls one key may have open at once.
    let maxPerKey: Int

    init(maxPerKey: Int) {
        precondition(maxPerKey > 0, "a key may hold at least one long poll")
        self.maxPerKey = maxPerKey
    }

    /// Runs `body` as one of `key`'s open polls, or throws 429 when the key has too many.
    func holding<T>(for key: String, _ body: () async throws -> T) async throws -> T {
        let admitted = open.withLock { open in
            guard open[key, default: 0] < maxPerKey else { return false }
            open[key, default: 0] += 1
            return true
        }
        guard admitted else {
            throw APIError(.tooManyRequests, "too_many_open_polls",
                           "this key already has \(maxPerKey) long polls open; wait for one to return", headers: [.retryAfter: "1"])
        }
        defer {
            open.withLock { open in
                let left = (open[key] ?? 1) - 1
                open[key] = left > 0 ? left : nil
            }
        }
        return try await body()
    }
}
