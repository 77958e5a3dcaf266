@testable import OSGCore
import OSGDomain
import Testing

/// ``FleetAdmission`` judges a spec once per GPU model, zone and operator, then per node on
/// codes: it must say exactly what ``CoordinatorState/nodeAdmits(_:node:ceiling:at:)`` says of
/// each online node, and no to every offline one.
@Suite("Fleet admission by codes agrees with the per-node rule")
struct FleetAdmissionTests {
    static let zones = ["DE", "FR", "PL"]
    static let regions = ["eu-central", "eu-west"]
    static let jurisdictions = ["DE", "FR"]
    static let operators = ["op-a", "op-b", "op-c"]

    /// A state whose only content is an hour of carbon intensity for two of the three zones.
    static func state(at time: Timestamp, random: inout SplitMix64) -> CoordinatorState {
        var state = CoordinatorState(genesis: Genesis(governanceID: "gov"))
        for (sequence, zone) in zones.dropLast().enumerated() {
            let grams = Int64.random(in: 50...500, using: &random)
            _ = state.apply(LogEntry(sequence: UInt64(sequence), time: time, actor: "gov", command: .recordCarbonSeries(
                zone: zone, firstHour: time.secondsSinceEpoch / 3_600, milligramsPerKWh: [grams * 1_000])))
        }
        return state
    }

    static func node(_ index: Int, random: inout SplitMix64) -> ComputeNode {
        ComputeNode(
            id: "node-\(index)", operatorID: operators.randomElement(using: &random)!,
            gpuModel: GPUModel.catalog.prefix(6).randomElement(using: &random)!, gpuCount: Int.random(in: 1...8, using: &random),
            vramGiB: [16, 24, 40, 80].randomElement(using: &random)!, cpuCores: Int.random(in: 4...64, using: &random),
            memoryGiB: Int.random(in: 16...512, using: &random), diskGiB: Int.random(in: 0...2_000, using: &random),
            region: regions.randomElement(using: &random)!, jurisdiction: jurisdictions.randomElement(using: &random)!,
            gridZone: zones.randomElement(using: &random)!, askPerGPUHour: MicroCredits(Int64.random(in: 1...5, using: &random) * 500_000))
    }

    static func spec(random: inout SplitMix64) -> JobSpec {
        let models = GPUModel.catalog.prefix(6)
        let selector: GPUSelector = switch Int.random(in: 0...2, using: &random) {
        case 0: .any
        case 1: .exactly(models.randomElement(using: &random)!)
        default: .atLeast(models.randomElement(using: &random)!)
        }
        func some(_ values: [String]) -> [String] { values.filter { _ in Bool.random(using: &random) } }
        return JobSpec(
            name: "job",
            resources: ResourceRequest(
                gpu: GPURequest(selector: selector, countPerNode: Int.random(in: 0...6, using: &random),
                                minVRAMGiB: Bool.random(using: &random) ? [24, 40, 80].randomElement(using: &random)! : nil),
                cpuCores: Int.random(in: 1...48, using: &random), memoryGiB: Int.random(in: 1...400, using: &random),
                diskGiB: Int.random(in: 0...1_500, using: &random)),
            durationSeconds: 3_600, maxPricePerGPUHour: MicroCredits(2_000_000),
            placement: Placement(regions: Bool.random(using: &random) ? some(regions) : [],
                                 jurisdictions: Bool.random(using: &random) ? some(jurisdictions) : [],
                                 excludedOperators: some(operators + ["not-an-operator"])),
            carbon: CarbonPolicy(maxGCO2PerKWh: Bool.random(using: &random) ? Int.random(in: 50...500, using: &random) : nil))
    }

    @Test("admits exactly the online nodes that nodeAdmits admits", arguments: 0..<100)
    func agreesWithNodeAdmits(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &+ 77_000)
        let time = Timestamp(rfc3339: "2026-12-01T10:30:00Z")!
        let state = Self.state(at: time, random: &random)
        #expect(state.carbonMicro(zone: "DE", at: time) != nil && state.carbonMicro(zone: "PL", at: time) == nil,
                "two zones have an intensity now, the third none")
        let nodes = (0..<40).map { Self.node($0, random: &random) }
        let online = nodes.map { _ in Int.random(in: 0..<5, using: &random) > 0 }
        let fleet = FleetView(nodes: nodes, online: online)
        var admitted = 0
        for _ in 0..<10 {
            let spec = Self.spec(random: &random)
            let ceiling = Int64.random(in: 1...5, using: &random) * 500_000
            let admission = FleetAdmission(spec, ceiling: ceiling, fleet: fleet, carbonMicro: { state.carbonMicro(zone: $0, at: time) })
            for index in nodes.indices {
                let expected = online[index] && state.nodeAdmits(spec, node: nodes[index], ceiling: ceiling, at: time)
                #expect(admission.admits(index) == expected, "seed \(seed): node \(nodes[index]), spec \(spec), ceiling \(ceiling)")
                if expected { admitted += 1 }
            }
        }
        #expect(admitted < 400, "seed \(seed): some node refuses some spec")
    }
}
