/// Wait and acceptance figures of one user class.
public struct ClassMetrics: Hashable, Sendable {
    public var userClass: UserClass
    /// Jobs submitted.
    public var submitted: Int
    /// Jobs started (within the patience).
    public var accepted: Int
    /// Queue wait (first start − submission) percentiles over accepted jobs, seconds.
    public var waitP50Seconds: Int64
    public var waitP90Seconds: Int64
    public var waitP99Seconds: Int64

    /// accepted / submitted (1 when nothing was submitted).
    public var acceptanceRate: Double { submitted == 0 ? 1 : Double(accepted) / Double(submitted) }
}
