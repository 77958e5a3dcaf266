/// One applied money movement, as kept in an account's history.
///
/// Every applied transfer, post, void and expiry leaves exactly one record; failed operations
/// leave none. Records of one account are chained newest-to-oldest through
/// `previousDebitRecordIndex` / `previousCreditRecordIndex`, so history costs no allocation
/// per transfer.
public struct TransferRecord: Sendable, Hashable {
    /// What happened.
    public enum Kind: UInt8, Sendable, Hashable {
        /// A transfer applied at once.
        case posted
        /// A transfer reserved as pending.
        case pending
        /// A post of a pending transfer (`amountMicroCredits` applied, the rest released).
        case postPending
        /// A void of a pending transfer (all released).
        case voidPending
        /// A pending transfer expired at a tick (all released). Its `id` is the pending id and
        /// is not in the id namespace.
        case expirePending
    }

    /// The state of a ``Kind/pending`` record.
    public enum PendingState: UInt8, Sendable, Hashable {
        /// Not a pending record, or still reserved.
        case open
        /// Posted (fully or partly).
        case posted
        /// Voided.
        case voided
        /// Expired.
        case expired
    }

    /// The client id (for an expiry, the id of the expired pending transfer).
    public let id: UInt64
    /// What happened.
    public let kind: Kind
    /// The debited account.
    public let debitAccountID: UInt64
    /// The credited account.
    public let creditAccountID: UInt64
    /// Transfer: its amount. Post: the amount applied. Void / expiry: the amount released.
    public let amountMicroCredits: UInt64
    /// Post, void, expiry: the pending transfer concerned; 0 otherwise.
    public let pendingID: UInt64
    /// Pending transfer: its timeout (0 = never expires).
    public let timeoutSeconds: UInt64
    /// Logical time at which the record was made.
    public let timestampSeconds: UInt64
    /// Transfer code (for post/void/expiry: the pending transfer's code).
    public let code: TransferCode
    /// Post: the amount as requested (`nil` = "all"); kept for idempotency comparison.
    public let requestedAmountMicroCredits: UInt64?
    /// For a ``Kind/pending`` record: whether it is still open.
    public internal(set) var pendingState: PendingState
    let previousDebitRecordIndex: Int32
    let previousCreditRecordIndex: Int32

    init(
        id: UInt64, kind: Kind, debitAccountID: UInt64, creditAccountID: UInt64,
        amountMicroCredits: UInt64, pendingID: UInt64 = 0, timeoutSeconds: UInt64 = 0,
        timestampSeconds: UInt64, code: TransferCode, requestedAmountMicroCredits: UInt64? = nil,
        previousDebitRecordIndex: Int32, previousCreditRecordIndex: Int32
    ) {
        self.id = id
        self.kind = kind
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amountMicroCredits = amountMicroCredits
        self.pendingID = pendingID
        self.timeoutSeconds = timeoutSeconds
        self.timestampSeconds = timestampSeconds
        self.code = code
        self.requestedAmountMicroCredits = requestedAmountMicroCredits
        self.pendingState = .open
        self.previousDebitRecordIndex = previousDebitRecordIndex
        self.previousCreditRecordIndex = previousCreditRecordIndex
    }

    /// Whether a repeated transfer request carries exactly this record's fields.
    func matches(_ request: TransferRequest) -> Bool {
        (kind == .posted || kind == .pending)
            && (kind == .pending) == request.isPending
            && debitAccountID == request.debitAccountID
            && creditAccountID == request.creditAccountID
            && amountMicroCredits == request.amountMicroCredits
            && timeoutSeconds == request.timeoutSeconds
            && code == request.code
    }

    /// Whether a repeated post/void request carries exactly this record's fields.
    func matches(_ request: PendingResolution) -> Bool {
        switch request.action {
        case .post:
            kind == .postPending && pendingID == request.pendingID
                && requestedAmountMicroCredits == request.amountMicroCredits
        case .void:
            kind == .voidPending && pendingID == request.pendingID
        }
    }
}
