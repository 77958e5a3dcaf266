import HeapModule

/// A pending transfer with a timeout, ordered by when it expires, then by transfer id and
/// record index, so expiries at one tick are processed in a deterministic order.
///
/// The ledger keeps these in a `Heap` (swift-collections): the next to expire is at the top.
/// Entries are not removed when a pending transfer is posted or voided, or when a linked
/// chain is rolled back: the ledger checks each popped entry against its record and skips
/// stale ones.
struct ExpiryEntry: Sendable, Hashable, Comparable {
    var expiresAtSeconds: UInt64
    var transferID: UInt64
    var recordIndex: Int32

    static func < (lhs: ExpiryEntry, rhs: ExpiryEntry) -> Bool {
        (lhs.expiresAtSeconds, lhs.transferID, lhs.recordIndex) < (rhs.expiresAtSeconds, rhs.transferID, rhs.recordIndex)
    }
}
