/// Sums and products of published figures that hold at the bounds instead of trapping
/// (hardening: no input may crash a view or a replay).
extension Int64 {
    /// `self + other`, held at the bounds instead of overflowing.
    public func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self × other`, held at the bounds instead of overflowing.
    public func multipliedSaturated(by other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) == (other < 0) ? .max : .min) : product
    }
}
