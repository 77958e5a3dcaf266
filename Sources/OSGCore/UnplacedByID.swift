import OSGMarket

/// An engine's unplaced orders looked up by order id, by binary search over the result's id
/// order (byte order of the ids), instead of a dictionary built over a long queue at every
/// clearing when the search for the head of the queue reads only a few of them.
struct UnplacedByID {
    let sorted: ArraySlice<UnplacedOrder>

    /// `unplaced` must be in byte order of the order ids, as ``ClearingEngine/clear(_:now:)`` returns them.
    init(_ unplaced: ArraySlice<UnplacedOrder>) {
        assert(zip(unplaced, unplaced.dropFirst()).allSatisfy { UTF8ByteOrder.precedes($0.orderID, $1.orderID) },
               "an engine lists unplaced orders in id order")
        sorted = unplaced
    }

    /// Why `orderID` is unplaced, or `nil` when it is not listed.
    subscript(orderID: String) -> UnplacedReason? {
        var low = sorted.startIndex
        var high = sorted.endIndex
        while low < high {
            let mid = low + (high - low) / 2
            if UTF8ByteOrder.precedes(sorted[mid].orderID, orderID) { low = mid + 1 } else { high = mid }
        }
        return low < sorted.endIndex && sorted[low].orderID == orderID ? sorted[low].reason : nil
    }
}
