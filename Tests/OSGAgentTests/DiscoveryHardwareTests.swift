import Foundation
import OSGDomain
import Testing

@testable import OSGAgent

private func host(cpus: Int = 32, memoryBytes: UInt64 = 256 << 30, freeDiskBytes: UInt64 = 900 << 30) -> HostResources {
    HostResources(
        allowedCPUs: cpus, cpuLimitMillicores: nil, memoryTotalBytes: memoryBytes, memoryLimitBytes: nil,
        disk: DiskSpace(totalBytes: max(1 << 40, freeDiskBytes), freeBytes: freeDiskBytes)
    )
}

private func gpu(_ index: Int, _ name: String, memoryMiB: Int) -> DiscoveredGPU {
    DiscoveredGPU(
        index: index, uuid: "GPU-\(index)", name: name, model: NvidiaGPUName.catalogModel(forMarketingName: name),
        memoryMiB: memoryMiB, powerLimitWatts: nil, driverVersion: "550.54.15", pciBusID: "00000000:0\(index):00.0"
    )
}

@Suite("simulated GPUs")
struct DiscoverySimulationTests {
    @Test(
        "--simulate text gives a count and a catalogued model with the catalog's memory",
        arguments: [
            ("4xH100", 4, "H100", 94), ("1xA100", 1, "A100", 80), ("8xRTX4090", 8, "RTX4090", 24), ("64xL4", 64, "L4", 24),
            (" 2X rtx-4090 ", 2, "RTX4090", 24), ("3×T4", 3, "T4", 16),
        ]
    )
    func valid(_ text: String, _ count: Int, _ model: String, _ vramGiB: Int) throws {
        let simulation = try GPUSimulation(text: text)
        #expect(simulation.count == count)
        #expect(simulation.model.name == model)
        #expect(simulation.vramGiB == vramGiB)
        #expect(simulation.gpuIndices == Array(0..<count))
        #expect(simulation.description == "\(count)x\(model)")
    }

    @Test(
        "bad --simulate text gives its specific error code",
        arguments: [
            ("0xH100", DiscoveryError.Code.simulateCountOutOfRange), ("65xH100", .simulateCountOutOfRange),
            ("99999999999999999999999xH100", .simulateCountOutOfRange), ("4xFOO", .simulateUnknownModel),
            ("H100", .simulateMalformed), ("", .simulateMalformed), ("   ", .simulateMalformed), ("4x", .simulateMalformed),
            ("xH100", .simulateMalformed), ("-1xH100", .simulateMalformed), ("4.5xH100", .simulateMalformed),
        ]
    )
    func invalid(_ text: String, _ expected: DiscoveryError.Code) {
        #expect(code { try GPUSimulation(text: text) } == expected)
    }

    @Test("an unknown model's error lists the catalog")
    func unknownModelMessage() {
        do {
            _ = try GPUSimulation(text: "4xFOO")
            Issue.record("expected an error")
        } catch let error as DiscoveryError {
            #expect(error.message.contains("'FOO'"))
            #expect(error.message.contains("H100"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite("node hardware")
struct DiscoveryHardwareTests {
    @Test("real GPUs and the host give the figures a node advertises, within the node limits")
    func fromOffer() throws {
        let inventory = GPUInventory(gpus: [gpu(0, "NVIDIA A100-SXM4-80GB", memoryMiB: 81920), gpu(1, "NVIDIA A100-SXM4-40GB", memoryMiB: 40960)])
        let hardware = try NodeHardware(offer: try inventory.offer(configuredModel: nil), host: host())
        #expect(hardware.gpuModel.name == "A100")
        #expect(hardware.gpuCount == 2)
        #expect(hardware.vramGiB == 40)  // the smallest: a job may land on either
        #expect(!hardware.simulated)
        #expect(hardware.gpuIndices == [0, 1])
        #expect(hardware.cpuCores == 32)
        #expect(hardware.memoryGiB == 256)
        #expect(hardware.diskGiB == 900)
    }

    @Test("a simulation gives virtual GPUs with the host's real CPUs, memory and disk")
    func fromSimulation() throws {
        let hardware = try NodeHardware(simulation: try GPUSimulation(text: "4xH100"), host: host(cpus: 2, memoryBytes: 23 << 30))
        #expect(hardware.simulated)
        #expect(hardware.gpuModel.name == "H100")
        #expect(hardware.gpuCount == 4)
        #expect(hardware.vramGiB == 94)
        #expect(hardware.gpuIndices == [0, 1, 2, 3])
        #expect(hardware.cpuCores == 2)
        #expect(hardware.memoryGiB == 23)
    }

    @Test("figures beyond the published node limits are clamped down to them")
    func clamped() throws {
        let huge = host(cpus: 1_000_000, memoryBytes: UInt64(ComputeNode.Limits.maxMemoryGiB + 5) << 30, freeDiskBytes: .max)
        let hardware = try NodeHardware(simulation: GPUSimulation(count: 1, model: try #require(GPUModel.named("L4"))), host: huge)
        #expect(hardware.cpuCores == ComputeNode.Limits.maxCPUCores)
        #expect(hardware.memoryGiB == ComputeNode.Limits.maxMemoryGiB)
        #expect(hardware.diskGiB == ComputeNode.Limits.maxDiskGiB)
    }

    @Test("a host with less than 1 GiB of memory for the agent is host_too_small")
    func tooSmall() {
        #expect(code { try NodeHardware(simulation: try GPUSimulation(text: "1xT4"), host: host(memoryBytes: 512 << 20)) } == .hostTooSmall)
    }

    @Test("more GPUs of one model than a node may advertise is gpu_count_out_of_range")
    func tooManyGPUs() {
        let gpus = (0..<(ComputeNode.Limits.maxGPUs + 1)).map { gpu($0, "NVIDIA L4", memoryMiB: 23034) }
        #expect(code { try GPUInventory(gpus: gpus).offer(configuredModel: nil) } == .gpuCountOutOfRange)
    }

    @Test("an empty inventory is no_gpu")
    func empty() {
        #expect(code { try GPUInventory(gpus: []).offer(configuredModel: nil) } == .noGPU)
    }

    @Test("a host with no NVIDIA driver and no simulation gets an error suggesting --simulate")
    func noGPUNoSimulation() async {
        let discovery = HardwareDiscovery(nvidiaSMI: NvidiaSMIRunner(executablePath: "/nonexistent/nvidia-smi"))
        do {
            _ = try await discovery.discover(simulate: nil, configuredModel: nil, workDirectory: NSTemporaryDirectory())
            Issue.record("expected an error")
        } catch let error as DiscoveryError {
            #expect(error.code == .nvidiaSMINotFound)
            #expect(error.message.contains("--simulate"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("with --simulate, discovery never runs nvidia-smi and measures this host")
    func simulatedDiscovery() async throws {
        let discovery = HardwareDiscovery(nvidiaSMI: NvidiaSMIRunner(executablePath: "/nonexistent/nvidia-smi"))
        let report = try await discovery.discover(simulate: "2xA100", configuredModel: nil, workDirectory: NSTemporaryDirectory())
        #expect(report.hardware.simulated)
        #expect(report.hardware.gpuCount == 2)
        #expect(report.hardware.cpuCores == report.host.cpuCores)
        #expect(report.gpus.isEmpty)
        #expect(report.warnings.isEmpty)
    }

    @Test("node hardware survives a JSON round trip")
    func codable() throws {
        let hardware = try NodeHardware(simulation: try GPUSimulation(text: "8xRTX4090"), host: host())
        let decoded = try JSONDecoder().decode(NodeHardware.self, from: try JSONEncoder().encode(hardware))
        #expect(decoded == hardware)
    }
}
