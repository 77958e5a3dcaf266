#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte order of strings' UTF-8, the order every id is sorted in: the same answer as
/// `a.utf8.lexicographicallyPrecedes(b.utf8)`, compared with `memcmp` over the contiguous
/// UTF-8 of native strings (the generic comparison steps through a view byte by byte, which
/// dominated sorting a long queue's ids).
public enum UTF8ByteOrder {
    /// Whether `a`'s UTF-8 bytes sort strictly before `b`'s.
    @inlinable
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let fast: Bool?? = a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right in
                let common = min(left.count, right.count)
                if common > 0 {
                    let order = memcmp(left.baseAddress!, right.baseAddress!, common)
                    if order != 0 { return order < 0 }
                }
                return left.count < right.count
            }
        }
        if case .some(.some(let answer)) = fast { return answer }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// A string's first 16 UTF-8 bytes as two big-endian integers, zero-padded: when two
    /// strings' keys differ, the keys' order is their byte order; when they are equal (one
    /// string is a prefix of the other up to zero bytes, or both share their first 16 bytes),
    /// ``precedes(_:_:)`` decides. Sorting many short ids on their keys compares integers.
    public struct PrefixKey: Comparable, Sendable {
        let high: UInt64
        let low: UInt64

        public init(_ string: String) {
            var high: UInt64 = 0
            var low: UInt64 = 0
            var count = 0
            for byte in string.utf8 {
                if count < 8 {
                    high |= UInt64(byte) << (56 - 8 * count)
                } else if count < 16 {
                    low |= UInt64(byte) << (56 - 8 * (count - 8))
                } else {
                    break
                }
                count += 1
            }
            self.high = high
            self.low = low
        }

        public static func < (lhs: PrefixKey, rhs: PrefixKey) -> Bool {
            lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
        }
    }

    /// Sorts `items` by the byte order of each one's `id`, comparing prefix keys first.
    public static func sort<Item>(_ items: inout [Item], by id: (Item) -> String) {
        let order = sortedPositions(of: items, by: id)
        items = order.map { items[$0] }
    }

    /// The positions of `items` in the byte order of each one's `id` (prefix keys compared
    /// first): the permutation ``sort(_:by:)`` applies, for arrays that move together.
    public static func sortedPositions<Item>(of items: [Item], by id: (Item) -> String) -> [Int] {
        var keyed = items.indices.map { (key: PrefixKey(id(items[$0])), position: $0) }
        keyed.sort { left, right in
            if left.key != right.key { return left.key < right.key }
            return precedes(id(items[left.position]), id(items[right.position]))
        }
        return keyed.map(\.position)
    }
}
