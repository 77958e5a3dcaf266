import OSGDomain
@testable import OSGLedger
import Testing

/// A seeded generator of hostile operation streams: repeated and conflicting ids, missing
/// accounts, zero and oversized amounts, posts and voids of anything, ticks, linked chains.
struct ChaosWorkload {
    var random: SplitMix64
    var now: UInt64 = 0
    var nextID: UInt64 = 1
    var earlier: [LedgerEvent] = []
    var pendingIDs: [UInt64] = []

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next(below: UInt64(values.count)))] }

    mutating func freshID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    mutating func event() -> LedgerEvent {
        let roll = random.next(below: 100)
        if roll < 15, !earlier.isEmpty {
            // Repeat an earlier event: exactly (exists, or a retry of a failure) or changed.
            let old = pick(earlier)
            guard random.next(below: 2) == 0, case .transfer(var request) = old else { return old }
            request.amountMicroCredits += 1
            return .transfer(request)
        }
        let event: LedgerEvent
        if roll < 40 {
            let pendingID = !pendingIDs.isEmpty && random.next(below: 5) > 0 ? pick(pendingIDs) : 1 + random.next(below: nextID)
            if random.next(below: 2) == 0 {
                event = .resolve(.void(id: freshID(), pendingID: pendingID))
            } else {
                let amount: UInt64? = random.next(below: 2) == 0 ? nil : pick([0, 1, 5, 50, 5_000])
                event = .resolve(.post(id: freshID(), pendingID: pendingID, amountMicroCredits: amount))
            }
        } else {
            let debit = 1 + random.next(below: 14)
            let credit = 1 + random.next(below: 14)
            let amount: UInt64 = pick([0, 1, 5, 10, 50, 100, 1_000, 100_000])
            let isPending = random.next(below: 2) == 0
            let request = TransferRequest(id: freshID(), debitAccountID: debit, creditAccountID: credit, amountMicroCredits: amount,
                                          isPending: isPending, timeoutSeconds: isPending ? pick([0, 5, 10, 60]) : 0)
            if isPending { pendingIDs.append(request.id) }
            event = .transfer(request)
        }
        earlier.append(event)
        return event
    }

    mutating func operation() -> LedgerOperation {
        switch random.next(below: 100) {
        case 0..<8:
            let id = 1 + random.next(below: 12)
            let flags: AccountFlags = pick([[], [], .debitsMustNotExceedCredits, .creditsMustNotExceedDebits])
            return .createAccount(Account(id: id, flags: flags, code: AccountCode(rawValue: UInt16(random.next(below: 2)))))
        case 8..<18:
            // Fund from account 1 so limited accounts have something to spend.
            return .transfer(TransferRequest(id: freshID(), debitAccountID: 1,
                                             creditAccountID: 2 + random.next(below: 11), amountMicroCredits: 1_000))
        case 18..<26:
            now += pick([0, 1, 3, 7, 20])
            return .tick(nowSeconds: now)
        case 26..<40:
            return .linked((0..<(1 + random.next(below: 4))).map { _ in event() })
        default:
            switch event() {
            case .transfer(let request): return .transfer(request)
            case .resolve(let resolution): return .resolve(resolution)
            }
        }
    }

    mutating func operations(_ count: Int) -> [LedgerOperation] { (0..<count).map { _ in operation() } }
}

@Suite("Seeded randomized runs keep every invariant and replay exactly")
struct RandomizedLedgerTests {
    @Test("invariants hold after every batch of a hostile stream", arguments: Array(UInt64(1)...12))
    func invariantsHold(seed: UInt64) {
        var workload = ChaosWorkload(seed: seed)
        var ledger = DoubleEntryLedger()
        var codes: [LedgerResultCode: Int] = [:]
        for _ in 0..<40 {
            let batch = workload.operations(Int(1 + workload.random.next(below: 120)))
            for result in ledger.apply(batch) {
                switch result {
                case .single(let code): codes[code, default: 0] += 1
                case .chain(let chain): for code in chain { codes[code, default: 0] += 1 }
                }
            }
            let violations = ledger.checkInvariants()
            #expect(violations.isEmpty, "seed \(seed): \(violations)")
            // The index of open pendings the live check uses is exactly the open pendings.
            let open = Set(ledger.records.indices.filter { ledger.records[$0].kind == .pending && ledger.records[$0].pendingState == .open }.map(Int32.init))
            #expect(ledger.openPendingIndices == open, "seed \(seed): the open-pending index drifted")
            #expect(ledger.checkLiveInvariants().isEmpty, "seed \(seed)")
        }
        // The stream really exercises the ledger: most verdicts occur.
        #expect(codes[.ok, default: 0] > 100)
        #expect(codes.keys.count >= 12, "seed \(seed) produced only \(codes.keys.map(\.name).sorted())")
    }

    @Test("dropping the ledger at random points and replaying the log gives the identical state", arguments: Array(UInt64(100)...107))
    func crashAndReplay(seed: UInt64) {
        var workload = ChaosWorkload(seed: seed)
        var crashes = SplitMix64(seed: seed ^ 0xC0FFEE)
        var reference = DoubleEntryLedger()
        var live = DoubleEntryLedger()
        var log: [LedgerOperation] = []
        var referenceResults: [LedgerResult] = []
        for _ in 0..<50 {
            let batch = workload.operations(Int(1 + workload.random.next(below: 100)))
            // Every accepted operation is appended to the log first, then applied.
            log.append(contentsOf: batch)
            referenceResults.append(contentsOf: reference.apply(batch))
            _ = live.apply(batch)
            if crashes.next(below: 4) == 0 {
                // Crash: the in-memory ledger is lost; rebuild it by replaying the whole log,
                // in batches of a different size than the original ones.
                live = DoubleEntryLedger()
                var replayedResults: [LedgerResult] = []
                var start = 0
                while start < log.count {
                    let end = min(log.count, start + Int(1 + crashes.next(below: 250)))
                    replayedResults.append(contentsOf: live.apply(Array(log[start..<end])))
                    start = end
                }
                #expect(replayedResults == referenceResults, "seed \(seed): replay gave different verdicts")
            }
            #expect(live.stateDigest == reference.stateDigest, "seed \(seed): state differs after \(log.count) operations")
        }
        #expect(live.accountsByID == reference.accountsByID)
        #expect(log.count > 1_000)
    }

    @Test("the digest changes when any balance changes")
    func digestIsSensitive() {
        var a = fundedLedger()
        let b = fundedLedger()
        #expect(a.stateDigest == b.stateDigest)
        _ = a.apply(transfer(50, 1, 4, 1))
        #expect(a.stateDigest != b.stateDigest)
    }

    @Test("the benchmark workload applies without a single failure and keeps the invariants")
    func benchmarkWorkloadIsClean() {
        let workload = LedgerWorkload(seed: 7, accountCount: 50, transferCount: 5_000, batchSize: 700)
        var ledger = DoubleEntryLedger()
        let setupResults = ledger.apply(workload.setup)
        #expect(setupResults.allSatisfy { $0.isApplied })
        for batch in workload.batches {
            let results = ledger.apply(batch)
            #expect(results.allSatisfy { $0 == .single(.ok) })
        }
        #expect(workload.transferCount == 5_000)
        #expect(workload.batches.count == 8)
        #expect(ledger.checkInvariants().isEmpty)
        let again = LedgerWorkload(seed: 7, accountCount: 50, transferCount: 5_000, batchSize: 700)
        #expect(again.batches == workload.batches)
    }
}

@Suite("The randomized stream covers the contract")
struct ChaosCoverageTests {
    @Test("a long seeded stream produces every contract result code")
    func coversEveryContractCode() {
        var workload = ChaosWorkload(seed: 2_026)
        var ledger = DoubleEntryLedger()
        var seen: Set<LedgerResultCode> = []
        for result in ledger.apply(workload.operations(5_000)) {
            switch result {
            case .single(let code): seen.insert(code)
            case .chain(let codes): seen.formUnion(codes)
            }
        }
        let contract = LedgerResultCode.allCases.filter { $0.rawValue <= LedgerResultCode.linkedEventFailed.rawValue }
        let missing = contract.filter { !seen.contains($0) }.map(\.name)
        #expect(missing.isEmpty, "never produced: \(missing)")
        #expect(ledger.checkInvariants().isEmpty)
    }
}
