/// Eligibility of one tenant to draw on a set-aside pool (students, civic projects,
/// first-time founders), with a published quota and expiry.
public struct SetAsideGrant: Hashable, Sendable, Codable {
    /// The pool, e.g. `students`.
    public var pool: String
    /// The tenant granted access.
    public var tenantID: String
    /// GPU-hours the grant covers, in GPU-seconds for exact accounting.
    public var quotaGPUSeconds: Int64
    /// GPU-seconds already used.
    public var usedGPUSeconds: Int64
    /// When the grant lapses.
    public var expires: Timestamp

    public init(pool: String, tenantID: String, quotaGPUSeconds: Int64, usedGPUSeconds: Int64 = 0, expires: Timestamp) {
        self.pool = pool
        self.tenantID = tenantID
        self.quotaGPUSeconds = quotaGPUSeconds
        self.usedGPUSeconds = usedGPUSeconds
        self.expires = expires
    }

    /// GPU-seconds still available.
    public var remainingGPUSeconds: Int64 { max(0, quotaGPUSeconds - usedGPUSeconds) }

    /// Whether the grant can pay for `gpuSeconds` more at `time`.
    public func covers(gpuSeconds: Int64, at time: Timestamp) -> Bool {
        time < expires && remainingGPUSeconds >= gpuSeconds
    }
}

/// A set-aside pool: a published hard share of the GPUs at a cost-based price.
public struct SetAsidePool: Hashable, Sendable, Codable {
    /// Pool name, e.g. `students`.
    public var name: String
    /// Share of all GPUs reserved, in parts per million (250,000 = 25 %).
    public var sharePPM: Int
    /// Cost-based price per GPU-hour that pool jobs pay.
    public var pricePerGPUHour: MicroCredits
    /// The most per GPU-hour the pool pays a node: set-aside orders use only nodes asking at
    /// most this, and the pool's funding pays each node's ask minus ``pricePerGPUHour``.
    /// `nil`: no ceiling.
    public var ceilingPerGPUHour: MicroCredits?
    /// Credits left in the pool's funding account, which pays the difference between the
    /// asks used and the pool's price for each set-aside placement; `nil`: enough for any
    /// clearing.
    public var funding: MicroCredits?

    public init(name: String, sharePPM: Int, pricePerGPUHour: MicroCredits,
                ceilingPerGPUHour: MicroCredits? = nil, funding: MicroCredits? = nil) {
        precondition((0...1_000_000).contains(sharePPM), "a share is between 0 and 100 %")
        self.name = name
        self.sharePPM = sharePPM
        self.pricePerGPUHour = pricePerGPUHour
        self.ceilingPerGPUHour = ceilingPerGPUHour
        self.funding = funding
    }

    /// The same pool, paying nodes at most its own price and needing no funding: how a
    /// pool without a funding account clears (every node it uses asks at most what its
    /// tenants pay).
    public var withoutSubsidy: SetAsidePool {
        var pool = self
        pool.ceilingPerGPUHour = pricePerGPUHour
        pool.funding = nil
        return pool
    }
}

/// What an account is for; every account in the ledger has one kind.
public enum AccountKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// A user who submits jobs.
    case tenant
    /// A provider who offers nodes.
    case `operator`
    /// The protocol treasury (fees, slashed stakes).
    case treasury
    /// A set-aside pool's subsidy account.
    case setAsidePool = "set_aside_pool"
    /// A holder of shares in a node's revenue.
    case ownershipShare = "ownership_share"
    /// The devnet faucet or an external on-ramp: where deposits come from.
    case external
}
