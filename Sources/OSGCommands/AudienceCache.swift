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

/// Whether the coordinator's checkpoint met the client's witness quorum (``WitnessQuorum``),
/// checked once per client and shared by its copies.
final class QuorumCache: Sendable {
    private let checked = Mutex<Bool>(false)

    init() {}

    var isChecked: Bool {
        get { checked.withLock { $0 } }
        set { checked.withLock { $0 = newValue } }
    }
}
