/// A tenant's weighted dominant share as an exact fraction: `numerator / denominator`, where
/// the numerator is the tenant's use of its dominant resource and the denominator is that
/// resource's capacity times the tenant's weight.
///
/// Compared exactly by cross-multiplication in 128 bits: numerators stay below 2^62 and
/// denominators below 2^62 (capacity below 2^52, weight at most 1,000 < 2^10), so neither
/// product can overflow.
public struct WeightedShare: Comparable, Hashable, Sendable {
    /// Use of the dominant resource.
    public var numerator: UInt64
    /// Capacity of the dominant resource times the weight; never 0.
    public var denominator: UInt64

    /// Creates a share; `denominator` must not be 0.
    public init(numerator: UInt64, denominator: UInt64) {
        precondition(denominator > 0, "a share's denominator is a capacity times a weight, never 0")
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Nothing held.
    public static let zero = WeightedShare(numerator: 0, denominator: 1)

    public static func < (lhs: WeightedShare, rhs: WeightedShare) -> Bool {
        let left = lhs.numerator.multipliedFullWidth(by: rhs.denominator)
        let right = rhs.numerator.multipliedFullWidth(by: lhs.denominator)
        return left.high != right.high ? left.high < right.high : left.low < right.low
    }

    /// Equal as fractions (`1/2 == 2/4`), consistent with `<`.
    public static func == (lhs: WeightedShare, rhs: WeightedShare) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }

    public func hash(into hasher: inout Hasher) {
        // Equal fractions must hash alike: hash the reduced form.
        var a = numerator, b = denominator
        while b != 0 { (a, b) = (b, a % b) }
        hasher.combine(numerator / a)
        hasher.combine(denominator / a)
    }
}
