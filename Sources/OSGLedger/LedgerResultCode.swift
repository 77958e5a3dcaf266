/// The verdict of one ledger operation or event.
///
/// Business verdicts (insufficient funds, unknown account, a repeated id) are result codes,
/// never thrown errors. The contract codes of `osg ledger apply` (DESIGN.md §5) come first, in
/// the order the checks run; the codes after ``linkedEventFailed`` are extensions for inputs
/// the contract examples never produce (arithmetic overflow, contradictory flags).
public enum LedgerResultCode: UInt8, Sendable, Hashable, CaseIterable {
    /// Applied.
    case ok
    /// The id exists with the same fields: an idempotent repeat, nothing applied.
    case exists
    /// The id exists with different fields (or is a different kind of operation).
    case existsWithDifferentFields
    /// The debit or the credit account does not exist.
    case accountNotFound
    /// The debit and the credit account are the same account.
    case sameAccount
    /// The amount is zero.
    case amountZero
    /// The debit account has `debits_must_not_exceed_credits` and the amount would break it.
    case exceedsCredits
    /// The credit account has `credits_must_not_exceed_debits` and the amount would break it.
    case exceedsDebits
    /// A post or void names no pending transfer.
    case pendingNotFound
    /// The pending transfer was already posted.
    case pendingAlreadyPosted
    /// The pending transfer was already voided.
    case pendingAlreadyVoided
    /// The pending transfer expired at an earlier tick.
    case pendingExpired
    /// A post asks for more than the pending transfer reserved.
    case amountExceedsPending
    /// Another event of the same linked chain failed, so this one was not applied.
    case linkedEventFailed
    /// Extension: the debit account's debits (pending + posted) would overflow 64 bits.
    case overflowsDebits
    /// Extension: the credit account's credits (pending + posted) would overflow 64 bits.
    case overflowsCredits
    /// Extension: creation time + timeout would overflow 64 bits.
    case overflowsTimeout
    /// Extension: an account cannot have both balance-limit flags.
    case flagsAreMutuallyExclusive

    /// The snake_case name used by the JSON contract, e.g. `"exceeds_credits"`.
    public var name: String {
        switch self {
        case .ok: "ok"
        case .exists: "exists"
        case .existsWithDifferentFields: "exists_with_different_fields"
        case .accountNotFound: "account_not_found"
        case .sameAccount: "same_account"
        case .amountZero: "amount_zero"
        case .exceedsCredits: "exceeds_credits"
        case .exceedsDebits: "exceeds_debits"
        case .pendingNotFound: "pending_not_found"
        case .pendingAlreadyPosted: "pending_already_posted"
        case .pendingAlreadyVoided: "pending_already_voided"
        case .pendingExpired: "pending_expired"
        case .amountExceedsPending: "amount_exceeds_pending"
        case .linkedEventFailed: "linked_event_failed"
        case .overflowsDebits: "overflows_debits"
        case .overflowsCredits: "overflows_credits"
        case .overflowsTimeout: "overflows_timeout"
        case .flagsAreMutuallyExclusive: "flags_are_mutually_exclusive"
        }
    }

    /// Looks a code up by its contract name; `nil` for an unknown name.
    public init?(name: String) {
        guard let code = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = code
    }
}
