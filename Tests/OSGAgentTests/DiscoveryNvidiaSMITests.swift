import Foundation
import OSGDomain
import Testing

@testable import OSGAgent

/// Reads a recorded `nvidia-smi` run: `Fixtures/nvidia-smi/<name>/{stdout,stderr,exit_status}`.
private func recordedRun(_ name: String) throws -> NvidiaSMIOutput {
    let directory = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/nvidia-smi/\(name)")
    let stdout = try String(contentsOf: directory.appendingPathComponent("stdout"), encoding: .utf8)
    let stderr = (try? String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
    let status = try String(contentsOf: directory.appendingPathComponent("exit_status"), encoding: .utf8)
    return NvidiaSMIOutput(stdout: stdout, stderr: stderr, exitStatus: try #require(Int32(status.trimmingASCIIWhitespace())))
}

@Suite("nvidia-smi output")
struct DiscoveryNvidiaSMITests {
    struct Healthy: Sendable, CustomTestStringConvertible {
        var fixture: String
        var model: String
        var count: Int
        var vramGiB: Int
        var powerLimitWatts: Int?
        var testDescription: String { fixture }
    }

    static let healthy: [Healthy] = [
        Healthy(fixture: "h100-sxm-8x", model: "H100", count: 8, vramGiB: 80, powerLimitWatts: 700),
        Healthy(fixture: "h100-pcie-2x", model: "H100", count: 2, vramGiB: 80, powerLimitWatts: 350),
        Healthy(fixture: "a100-sxm4-80gb-4x", model: "A100", count: 4, vramGiB: 80, powerLimitWatts: 400),
        Healthy(fixture: "a100-pcie-40gb-1x", model: "A100", count: 1, vramGiB: 40, powerLimitWatts: 250),
        Healthy(fixture: "rtx4090-2x", model: "RTX4090", count: 2, vramGiB: 24, powerLimitWatts: 450),
        Healthy(fixture: "l4-1x", model: "L4", count: 1, vramGiB: 22, powerLimitWatts: 72),
        Healthy(fixture: "l40s-4x", model: "L40S", count: 4, vramGiB: 45, powerLimitWatts: 350),
        Healthy(fixture: "v100-sxm2-32gb-4x", model: "V100", count: 4, vramGiB: 32, powerLimitWatts: 300),
        Healthy(fixture: "t4-1x", model: "T4", count: 1, vramGiB: 15, powerLimitWatts: 70),
        Healthy(fixture: "rtx3090-power-na", model: "RTX3090", count: 1, vramGiB: 24, powerLimitWatts: nil),
    ]

    @Test("a healthy host's output gives every GPU, its catalogued model, memory and power", arguments: healthy)
    func healthyHost(_ expected: Healthy) throws {
        let inventory = try recordedRun(expected.fixture).inventory()
        #expect(inventory.warnings.isEmpty)
        #expect(inventory.gpus.count == expected.count)
        #expect(inventory.gpus.map(\.index) == Array(0..<expected.count))
        #expect(inventory.gpus.allSatisfy { $0.model?.name == expected.model })
        #expect(inventory.gpus.allSatisfy { $0.powerLimitWatts == expected.powerLimitWatts })
        #expect(inventory.gpus.allSatisfy { $0.uuid.hasPrefix("GPU-") && !$0.driverVersion.isEmpty && $0.pciBusID.hasPrefix("0000") })
        let offer = try inventory.offer(configuredModel: nil)
        #expect(offer.model.name == expected.model)
        #expect(offer.vramGiB == expected.vramGiB)
        #expect(offer.gpuIndices == Array(0..<expected.count))
        #expect(offer.warnings.isEmpty)
    }

    @Test(
        "a broken output gives its specific error code",
        arguments: [
            ("driver-missing", DiscoveryError.Code.driverUnavailable),
            ("driver-version-mismatch", .driverVersionMismatch),
            ("nvml-unknown-error", .nvidiaSMIFailed),
            ("no-devices", .noGPU),
            ("gpu-lost-all", .noUsableGPU),
            ("empty", .emptyOutput),
            ("with-header", .malformedOutput),
            ("garbage", .malformedOutput),
            ("truncated-line", .malformedOutput),
        ]
    )
    func brokenOutput(_ fixture: String, _ expected: DiscoveryError.Code) throws {
        let run = try recordedRun(fixture)
        #expect(code { try run.inventory() } == expected)
    }

    @Test("the driver-missing error says what happened and how to fix it")
    func driverMissingMessage() throws {
        do {
            _ = try recordedRun("driver-missing").inventory()
            Issue.record("expected an error")
        } catch let error as DiscoveryError {
            #expect(error.message.contains("exit status 9"))
            #expect(error.message.contains("couldn't communicate with the NVIDIA driver"))
            #expect(error.message.contains("--simulate"))
            #expect(error.description.hasPrefix("driver_unavailable: "))
        }
    }

    @Test(
        "a lost or sick GPU is left out with a warning and the others are still offered",
        arguments: [
            ("gpu-lost-one-of-4", [0, 2, 3], DiscoveryWarning.Code.gpuLost),
            ("gpu-is-lost-stderr", [0, 1, 2], .gpuLost),
            ("gpu-requires-reset", [0, 1, 3], .gpuRequiresReset),
            ("field-unknown-error", [0, 2, 3], .gpuUnhealthy),
        ]
    )
    func partialHost(_ fixture: String, _ offered: [Int], _ warning: DiscoveryWarning.Code) throws {
        let inventory = try recordedRun(fixture).inventory()
        #expect(inventory.gpus.map(\.index) == offered)
        #expect(inventory.warnings.map(\.code) == [warning])
        let offer = try inventory.offer(configuredModel: nil)
        #expect(offer.model.name == "A100")
        #expect(offer.gpuIndices == offered)
    }

    @Test("a lost GPU's warning names the GPU the driver could not reach")
    func lostWarningNamesTheGPU() throws {
        let inventory = try recordedRun("gpu-lost-one-of-4").inventory()
        #expect(inventory.warnings.first?.message.contains("GPU0000:0F:00.0") == true)
    }

    @Test("a host of mixed models is grouped by model, and the config chooses which to offer")
    func mixedModels() throws {
        let inventory = try recordedRun("mixed-a100-t4").inventory()
        let groups = inventory.groupedByModel()
        #expect(groups.map { $0.model?.name } == ["A100", "T4"])
        #expect(groups.map { $0.gpus.map(\.index) } == [[0, 1], [2]])
        #expect(code { try inventory.offer(configuredModel: nil) } == .mixedGPUModels)
        let a100 = try inventory.offer(configuredModel: GPUModel.named("A100"))
        #expect(a100.gpuIndices == [0, 1])
        #expect(a100.vramGiB == 40)
        #expect(a100.warnings.map(\.code) == [.gpuNotOffered])
        let t4 = try inventory.offer(configuredModel: GPUModel.named("T4"))
        #expect(t4.gpuIndices == [2])
        #expect(code { try inventory.offer(configuredModel: GPUModel.named("H100")) } == .configuredModelAbsent)
    }

    @Test("an uncatalogued GPU is an error naming it, unless the config names its model")
    func uncatalogued() throws {
        let inventory = try recordedRun("uncatalogued-a800-2x").inventory()
        #expect(inventory.gpus.allSatisfy { $0.model == nil })
        do {
            _ = try inventory.offer(configuredModel: nil)
            Issue.record("expected an error")
        } catch let error as DiscoveryError {
            #expect(error.code == .unknownGPUModel)
            #expect(error.message.contains("NVIDIA A800-SXM4-80GB"))
            #expect(error.message.contains("agent config"))
        }
        let offer = try inventory.offer(configuredModel: GPUModel.named("A100"))
        #expect(offer.model.name == "A100")
        #expect(offer.gpuIndices == [0, 1])
    }

    @Test("the same GPU listed twice is malformed output")
    func duplicateIndex() {
        let line = "0, GPU-1, NVIDIA L4, 23034, 72.00, 535.183.01, 00000000:00:03.0\n"
        #expect(code { try NvidiaSMIOutput(stdout: line + line, exitStatus: 0).inventory() } == .malformedOutput)
    }

    @Test("a failing exit status with healthy GPUs listed is a warning, not an error")
    func failingStatusWithGPUs() throws {
        let line = "0, GPU-1, NVIDIA L4, 23034, 72.00, 535.183.01, 00000000:00:03.0\n"
        let inventory = try NvidiaSMIOutput(stdout: line, stderr: "Some NVML call failed\n", exitStatus: 3).inventory()
        #expect(inventory.gpus.count == 1)
        #expect(inventory.warnings.map(\.code) == [.nvidiaSMIExitStatus])
    }

    @Test("no output of any shape crashes the parser: it gives GPUs or a discovery error")
    func seededGarbage() {
        let pieces = [
            "0", "7", "-1", "99999999999999999999", ", ", ",", " ", "\n", "\r\n", "GPU-", "NVIDIA H100 80GB HBM3", "[N/A]",
            "[GPU requires reset]", "[Unknown Error]", "81559", "700.00", "nan", "inf", "550.54.15", "00000000:18:00.0",
            "Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error", "é", "\u{0}", "No devices",
        ]
        var generator = SplitMix64(seed: 0x6469_7363)
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int(generator.next() % 40) { text += pieces[Int(generator.next() % UInt64(pieces.count))] }
            let status = [0, 0, 0, 3, 9, 15, 255][Int(generator.next() % 7)]
            let output = NvidiaSMIOutput(stdout: text, exitStatus: Int32(status))
            do {
                let inventory = try output.inventory()
                #expect(!inventory.gpus.isEmpty)
            } catch {
                #expect(error is DiscoveryError)
            }
        }
    }
}

@Suite("NVIDIA marketing names")
struct DiscoveryNvidiaGPUNameTests {
    @Test(
        "a driver's marketing name maps to its catalogued model",
        arguments: [
            ("NVIDIA H100 80GB HBM3", "H100"), ("NVIDIA H100 PCIe", "H100"), ("NVIDIA H100 NVL", "H100"),
            ("NVIDIA A100-SXM4-80GB", "A100"), ("NVIDIA A100-SXM4-40GB", "A100"), ("NVIDIA A100-PCIE-40GB", "A100"),
            ("NVIDIA A100 80GB PCIe", "A100"), ("A100-SXM4-40GB", "A100"), ("NVIDIA GeForce RTX 4090", "RTX4090"),
            ("NVIDIA GeForce RTX 3090", "RTX3090"), ("GeForce RTX 3090", "RTX3090"), ("NVIDIA GeForce RTX 5090", "RTX5090"),
            ("NVIDIA RTX A6000", "RTXA6000"), ("NVIDIA L4", "L4"), ("NVIDIA L40", "L40"), ("NVIDIA L40S", "L40S"),
            ("NVIDIA A10", "A10"), ("NVIDIA A10G", "A10G"), ("NVIDIA A30", "A30"), ("NVIDIA A40", "A40"),
            ("Tesla V100-SXM2-32GB", "V100"), ("Tesla V100-PCIE-16GB", "V100"), ("Tesla V100S-PCIE-32GB", "V100"),
            ("Tesla T4", "T4"), ("Tesla P100-PCIE-16GB", "P100"), ("Tesla K80", "K80"), ("NVIDIA H200", "H200"),
            ("NVIDIA GH200 480GB", "GH200"), ("NVIDIA B200", "B200"),
        ]
    )
    func catalogued(_ name: String, _ model: String) {
        #expect(NvidiaGPUName.catalogModel(forMarketingName: name)?.name == model)
    }

    @Test(
        "a different product is not mistaken for a catalogued one",
        arguments: [
            "NVIDIA GeForce RTX 4090 D", "NVIDIA RTX 6000 Ada Generation", "NVIDIA H800 PCIe", "NVIDIA A800-SXM4-80GB",
            "NVIDIA GeForce RTX 3090 Ti", "NVIDIA GeForce RTX 4080", "Quadro RTX 4000", "NVIDIA", "", "H100 with extras",
        ]
    )
    func uncatalogued(_ name: String) {
        #expect(NvidiaGPUName.catalogModel(forMarketingName: name) == nil)
    }
}
