@testable import OSGMarket
import OSGDomain
import Testing

/// The bound a slot's diagnosis records put on how far an order gets never understates what a
/// scan of the records finds, and follows the records' free GPUs as they change.
@Suite("Diagnosis record bounds")
struct DiagnosisBoundTests {
    static func requirement(jurisdictions: [Int32]?, carbonCap: Int64, gpus: Int = 1) -> OrderRequirement {
        OrderRequirement(models: [0], regions: [0], regionsRestricted: false, gpusPerNode: gpus, nodeCount: 1, minVRAMGiB: 0,
                         cpuCores: 1, memoryGiB: 1, diskGiB: 0, jurisdictionsRestricted: jurisdictions != nil,
                         jurisdictions: jurisdictions ?? [], excludedOperators: [], carbonCapMicro: carbonCap,
                         maxAskMicroCredits: .max, jobClass: .standard, maxDurationSeconds: 3_600)
    }

    static func record(jurisdiction: Int32, freeGPUs: Int32, carbon: Int64) -> DiagnosisRecord {
        DiagnosisRecord(jurisdiction: jurisdiction, freeGPUs: freeGPUs, vramGiB: 80, cpuCores: 8, memoryGiB: 64, diskGiB: -1,
                        operatorCode: 0, carbonMicro: carbon, askMicroCredits: 1_000_000)
    }

    @Test("no scan of the records passes more filters than the bound", arguments: 0..<16)
    func boundHolds(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &+ 101)
        let carbons: [Int64] = [-1, 50_000_000, 200_000_000, 600_000_000]
        var records = DiagnosisRecords((0..<40).map { _ in
            Self.record(jurisdiction: Int32(random.next(below: 4)), freeGPUs: Int32(random.next(below: 3)),
                        carbon: carbons[Int(random.next(below: 4))])
        })
        for step in 0..<200 {
            let offset = Int(random.next(below: 40))
            records.update(at: offset, freeGPUs: Int(random.next(below: 3)), cpuCores: 8, memoryGiB: 64, diskGiB: -1)
            #expect(records == DiagnosisRecords(records.records), "seed \(seed), step \(step): kept counts equal fresh ones")
            let jurisdictions: [Int32]? = random.next(below: 2) == 0 ? nil : [Int32(random.next(below: 5))]
            let cap: Int64 = random.next(below: 2) == 0 ? -1 : Int64(random.next(below: 700)) * 1_000_000
            let need = Self.requirement(jurisdictions: jurisdictions, carbonCap: cap)
            let bound = records.bound(need, skippingEmpty: true)
            let scanned = records.furthestFilter(need, skippingEmpty: true, atLeast: 2, ceiling: UnplacedReason.cascade.count)
            #expect(scanned <= max(bound, 2), "seed \(seed), step \(step): a scan passes \(scanned) filters, above the bound \(bound)")
            #expect(records.bound(need, skippingEmpty: false) == UnplacedReason.cascade.count,
                    "seed \(seed): with every record read the counts cannot tell")
        }
    }

    @Test("a jurisdiction or a cap with no free record bounds the order at its filter")
    func namedFilters() {
        let records = DiagnosisRecords([
            Self.record(jurisdiction: 1, freeGPUs: 0, carbon: 10_000_000),
            Self.record(jurisdiction: 2, freeGPUs: 4, carbon: 500_000_000),
        ])
        #expect(records.bound(Self.requirement(jurisdictions: [1], carbonCap: -1), skippingEmpty: true) == 2)
        #expect(records.bound(Self.requirement(jurisdictions: [2], carbonCap: -1), skippingEmpty: true) == UnplacedReason.cascade.count)
        #expect(records.bound(Self.requirement(jurisdictions: nil, carbonCap: 100_000_000), skippingEmpty: true) == 9)
        #expect(records.bound(Self.requirement(jurisdictions: nil, carbonCap: 500_000_000), skippingEmpty: true) == UnplacedReason.cascade.count)
    }
}
