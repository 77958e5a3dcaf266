import OSGDomain
import OSGLedger
import OSGLog

/// The money and the log of a run: every lease opens an escrow in a real
/// ``DoubleEntryLedger`` when it starts and settles it when it ends (the unused part goes
/// back), and every lease start and end is appended to a real RFC 6962 log (its root kept by a ``MerkleFrontier``).
struct SimAccounting {
    static let externalAccount: UInt64 = 1
    static let treasuryAccount: UInt64 = 2
    static let firstTenantAccount: UInt64 = 1_000
    static let firstProviderAccount: UInt64 = 100_000_000
    /// Each tenant's deposit at the start: ample, the simulator studies waits, not budgets.
    static let depositMicroCredits: UInt64 = 1 << 50

    var ledger: DoubleEntryLedger
    var log = MerkleFrontier()
    var ids = TransferIDSequence(startingAt: 1)
    let fee: ProtocolFee
    private(set) var settledMicroCredits: UInt64 = 0
    private(set) var feesMicroCredits: UInt64 = 0
    private(set) var leasesSettled = 0

    init(users: Int, providers: Int, feeBasisPoints: UInt16) {
        ledger = DoubleEntryLedger(expectedAccounts: users + providers + 2)
        fee = ProtocolFee(treasuryAccountID: Self.treasuryAccount, basisPoints: feeBasisPoints)
        precondition(ledger.createAccount(Account(id: Self.externalAccount, code: .external)) == .ok)
        precondition(ledger.createAccount(Account(id: Self.treasuryAccount, code: .treasury)) == .ok)
        for user in 0..<users {
            let id = Self.firstTenantAccount + UInt64(user)
            precondition(ledger.createAccount(Account(id: id, flags: .debitsMustNotExceedCredits, code: .tenant)) == .ok)
            let result = ledger.apply(MarketTransfers.deposit(id: ids.next(), externalAccountID: Self.externalAccount,
                                                              tenantAccountID: id, amountMicroCredits: Self.depositMicroCredits))
            precondition(result.isApplied, "a deposit into a fresh account applies")
        }
        for provider in 0..<providers {
            let id = Self.firstProviderAccount + UInt64(provider)
            precondition(ledger.createAccount(Account(id: id, flags: .debitsMustNotExceedCredits, code: .operator)) == .ok)
        }
    }

    /// Micro-credits for `gpus` GPUs over `seconds` at `price` per GPU-hour, rounded down.
    static func cost(price: Int64, gpus: Int, seconds: Int64) -> UInt64 {
        UInt64(Int128(price) * Int128(gpus) * Int128(seconds) / 3600)
    }

    /// Opens the escrow of a lease: the budget of its whole run, tenant → provider.
    mutating func openLease(user: Int32, provider: Int, price: Int64, gpus: Int, seconds: Int64) -> LeaseEscrow {
        let budget = max(1, Self.cost(price: price, gpus: gpus, seconds: seconds) + 1)
        let (operation, escrow) = MarketTransfers.openEscrow(
            id: ids.next(), tenantAccountID: Self.firstTenantAccount + UInt64(user),
            operatorAccountID: Self.firstProviderAccount + UInt64(provider), budgetMicroCredits: budget, timeoutSeconds: 0)
        let result = ledger.apply(operation)
        precondition(result.isApplied, "a lease escrow applies (tenants hold ample credit): \(result)")
        return escrow
    }

    /// Settles a lease that ran `seconds` (all of it, or until it was interrupted); the rest of
    /// the escrow goes back to the tenant.
    mutating func closeLease(_ escrow: LeaseEscrow, price: Int64, gpus: Int, seconds: Int64) {
        let cost = min(Self.cost(price: price, gpus: gpus, seconds: seconds), escrow.budgetMicroCredits)
        let (operation, _) = MarketTransfers.settleInterval(escrow, costMicroCredits: cost, fee: fee, owners: [], closing: true, ids: &ids)
        let result = ledger.apply(operation)
        precondition(result.isApplied, "a lease settlement applies: \(result)")
        settledMicroCredits += cost
        feesMicroCredits += fee.feeMicroCredits(on: cost)
        leasesSettled += 1
    }

    /// Appends one record (a short text line) to the log.
    mutating func append(_ record: String) {
        _ = log.append(entry: Array(record.utf8))
    }

    /// The log's root hash, lower-case hex.
    var logRootHex: String { Self.hex(log.rootHash()) }

    /// `bytes` as lower-case hex.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return text
    }
}
