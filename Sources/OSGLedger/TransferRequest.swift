/// A request to move money from one account to another, now or as a pending reservation.
public struct TransferRequest: Sendable, Hashable {
    /// Client-chosen id; transfer, post and void ids share one namespace.
    public var id: UInt64
    /// The account that is debited (pays).
    public var debitAccountID: UInt64
    /// The account that is credited (receives).
    public var creditAccountID: UInt64
    /// The amount; zero is refused (``LedgerResultCode/amountZero``).
    public var amountMicroCredits: UInt64
    /// `true` reserves the amount as pending until a post, a void or expiry.
    public var isPending: Bool
    /// For a pending transfer: it expires at the first tick with now ≥ creation time +
    /// timeout; 0 means never. Ignored (stored as 0) for a transfer that is not pending.
    public var timeoutSeconds: UInt64
    /// Why the transfer was made; stored and compared, never interpreted.
    public var code: TransferCode

    /// Creates a transfer request.
    public init(
        id: UInt64, debitAccountID: UInt64, creditAccountID: UInt64, amountMicroCredits: UInt64,
        isPending: Bool = false, timeoutSeconds: UInt64 = 0, code: TransferCode = .unspecified
    ) {
        self.id = id
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amountMicroCredits = amountMicroCredits
        self.isPending = isPending
        self.timeoutSeconds = isPending ? timeoutSeconds : 0
        self.code = code
    }
}
