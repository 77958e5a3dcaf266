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
}
