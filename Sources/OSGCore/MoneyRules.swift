import OSGDomain

/// The published rules of the market's money, fixed in the ``Genesis`` so every replay applies
/// the very same ones (docs/LEDGER.md, "Rules in the genesis").
///
/// A log whose genesis has no rules (written before they existed) keeps its old meaning: a
/// node's stake is only declared, settlements pay no fee, and a node fault slashes nobody.
public struct MoneyRules: Hashable, Sendable, Codable {
    /// The protocol fee on every settlement paid to an operator, in basis points (1/10,000),
    /// paid by the operator to the treasury; 0...``maximumFeeBasisPoints``.
    public var protocolFeeBasisPoints: Int64
    /// How long a withdrawn node's collateral stays locked before it returns to the operator.
    public var collateralCoolingOffSeconds: Int64
    /// The slash of one node fault, as a fraction of the node's locked collateral, in basis
    /// points; the k-th fault within ``faultWindowSeconds`` slashes k times as much.
    public var slashBasisPoints: Int64
    /// The least one fault slashes (never more than the collateral left).
    public var slashMinimum: MicroCredits
    /// The most one fault slashes.
    public var slashCap: MicroCredits
    /// Faults of one node closer together than this escalate.
    public var faultWindowSeconds: Int64

    /// The highest fee a genesis may set: 20 %.
    public static let maximumFeeBasisPoints: Int64 = 2_000

    /// Rules known to be sound (a programming error otherwise).
    public init(protocolFeeBasisPoints: Int64, collateralCoolingOffSeconds: Int64, slashBasisPoints: Int64,
                slashMinimum: MicroCredits, slashCap: MicroCredits, faultWindowSeconds: Int64) {
        self.init(unchecked: protocolFeeBasisPoints, collateralCoolingOffSeconds: collateralCoolingOffSeconds, slashBasisPoints: slashBasisPoints,
                  slashMinimum: slashMinimum, slashCap: slashCap, faultWindowSeconds: faultWindowSeconds)
        precondition(problems.isEmpty, "money rules: " + problems.joined(separator: "; "))
    }

    /// Rules from untrusted input (flags, a file): check ``problems`` before using them.
    public init(unchecked protocolFeeBasisPoints: Int64, collateralCoolingOffSeconds: Int64, slashBasisPoints: Int64,
                slashMinimum: MicroCredits, slashCap: MicroCredits, faultWindowSeconds: Int64) {
        self.protocolFeeBasisPoints = protocolFeeBasisPoints
        self.collateralCoolingOffSeconds = collateralCoolingOffSeconds
        self.slashBasisPoints = slashBasisPoints
        self.slashMinimum = slashMinimum
        self.slashCap = slashCap
        self.faultWindowSeconds = faultWindowSeconds
    }

    /// The rules of a public coordinator unless its operator chooses others: a 1 % fee, a
    /// week of cooling-off, 10 % of the collateral per fault (at least 1 credit, at most
    /// 1,000), escalating within 7 days.
    public static let standard = MoneyRules(
        protocolFeeBasisPoints: 100, collateralCoolingOffSeconds: 7 * 86_400, slashBasisPoints: 1_000,
        slashMinimum: MicroCredits(MicroCredits.perCredit), slashCap: MicroCredits(1_000 * MicroCredits.perCredit),
        faultWindowSeconds: 7 * 86_400)

    /// A devnet's: no fee, a minute of cooling-off, faults escalate within an hour.
    public static let devnet = MoneyRules(
        protocolFeeBasisPoints: 0, collateralCoolingOffSeconds: 60, slashBasisPoints: 1_000,
        slashMinimum: MicroCredits(MicroCredits.perCredit), slashCap: MicroCredits(1_000 * MicroCredits.perCredit),
        faultWindowSeconds: 3_600)

    /// What is wrong with these rules, in words (empty when they are sound).
    public var problems: [String] {
        var problems: [String] = []
        if !(0...Self.maximumFeeBasisPoints).contains(protocolFeeBasisPoints) {
            problems.append("the protocol fee must be 0...\(Self.maximumFeeBasisPoints) basis points, got \(protocolFeeBasisPoints)")
        }
        if !(0...(366 * 86_400)).contains(collateralCoolingOffSeconds) {
            problems.append("the cooling-off period must be 0 to 366 days, got \(collateralCoolingOffSeconds) s")
        }
        if !(0...10_000).contains(slashBasisPoints) {
            problems.append("the slash fraction must be 0...10,000 basis points, got \(slashBasisPoints)")
        }
        if slashMinimum.rawValue < 0 || slashCap.rawValue < slashMinimum.rawValue {
            problems.append("the slash minimum must be at least 0 and at most the cap, got \(slashMinimum) and \(slashCap)")
        }
        if !(1...(366 * 86_400)).contains(faultWindowSeconds) {
            problems.append("the fault window must be 1 s to 366 days, got \(faultWindowSeconds) s")
        }
        return problems
    }

    /// The fee on a settlement of `amount`, rounded down (the operator keeps the fraction).
    public func fee(on amount: UInt64) -> UInt64 {
        UInt64(UInt128(amount) * UInt128(protocolFeeBasisPoints) / 10_000)
    }

    /// What the `fault`-th fault (1 for the first) within the window slashes from `collateral`:
    /// `collateral × slash_bps × fault ÷ 10,000` rounded down, raised to the minimum, lowered to
    /// the cap, and never more than the collateral; nothing at all when `slash_bps` is 0.
    public func slash(collateral: UInt64, fault: Int) -> UInt64 {
        guard slashBasisPoints > 0 else { return 0 }
        let fraction = min(UInt128(10_000), UInt128(slashBasisPoints) * UInt128(max(1, fault)))
        let proportional = UInt128(collateral) * fraction / 10_000
        let bounded = min(UInt128(max(0, slashCap.rawValue)), max(UInt128(max(0, slashMinimum.rawValue)), proportional))
        return UInt64(min(bounded, UInt128(collateral)))
    }
}
