import OSGDomain

/// A pending order as one clearing sees it: who, when, which pool, and the job spec (or why
/// the spec was refused).
public struct MarketOrder: Hashable, Sendable {
    /// Unique order id.
    public var id: String
    /// The tenant who submitted it.
    public var tenantID: String
    /// Arrival time; earlier arrivals win ties.
    public var submitted: Timestamp
    /// The set-aside pool the order draws on; `nil` for open-market orders.
    public var pool: String?
    /// The validated spec, or the problems that kept it from validating.
    public var request: Request

    /// A spec that passed `JobSpecReader` / ``JobSpec/problems(now:)``, or the problems found.
    public enum Request: Hashable, Sendable {
        /// A valid spec, boxed: a spec is large (a dozen counted references), and an order is
        /// copied several times per clearing (queue entries, passes), so a copy is one retain.
        indirect case valid(JobSpec)
        /// The spec's problems, each as `field: message`; the order is reported unplaced with
        /// reason `invalid_spec: ...`.
        case invalid(problems: [String])
    }

    /// Creates an order.
    public init(id: String, tenantID: String, submitted: Timestamp, pool: String? = nil, request: Request) {
        self.id = id
        self.tenantID = tenantID
        self.submitted = submitted
        self.pool = pool
        self.request = request
    }

    /// Creates an order with a valid spec.
    public init(id: String, tenantID: String, submitted: Timestamp, pool: String? = nil, spec: JobSpec) {
        self.init(id: id, tenantID: tenantID, submitted: submitted, pool: pool, request: .valid(spec))
    }

    /// The spec, when it is valid.
    public var spec: JobSpec? {
        if case .valid(let spec) = request { spec } else { nil }
    }
}
