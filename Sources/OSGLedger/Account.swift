/// One ledger account and its four balances, in micro-credits.
///
/// Balances only grow or move between pending and posted; the net balance is derived.
public struct Account: Sendable, Hashable {
    /// Client-chosen id, unique in the ledger.
    public let id: UInt64
    /// Balance limits.
    public let flags: AccountFlags
    /// Market role (tenant, operator, …); stored, never interpreted by the ledger.
    public let code: AccountCode
    /// Debits reserved by pending transfers.
    public internal(set) var debitsPendingMicroCredits: UInt64 = 0
    /// Debits applied.
    public internal(set) var debitsPostedMicroCredits: UInt64 = 0
    /// Credits reserved by pending transfers.
    public internal(set) var creditsPendingMicroCredits: UInt64 = 0
    /// Credits applied.
    public internal(set) var creditsPostedMicroCredits: UInt64 = 0
    /// Index of the newest history record touching this account, -1 for none.
    var newestRecordIndex: Int32 = -1

    /// Creates an account with zero balances.
    public init(id: UInt64, flags: AccountFlags = [], code: AccountCode = .unspecified) {
        self.id = id
        self.flags = flags
        self.code = code
    }

    /// credits_posted − debits_posted, as a signed 128-bit number (cannot overflow).
    public var postedBalanceMicroCredits: Int128 {
        Int128(creditsPostedMicroCredits) - Int128(debitsPostedMicroCredits)
    }

    /// What a `debits_must_not_exceed_credits` account can still spend:
    /// credits_posted − debits_posted − debits_pending (never negative for such an account).
    public var availableMicroCredits: Int128 {
        postedBalanceMicroCredits - Int128(debitsPendingMicroCredits)
    }
}
