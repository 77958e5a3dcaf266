/// One line of a ledger operation stream (the input of `osg ledger apply`).
public enum LedgerOperation: Sendable, Hashable {
    /// Create an account; an existing id answers `exists` (same flags and code) or
    /// `exists_with_different_fields`.
    case createAccount(Account)
    /// Create a transfer (posted or pending).
    case transfer(TransferRequest)
    /// Post or void a pending transfer.
    case resolve(PendingResolution)
    /// Advance logical time; pending transfers whose creation time + timeout ≤ now expire.
    /// Time never goes back: an earlier `nowSeconds` changes nothing (result `ok`).
    case tick(nowSeconds: UInt64)
    /// Events that all succeed or none is applied; later events see earlier events' effects.
    case linked([LedgerEvent])
}
