/// A binary min-heap of pending-transfer deadlines ordered by (expiry time, transfer id), so
/// expiry never depends on hash order.
///
/// Entries are not removed when a pending transfer is posted or voided, or when a linked
/// chain is rolled back: the ledger checks each popped entry against its record and skips
/// stale ones.
struct ExpiryQueue: Sendable {
    struct Entry: Sendable, Hashable {
        var expiresAtSeconds: UInt64
        var transferID: UInt64
        var recordIndex: Int32

        func precedes(_ other: Entry) -> Bool {
            if expiresAtSeconds != other.expiresAtSeconds { return expiresAtSeconds < other.expiresAtSeconds }
            if transferID != other.transferID { return transferID < other.transferID }
            return recordIndex < other.recordIndex
        }
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var first: Entry? { entries.first }

    mutating func reserveCapacity(_ capacity: Int) { entries.reserveCapacity(capacity) }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        let top = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            let count = entries.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var smallest = left
                let right = left + 1
                if right < count, entries[right].precedes(entries[left]) { smallest = right }
                guard entries[smallest].precedes(entries[parent]) else { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
