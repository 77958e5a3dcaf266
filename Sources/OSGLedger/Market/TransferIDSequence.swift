/// Hands out consecutive client transfer ids, so the market helpers build reproducible batches.
///
/// The caller owns the sequence (and its starting point); ids must not collide with ids the
/// ledger already holds, or the ledger answers `exists…`.
public struct TransferIDSequence: Sendable, Hashable {
    /// The id the next call to ``next()`` returns.
    public private(set) var nextID: UInt64

    /// Starts at `firstID`.
    public init(startingAt firstID: UInt64) { nextID = firstID }

    /// Returns the next id and advances.
    public mutating func next() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }
}
