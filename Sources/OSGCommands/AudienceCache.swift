import OSGAuth
import Synchronization

/// The coordinator a client signs for, learnt once per client from `GET /v1/info` and shared
/// by its copies.
final class AudienceCache: Sendable {
    private let stored = Mutex<RequestAudience?>(nil)

    init() {}

    var value: RequestAudience? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
