/// A double-entry ledger: a deterministic state machine over ``LedgerOperation``s.
///
/// The same operations in the same order always give the same results and the same state; time
/// is an input (``LedgerOperation/tick(nowSeconds:)``). ``DoubleEntryLedger`` is the in-memory
/// implementation.
public protocol Ledger: Sendable {
    /// Applies one operation and returns its verdict.
    mutating func apply(_ operation: LedgerOperation) -> LedgerResult
    /// Applies a batch in order and returns one result per operation.
    mutating func apply(_ batch: [LedgerOperation]) -> [LedgerResult]
    /// The account with this id, if it exists.
    func account(_ id: UInt64) -> Account?
    /// Every applied record touching the account, oldest first.
    func history(of accountID: UInt64) -> [TransferRecord]
}
