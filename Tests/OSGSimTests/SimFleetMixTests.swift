import Foundation
import Testing
import OSGDomain
@testable import OSGSim

@Suite("Simulator fleet mix")
struct SimFleetMixTests {
    @Test("PAI 2020 and GPU 2023 machine tables become shapes with catalog models; CPU machines are skipped")
    func parsesBothFormats() throws {
        let pai = """
            machine,gpu_type,cap_cpu,cap_mem,cap_gpu
            a,CPU,96,512,0
            b,V100M32,96,384,8
            c,V100M32,96,384,8
            d,T4,96,512,2
            """
        let shapes = try MachineTable.parse(pai, file: "pai.csv")
        #expect(shapes == [
            NodeShape(traceModel: "T4", model: GPUModel.named("T4")!, gpus: 2, cpuCores: 96, memoryGiB: 512, nodes: 1),
            NodeShape(traceModel: "V100M32", model: GPUModel.named("V100")!, gpus: 8, cpuCores: 96, memoryGiB: 384, nodes: 2),
        ])
        let openb = """
            sn,cpu_milli,memory_mib,gpu,model
            openb-node-0000,64000,262144,2,P100
            openb-node-0001,128000,786432,8,G3
            """
        let nodes = try MachineTable.parse(openb, file: "openb.csv")
        #expect(nodes.map(\.model.name) == ["A100", "P100"])
        #expect(nodes[1].cpuCores == 64 && nodes[1].memoryGiB == 256)
        // The derived format reads back what it wrote.
        #expect(try MachineTable.parse(MachineTable.derivedCSV(shapes), file: "d.csv") == shapes)
    }

    @Test("a bad machine table is an error naming file and line")
    func badTables() {
        #expect(throws: SimDataError(.badRow, file: "m.csv", line: 2,
                                     "GPU model `X9` has no mapping to the catalog (known: \(MachineTable.modelMapping.keys.sorted().joined(separator: ", ")))")) {
            try MachineTable.parse("machine,gpu_type,cap_cpu,cap_mem,cap_gpu\na,X9,96,512,8\n", file: "m.csv")
        }
        #expect(throws: SimDataError(.badRow, file: "m.csv", line: 3, "`cap_cpu` is `many`; expected a whole number ≥ 0")) {
            try MachineTable.parse("machine,gpu_type,cap_cpu,cap_mem,cap_gpu\na,T4,96,512,2\nb,T4,many,512,2\n", file: "m.csv")
        }
        #expect(throws: SimDataError.self) { try MachineTable.parse("a,b\n1,2\n", file: "m.csv") }
        #expect(throws: SimDataError(.empty, file: "m.csv", "holds no GPU node")) {
            try MachineTable.parse("machine,gpu_type,cap_cpu,cap_mem,cap_gpu\na,CPU,96,512,0\n", file: "m.csv")
        }
    }

    @Test("a model missing from the catalog is priced like the nearest model by rank")
    func nearestPrice() {
        let v100 = GPUModel.named("V100")!
        let h100 = GPUModel.named("H100")!
        let offers = [GPUOffer(model: v100, gpus: 1, pricePerGPUHourMicroCredits: 300_000),
                      GPUOffer(model: h100, gpus: 1, pricePerGPUHourMicroCredits: 2_000_000)]
        #expect(MachineTable.pricePerGPUHour(GPUModel.named("T4")!, offers: offers) == 300_000)
        #expect(MachineTable.pricePerGPUHour(h100, offers: offers) == 2_000_000)
        #expect(MachineTable.pricePerGPUHour(GPUModel.named("B200")!, offers: offers) == 2_000_000)
    }

    @Test("a machine mix fleet follows the table's proportions, shapes and catalog prices")
    func fleetFollowsMix() throws {
        let shapes = try #require(try SimInputFiles.bundledFleetMix("pai2020"))
        let offers = try SimInputFiles.bundledMarketOffers()
        let fleet = Fleet.build(operators: 20_000, offers: offers, zones: ["A", "B"], horizonSeconds: 86_400, seed: 7, mix: .machines(shapes))
        // Trace models mapped to the same catalog model (V100, V100M32, MISC) share a shape.
        struct Key: Hashable { var model: String; var gpus: Int; var cpu: Int; var memory: Int }
        var expected: [Key: Int] = [:]
        for shape in shapes { expected[Key(model: shape.model.name, gpus: shape.gpus, cpu: shape.cpuCores, memory: shape.memoryGiB), default: 0] += shape.nodes }
        var seen: [Key: Int] = [:]
        for node in fleet.nodes { seen[Key(model: node.model.name, gpus: node.gpus, cpu: node.cpuCores, memory: node.memoryGiB), default: 0] += 1 }
        #expect(Set(seen.keys) == Set(expected.keys))
        let total = Double(shapes.reduce(0) { $0 + $1.nodes })
        for (key, nodes) in expected {
            let share = Double(seen[key] ?? 0) / Double(fleet.nodes.count)
            #expect(abs(share - Double(nodes) / total) < 0.01, "\(key)")
        }
        let price = MachineTable.pricePerGPUHour(GPUModel.named("P100")!, offers: offers)
        for node in fleet.nodes where node.model.name == "P100" {
            #expect(node.askMicroCredits >= price * 85 / 100 && node.askMicroCredits <= price * 115 / 100)
        }
        #expect(fleet == Fleet.build(operators: 20_000, offers: offers, zones: ["A", "B"], horizonSeconds: 86_400, seed: 7, mix: .machines(shapes)))
    }

    static let machineTables = [
        ("pai2020", "/work/shared/data/traces/alibaba-pai-2020/pai_machine_spec.csv"),
        ("openb2023", "/work/shared/data/traces/alibaba-gpu-2023/openb_node_list_gpu_node.csv"),
    ]

    @Test("the bundled mixes equal the counts of the original machine tables (when ../shared/data is present)",
          .enabled(if: SimFleetMixTests.machineTables.allSatisfy { FileManager.default.fileExists(atPath: $0.1) }, "needs the machine tables in ../shared/data/traces"))
    func bundledMatchesTraces() throws {
        for (name, path) in Self.machineTables {
            #expect(try SimInputFiles.machineTable(path) == SimInputFiles.bundledFleetMix(name))
        }
    }

    @Test("a run on a machine mix is deterministic and uses the nodes' cores and memory")
    func runOnMix() throws {
        let shapes = try #require(try SimInputFiles.bundledFleetMix("openb2023"))
        var (scenario, configuration) = try SimTestSupport.smallScenario(seed: 3)
        configuration.fleetMix = .machines(shapes)
        let pods = try PodListTrace.parse(SimTestSupport.text("pods-small.csv"), file: "pods-small.csv").pods
        let offers = try PriceCatalog.parse(SimTestSupport.text("prices-vast-small.csv"), file: "p.csv")
        scenario = try Simulator.scenario(pods: pods, atlas: scenario.atlas, marketOffers: offers, listOffers: offers, configuration: configuration)
        #expect(Set(scenario.fleet.nodes.map(\.cpuCores)).count > 1)
        let first = SimReportText.json(Simulator.run(scenario, configuration: configuration))
        let second = SimReportText.json(Simulator.run(scenario, configuration: configuration))
        #expect(first == second)
        #expect(SimTestSupport.digest(first) == "9c3e152bb78eb61a", "the machine-mix report changed: update the golden digest only for a deliberate change")
    }
}
