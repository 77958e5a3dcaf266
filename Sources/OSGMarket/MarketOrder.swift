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
        /// A valid spec, held by reference (``ValidSpec``).
        case valid(ValidSpec)
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
        self.init(id: id, tenantID: tenantID, submitted: submitted, pool: pool, request: .valid(ValidSpec(spec)))
    }

    /// The spec, when it is valid (a copy: read fields through ``validSpec`` where it matters).
    public var spec: JobSpec? { validSpec?.spec }

    /// The valid spec's box, when it is valid.
    public var validSpec: ValidSpec? {
        if case .valid(let box) = request { box } else { nil }
    }
}

/// A valid job spec held by reference. A spec is large (a dozen counted references) and a
/// clearing copies each order several times (queue entries, passes) and reads a few fields of
/// its spec: through a box a copy is one retain and a field read is one load, where a spec
/// held by value (or in an `indirect` case, which binds by copying) was copied whole.
/// Equal and hashed by the spec it holds.
public final class ValidSpec: Hashable, Sendable {
    /// The spec.
    public let spec: JobSpec

    /// Boxes `spec`.
    public init(_ spec: JobSpec) { self.spec = spec }

    public static func == (left: ValidSpec, right: ValidSpec) -> Bool { left === right || left.spec == right.spec }

    public func hash(into hasher: inout Hasher) { hasher.combine(spec) }
}
