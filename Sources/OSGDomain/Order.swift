/// A job submitted to the market and waiting for, or holding, a lease.
public struct Order: Hashable, Sendable, Codable {
    /// Unique order id, assigned by the core from the log position (`job-<n>`).
    public var id: String
    /// The submitting tenant's id.
    public var tenantID: String
    /// When the order arrived; the arrival order in tie-breaks.
    public var submitted: Timestamp
    /// The set-aside pool the order draws on, for `set-aside` jobs.
    public var pool: String?
    /// What the job needs.
    public var spec: JobSpec
    /// Where the order is in its life.
    public var status: OrderStatus
    /// How many of its runs ended as `job_failed`; `nil` while none has (absent from the
    /// encoding, so older snapshots keep their bytes). Compared with the spec's `retries`.
    public var failedRuns: Int?

    /// Creates a pending order.
    public init(id: String, tenantID: String, submitted: Timestamp, pool: String? = nil, spec: JobSpec, status: OrderStatus = .pending) {
        self.id = id
        self.tenantID = tenantID
        self.submitted = submitted
        self.pool = pool
        self.spec = spec
        self.status = status
    }
}

/// The life of an order.
public enum OrderStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Waiting in the queue.
    case pending
    /// Placed on nodes under a lease.
    case running
    /// Finished normally.
    case completed
    /// Cancelled by its tenant.
    case cancelled
    /// Ended by failure or by the market (see the lease's end reason).
    case failed

    /// Whether the order can no longer change.
    public var isFinal: Bool { self == .completed || self == .cancelled || self == .failed }
}
