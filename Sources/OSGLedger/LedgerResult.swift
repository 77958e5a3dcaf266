/// The result of one ``LedgerOperation``: a code, or one code per event of a linked chain.
public enum LedgerResult: Sendable, Hashable {
    /// The result of a single operation.
    case single(LedgerResultCode)
    /// The results of a linked chain, one per event, in order.
    case chain([LedgerResultCode])

    /// `true` when everything in the operation was applied (or was an idempotent repeat).
    public var isApplied: Bool {
        switch self {
        case .single(let code): code == .ok || code == .exists
        case .chain(let codes): codes.allSatisfy { $0 == .ok }
        }
    }
}
