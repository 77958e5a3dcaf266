/// The published slashing rule for a broken lease.
///
/// penalty = min(stake, floor(brokenLeaseValue × penaltyPerMille / 1,000));
/// treasury cut = floor(penalty × treasuryBasisPoints / 10,000);
/// compensation to the affected tenant = penalty − treasury cut.
/// Everything is integer arithmetic, so anyone can recompute a slash from the log.
public struct SlashingRule: Sendable, Hashable {
    /// Penalty as a multiple of the broken lease's value, in thousandths (1,500 = 1.5×).
    public var penaltyPerMille: UInt32
    /// Share of the penalty kept by the treasury, in basis points; the rest goes to the tenant.
    public var treasuryBasisPoints: UInt16

    /// Creates a rule.
    public init(penaltyPerMille: UInt32, treasuryBasisPoints: UInt16) {
        precondition(treasuryBasisPoints <= 10_000, "a treasury share above 100% is a programming error")
        self.penaltyPerMille = penaltyPerMille
        self.treasuryBasisPoints = treasuryBasisPoints
    }

    /// The split of a slash, all in micro-credits.
    public struct Outcome: Sendable, Hashable {
        /// Taken from the stake.
        public let penaltyMicroCredits: UInt64
        /// Kept by the treasury.
        public let treasuryCutMicroCredits: UInt64
        /// Paid to the affected tenant.
        public let compensationMicroCredits: UInt64
    }

    /// Applies the rule to a stake and the value of the broken lease.
    public func outcome(stakeMicroCredits: UInt64, brokenLeaseValueMicroCredits: UInt64) -> Outcome {
        let raw = UInt128(brokenLeaseValueMicroCredits) * UInt128(penaltyPerMille) / 1_000
        let penalty = UInt64(min(raw, UInt128(stakeMicroCredits)))
        let cut = UInt64(UInt128(penalty) * UInt128(treasuryBasisPoints) / 10_000)
        return Outcome(penaltyMicroCredits: penalty, treasuryCutMicroCredits: cut, compensationMicroCredits: penalty - cut)
    }
}
