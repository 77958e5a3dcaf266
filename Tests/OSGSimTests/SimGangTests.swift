import OSGCarbon
import OSGDomain
import Testing
@testable import OSGSim

@Suite("Simulator gangs and node resources")
struct SimGangTests {
    @Test("the gang rule: more than 8 GPUs run on ceil(gpus / 8) nodes, GPUs, cores and memory split evenly")
    func gangRule() {
        let sixteen = SimJob.shaped(submitSeconds: 0, gpus: 16, durationSeconds: 10, user: 0, flexible: false, cpus: 30, memoryGiB: 100)
        #expect(sixteen.nodes == 2 && sixteen.gpusPerNode == 8 && sixteen.gpus == 16)
        #expect(sixteen.cpusPerNode == 15 && sixteen.memoryGiBPerNode == 50)
        let twenty = SimJob.shaped(submitSeconds: 0, gpus: 20, durationSeconds: 10, user: 0, flexible: false, cpus: 31, memoryGiB: 0)
        #expect(twenty.nodes == 3 && twenty.gpusPerNode == 7 && twenty.gpus == 21 && twenty.cpusPerNode == 11)
        #expect(twenty.memoryGiBPerNode == 1)
        let eight = SimJob.shaped(submitSeconds: 0, gpus: 8, durationSeconds: 10, user: 0, flexible: false, cpus: 4, memoryGiB: 8)
        #expect(eight.nodes == 1 && eight.gpusPerNode == 8 && eight.cpus == 4)
    }

    static func scenario(jobs: [SimJob], nodes: [(zone: Int, gpus: Int, cores: Int, memory: Int)]) throws -> SimScenario {
        let atlas = try CarbonAtlas(series: [SimTestSupport.series("AA", base: 400_000), SimTestSupport.series("BB", base: 300_000)])
        let a100 = GPUModel.named("A100")!
        let fleet = Fleet(nodes: nodes.map {
            SimNode(model: a100, gpus: $0.gpus, askMicroCredits: 1_000_000, zone: $0.zone, joinSeconds: 0, leaveSeconds: .max,
                    cpuCores: $0.cores, memoryGiB: $0.memory)
        }, zones: ["AA", "BB"], failures: [])
        let users = Set(jobs.map(\.user)).count
        return try SimScenario(workload: Workload(jobs: jobs, userClasses: Array(repeating: .established, count: users)), fleet: fleet,
                               atlas: atlas, horizonSeconds: 2 * 86_400, outage: nil, concentratedPricePerGPUHour: 2_000_000)
    }

    @Test("a 16-GPU gang runs on two 8-GPU nodes of one region, in every regime, and holds them both")
    func gangPlacedInOneRegion() throws {
        let gang = SimJob.shaped(submitSeconds: 0, gpus: 16, durationSeconds: 3600, user: 0, flexible: false, cpus: 16, memoryGiB: 64)
        let single = SimJob(submitSeconds: 60, gpus: 1, durationSeconds: 600, user: 0, flexible: false, cpus: 1, memoryGiB: 1)
        // Three nodes: the open market keeps 15 % of the fleet for its set-aside pools, so a
        // 16-GPU standard order needs more than two nodes' worth of GPUs in the fleet.
        let together = try Self.scenario(jobs: [gang, single], nodes: [(0, 8, 64, 512), (0, 8, 64, 512), (0, 8, 64, 512)])
        for name in Simulator.regimeNames {
            let metrics = Simulator.runRegime(name, on: together)
            #expect(metrics.gangJobs == 1 && metrics.gangJobsStarted == 1, "\(name)")
            #expect(metrics.classes.allSatisfy { $0.accepted == $0.submitted }, "\(name)")
            #expect(metrics.figures(.established).waitP99Seconds < 120, "\(name)")
            #expect(abs(metrics.gpuHoursServed - (16 + 1.0 / 6)) < 1e-9, "\(name)")
        }
        // With two nodes only, the gang holds all 16 GPUs in the concentrated region for the hour.
        let pair = try Self.scenario(jobs: [gang, single], nodes: [(0, 8, 64, 512), (0, 8, 64, 512)])
        #expect(Simulator.runRegime("concentrated", on: pair).figures(.established).waitP99Seconds >= 3600 - 60)
        // Split over two regions, no region has two nodes: the gang never starts.
        let split = try Self.scenario(jobs: [gang], nodes: [(0, 8, 64, 512), (1, 8, 64, 512)])
        for name in Simulator.regimeNames {
            let metrics = Simulator.runRegime(name, on: split)
            #expect(metrics.gangJobs == 1 && metrics.gangJobsStarted == 0, "\(name)")
        }
    }

    @Test("a node's cores and memory limit what runs on it together, in every regime")
    func coresAndMemoryRespected() throws {
        let jobs = [SimJob(submitSeconds: 0, gpus: 1, durationSeconds: 3600, user: 0, flexible: false, cpus: 12, memoryGiB: 10),
                    SimJob(submitSeconds: 0, gpus: 1, durationSeconds: 3600, user: 0, flexible: false, cpus: 12, memoryGiB: 10)]
        let cpuBound = try Self.scenario(jobs: jobs, nodes: [(0, 8, 16, 512)])
        let memoryBound = try Self.scenario(jobs: jobs, nodes: [(0, 8, 64, 16)])
        let roomy = try Self.scenario(jobs: jobs, nodes: [(0, 8, 24, 20)])
        for name in Simulator.regimeNames {
            for bound in [cpuBound, memoryBound] {
                let metrics = Simulator.runRegime(name, on: bound)
                #expect(metrics.figures(.established).accepted == 2, "\(name)")
                #expect(metrics.figures(.established).waitP99Seconds >= 3600, "\(name): the second job waits for the first")
            }
            let metrics = Simulator.runRegime(name, on: roomy)
            #expect(metrics.figures(.established).waitP99Seconds < 120, "\(name): both fit at once")
        }
        // The engine counts cores and memory within a clearing: nothing it places needs refusing.
        for bound in [cpuBound, memoryBound] {
            #expect(Simulator.runRegime("open-no-carbon", on: bound).resourceRefusals == 0)
        }
        // A job larger than any node never runs.
        let huge = try Self.scenario(jobs: [SimJob(submitSeconds: 0, gpus: 1, durationSeconds: 60, user: 0, flexible: false, cpus: 100)],
                                     nodes: [(0, 8, 64, 512)])
        for name in Simulator.regimeNames { #expect(Simulator.runRegime(name, on: huge).figures(.established).accepted == 0, "\(name)") }
    }
}
