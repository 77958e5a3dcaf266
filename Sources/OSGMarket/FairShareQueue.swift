/// The tenants of one priority bucket (same group, price and class, none promoted by aging),
/// ordered by (weighted dominant share, queue position of the tenant's next order): a binary
/// min-heap.
///
/// Only the tenant just served changes its share, so after each order the clearing pops the
/// least tenant and pushes it back with its next order and new share: O(log tenants) per
/// order. The queue position stands for (submitted, order id), the static order of the
/// bucket, so ties on share go to the earlier arrival, then the lower id.
struct FairShareQueue {
    struct Item {
        var share: WeightedShare
        /// Position in the clearing queue of the tenant's next order.
        var position: Int
        /// Index of the tenant's run in the bucket.
        var run: Int

        func precedes(_ other: Item) -> Bool {
            if share != other.share { return share < other.share }
            return position < other.position
        }
    }

    private(set) var items: [Item] = []

    var isEmpty: Bool { items.isEmpty }

    init(capacity: Int) { items.reserveCapacity(capacity) }

    mutating func push(_ item: Item) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Item? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let least = items[0]
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { break }
            var best = left
            if left + 1 < items.count, items[left + 1].precedes(items[left]) { best = left + 1 }
            guard items[best].precedes(items[parent]) else { break }
            items.swapAt(best, parent)
            parent = best
        }
        return least
    }
}
