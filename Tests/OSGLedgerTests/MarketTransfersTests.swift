import OSGDomain
@testable import OSGLedger
import Testing

/// Accounts of a small market: 1 external, 2 tenant, 3 operator, 4 treasury, 5–7 owners.
func marketLedger() -> DoubleEntryLedger {
    var ledger = DoubleEntryLedger()
    let limited = AccountFlags.debitsMustNotExceedCredits
    let results = ledger.apply([
        .createAccount(Account(id: 1, code: .external)),
        .createAccount(Account(id: 2, flags: limited, code: .tenant)),
        .createAccount(Account(id: 3, flags: limited, code: .operator)),
        .createAccount(Account(id: 4, code: .treasury)),
        .createAccount(Account(id: 5, flags: limited, code: .ownershipShare)),
        .createAccount(Account(id: 6, flags: limited, code: .ownershipShare)),
        .createAccount(Account(id: 7, flags: limited, code: .ownershipShare)),
    ])
    precondition(results.allSatisfy(\.isApplied))
    return ledger
}

@Suite("Market money movements built from transfers")
struct MarketTransfersTests {
    @Test("escrow → streamed settlement → refund: every micro-credit is accounted for")
    func escrowSettlementRefund() {
        var ledger = marketLedger()
        var ids = TransferIDSequence(startingAt: 100)
        let fee = ProtocolFee(treasuryAccountID: 4, basisPoints: 250)
        #expect(ledger.apply(MarketTransfers.deposit(id: ids.next(), externalAccountID: 1, tenantAccountID: 2, amountMicroCredits: 1_000)) == .single(.ok))
        let (open, escrow0) = MarketTransfers.openEscrow(id: ids.next(), tenantAccountID: 2, operatorAccountID: 3,
                                                          budgetMicroCredits: 900, timeoutSeconds: 3_600)
        #expect(ledger.apply(open) == .single(.ok))
        // The tenant cannot spend what is in escrow.
        #expect(ledger.apply(transfer(ids.next(), 2, 1, 101)) == .single(.exceedsCredits))

        var escrow = escrow0
        for cost: UInt64 in [100, 250, 50] {
            let (operation, after) = MarketTransfers.settleInterval(escrow, costMicroCredits: cost, fee: fee, owners: [], ids: &ids)
            #expect(ledger.apply(operation).isApplied)
            escrow = after
            #expect(ledger.account(2)!.debitsPendingMicroCredits == escrow.reservedMicroCredits)
            #expect(ledger.checkInvariants().isEmpty)
        }
        #expect(escrow.settledMicroCredits == 400)
        // Over-budget: the chain fails as a whole and the escrow state must be kept.
        let (tooMuch, _) = MarketTransfers.settleInterval(escrow, costMicroCredits: 501, fee: fee, owners: [], ids: &ids)
        guard case .chain(let codes) = ledger.apply(tooMuch) else { Issue.record("expected a chain"); return }
        #expect(codes.first == .amountExceedsPending)
        // Final interval of 30: the unused 470 goes back to the tenant.
        let (close, closed) = MarketTransfers.settleInterval(escrow, costMicroCredits: 30, fee: fee, owners: [], closing: true, ids: &ids)
        #expect(ledger.apply(close).isApplied)
        #expect(closed.pendingTransferID == nil && closed.settledMicroCredits == 430)

        let tenant = ledger.account(2)!, operatorAccount = ledger.account(3)!, treasury = ledger.account(4)!
        let fees = fee.feeMicroCredits(on: 100) + fee.feeMicroCredits(on: 250) + fee.feeMicroCredits(on: 50) + fee.feeMicroCredits(on: 30)
        #expect(fees == 2 + 6 + 1 + 0)
        #expect(tenant.debitsPendingMicroCredits == 0 && tenant.debitsPostedMicroCredits == 430)
        #expect(tenant.availableMicroCredits == 570)
        #expect(operatorAccount.postedBalanceMicroCredits == Int128(430 - fees))
        #expect(treasury.postedBalanceMicroCredits == Int128(fees))
        #expect(ledger.checkInvariants().isEmpty)
    }

    @Test("refund before use voids the escrow; a zero final cost is a full refund")
    func refunds() {
        var ledger = marketLedger()
        var ids = TransferIDSequence(startingAt: 100)
        _ = ledger.apply(MarketTransfers.deposit(id: ids.next(), externalAccountID: 1, tenantAccountID: 2, amountMicroCredits: 500))
        let (open, escrow) = MarketTransfers.openEscrow(id: ids.next(), tenantAccountID: 2, operatorAccountID: 3, budgetMicroCredits: 500, timeoutSeconds: 0)
        _ = ledger.apply(open)
        let (refund, after) = MarketTransfers.refund(escrow, ids: &ids)
        #expect(ledger.apply(refund) == .single(.ok))
        #expect(after.reservedMicroCredits == 0)
        #expect(ledger.account(2)!.availableMicroCredits == 500)

        let (open2, escrow2) = MarketTransfers.openEscrow(id: ids.next(), tenantAccountID: 2, operatorAccountID: 3, budgetMicroCredits: 200, timeoutSeconds: 0)
        _ = ledger.apply(open2)
        let fee = ProtocolFee(treasuryAccountID: 4, basisPoints: 100)
        let (idle, same) = MarketTransfers.settleInterval(escrow2, costMicroCredits: 0, fee: fee, owners: [], ids: &ids)
        #expect(idle == .linked([]) && same == escrow2)
        let (zeroClose, _) = MarketTransfers.settleInterval(escrow2, costMicroCredits: 0, fee: fee, owners: [], closing: true, ids: &ids)
        #expect(ledger.apply(zeroClose) == .single(.ok))
        #expect(ledger.account(2)!.availableMicroCredits == 500)
        #expect(ledger.account(3)!.creditsPostedMicroCredits == 0)
    }

    @Test("slashing follows the published rule: penalty capped by the stake, treasury cut, compensation")
    func slashing() {
        let rule = SlashingRule(penaltyPerMille: 1_500, treasuryBasisPoints: 2_000)
        #expect(rule.outcome(stakeMicroCredits: 1_000, brokenLeaseValueMicroCredits: 200)
            == .init(penaltyMicroCredits: 300, treasuryCutMicroCredits: 60, compensationMicroCredits: 240))
        #expect(rule.outcome(stakeMicroCredits: 100, brokenLeaseValueMicroCredits: 200).penaltyMicroCredits == 100)
        #expect(rule.outcome(stakeMicroCredits: 1_000, brokenLeaseValueMicroCredits: 1).penaltyMicroCredits == 1)
        #expect(rule.outcome(stakeMicroCredits: 1_000, brokenLeaseValueMicroCredits: 1).compensationMicroCredits == 1)

        var ledger = marketLedger()
        var ids = TransferIDSequence(startingAt: 100)
        _ = ledger.apply(MarketTransfers.deposit(id: ids.next(), externalAccountID: 1, tenantAccountID: 3, amountMicroCredits: 1_000))
        let (hold, stake) = MarketTransfers.holdStake(id: ids.next(), operatorAccountID: 3, treasuryAccountID: 4, amountMicroCredits: 1_000)
        #expect(ledger.apply(hold) == .single(.ok))
        // Collateral is locked: the operator cannot withdraw it.
        #expect(ledger.apply(transfer(ids.next(), 3, 1, 1)) == .single(.exceedsCredits))
        let (slash, outcome, stakeAfter) = MarketTransfers.slash(stake, rule: rule, brokenLeaseValueMicroCredits: 200, tenantAccountID: 2, ids: &ids)
        #expect(ledger.apply(slash).isApplied)
        #expect(outcome.penaltyMicroCredits == 300)
        #expect(ledger.account(2)!.creditsPostedMicroCredits == 240)
        #expect(ledger.account(4)!.postedBalanceMicroCredits == 60)
        #expect(ledger.account(3)!.debitsPendingMicroCredits == 700)
        #expect(stakeAfter?.amountMicroCredits == 700)
        // Slashing more than what is left takes the rest, without restaking.
        let (slash2, outcome2, gone) = MarketTransfers.slash(stakeAfter!, rule: rule, brokenLeaseValueMicroCredits: 10_000, tenantAccountID: 2, ids: &ids)
        #expect(ledger.apply(slash2).isApplied)
        #expect(outcome2.penaltyMicroCredits == 700 && gone == nil)
        #expect(ledger.account(3)!.debitsPendingMicroCredits == 0)
        #expect(ledger.account(3)!.postedBalanceMicroCredits == 0)
        #expect(ledger.checkInvariants().isEmpty)
    }

    struct SplitCase: Sendable, CustomTestStringConvertible {
        let revenueMicroCredits: UInt64
        let holdings: [ShareHolding]
        let expected: [(accountID: UInt64, amountMicroCredits: UInt64)]
        var testDescription: String { "\(revenueMicroCredits) over \(holdings.map(\.shares))" }

        init(_ revenue: UInt64, _ holdings: [(UInt64, UInt64)], _ expected: [(UInt64, UInt64)]) {
            revenueMicroCredits = revenue
            self.holdings = holdings.map { ShareHolding(accountID: $0.0, shares: $0.1) }
            self.expected = expected.map { (accountID: $0.0, amountMicroCredits: $0.1) }
        }
    }

    static let splitCases: [SplitCase] = [
        SplitCase(100, [(7, 1), (5, 1), (6, 1)], [(5, 34), (6, 33), (7, 33)]),
        SplitCase(10, [(5, 1), (6, 2), (7, 3)], [(5, 2), (6, 3), (7, 5)]),
        SplitCase(1, [(9, 5), (8, 5)], [(8, 1), (9, 0)]),
        SplitCase(0, [(5, 3)], [(5, 0)]),
        SplitCase(UInt64.max, [(5, 1), (6, 1)], [(5, UInt64.max / 2 + 1), (6, UInt64.max / 2)]),
    ]

    @Test("pro-rata split sums exactly to the revenue with largest remainder, ties by account id", arguments: splitCases)
    func proRata(case splitCase: SplitCase) {
        let split = OwnershipRegistry.split(revenueMicroCredits: splitCase.revenueMicroCredits, among: splitCase.holdings)
        #expect(split.map(\.accountID) == splitCase.expected.map(\.accountID))
        #expect(split.map(\.amountMicroCredits) == splitCase.expected.map(\.amountMicroCredits))
    }

    @Test("random splits always add up and never give anyone more than one above the exact share", arguments: Array(UInt64(1)...20))
    func randomSplits(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let holdings = (0..<(1 + random.next(below: 12))).map { ShareHolding(accountID: 100 + $0, shares: random.next(below: 1_000)) }
        let revenue = random.next(below: 10_000_000)
        let split = OwnershipRegistry.split(revenueMicroCredits: revenue, among: holdings)
        let total = holdings.reduce(UInt128(0)) { $0 + UInt128($1.shares) }
        if total == 0 { #expect(split.isEmpty); return }
        #expect(split.reduce(UInt128(0)) { $0 + UInt128($1.amountMicroCredits) } == UInt128(revenue))
        for (share, holding) in zip(split, holdings.filter { $0.shares > 0 }) {
            let exactFloor = UInt128(revenue) * UInt128(holding.shares) / total
            #expect(UInt128(share.amountMicroCredits) - exactFloor <= 1)
        }
    }

    @Test("settlement pays owners pro rata after the fee, as linked transfers")
    func settlementPaysOwners() {
        var ledger = marketLedger()
        var ids = TransferIDSequence(startingAt: 100)
        var registry = OwnershipRegistry()
        registry.issue(nodeID: 77, to: 5, shares: 1)
        registry.issue(nodeID: 77, to: 6, shares: 1)
        registry.issue(nodeID: 77, to: 3, shares: 1)
        #expect(registry.transferShares(nodeID: 77, from: 3, to: 7, shares: 1) == .ok)
        #expect(registry.transferShares(nodeID: 77, from: 3, to: 7, shares: 1) == .insufficientShares)
        #expect(registry.transferShares(nodeID: 77, from: 5, to: 5, shares: 1) == .sameAccount)
        #expect(registry.transferShares(nodeID: 77, from: 5, to: 6, shares: 0) == .sharesZero)
        #expect(registry.holdings(of: 77).map(\.accountID) == [5, 6, 7])

        _ = ledger.apply(MarketTransfers.deposit(id: ids.next(), externalAccountID: 1, tenantAccountID: 2, amountMicroCredits: 1_000))
        let (open, escrow) = MarketTransfers.openEscrow(id: ids.next(), tenantAccountID: 2, operatorAccountID: 3, budgetMicroCredits: 1_000, timeoutSeconds: 0)
        _ = ledger.apply(open)
        let fee = ProtocolFee(treasuryAccountID: 4, basisPoints: 500)
        let (settle, _) = MarketTransfers.settleInterval(escrow, costMicroCredits: 101, fee: fee, owners: registry.holdings(of: 77), ids: &ids)
        #expect(ledger.apply(settle).isApplied)
        // fee = floor(101 × 5%) = 5; revenue 96 split 32/32/32.
        #expect(ledger.account(4)!.postedBalanceMicroCredits == 5)
        #expect([5, 6, 7].map { ledger.account($0)!.postedBalanceMicroCredits } == [32, 32, 32])
        #expect(ledger.account(3)!.postedBalanceMicroCredits == 0)
        #expect(ledger.account(2)!.debitsPendingMicroCredits == 899)
        #expect(ledger.checkInvariants().isEmpty)
    }
}
