/// A small, fast, seeded random number generator (SplitMix64).
///
/// The core never draws randomness itself; simulations and tests pass one of these in, so a
/// seed reproduces a run exactly on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole output is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (bound > 0) by multiply-shift: platform-independent, unlike
    /// the standard library's `random(in:using:)` whose algorithm is not part of its contract.
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        return UInt64((UInt128(next()) * UInt128(bound)) >> 64)
    }
}
