/// One money-moving event: what a linked chain is made of.
public enum LedgerEvent: Sendable, Hashable {
    /// Create a transfer (posted or pending).
    case transfer(TransferRequest)
    /// Post or void a pending transfer.
    case resolve(PendingResolution)

    /// The event's client-chosen id.
    public var id: UInt64 {
        switch self {
        case .transfer(let request): request.id
        case .resolve(let resolution): resolution.id
        }
    }
}
