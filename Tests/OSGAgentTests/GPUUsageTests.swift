import OSGAgent
import Testing

@Suite("GPU utilisation and energy for usage reports")
struct GPUUsageTests {
    @Test("nvidia-smi's usage query reads per GPU; a lost GPU or [N/A] utilisation has no reading, [N/A] power no power")
    func parse() {
        let output = """
            0, 87, 312.45
            1, 3, [N/A]
            2, [N/A], 100.00
            Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error
            3, 101, 50
            4, 100, 700.00

            """
        let readings = GPUUsageQuery.parse(output)
        #expect(readings[0] == .init(utilisationPercent: 87, powerWatts: 312.45))
        #expect(readings[1] == .init(utilisationPercent: 3, powerWatts: nil))
        #expect(readings[2] == nil && readings[3] == nil, "no utilisation, or out of range")
        #expect(readings[4] == .init(utilisationPercent: 100, powerWatts: 700))
        #expect(readings.count == 3)
    }

    @Test("the meter averages the lease's own GPUs and accumulates energy, never going back")
    func meter() {
        let readings: [Int: GPUUsageQuery.Reading] = [0: .init(utilisationPercent: 80, powerWatts: 400), 1: .init(utilisationPercent: 40, powerWatts: 200),
                                                      2: .init(utilisationPercent: 0, powerWatts: 50)]
        var meter = LeaseUsageMeter()
        let first = meter.counters(readings: readings, gpuIndices: [0, 1], seconds: 3_600)
        #expect(first.gpuUtilisationPerMille == 600 && first.energyWh == 600, "GPU 2 is another lease's")
        let second = meter.counters(readings: readings, gpuIndices: [0, 1], seconds: 1_800)
        #expect(second.energyWh == 900, "cumulative")
        #expect(meter.counters(readings: [:], gpuIndices: [0, 1], seconds: 60) == (nil, nil), "no reading, no counters")
        var restarted = LeaseUsageMeter(energyWh: 900)
        #expect(restarted.counters(readings: readings, gpuIndices: [0], seconds: 36).energyWh == 904, "a restarted agent goes on from the last report")
        #expect(meter.counters(readings: [0: .init(utilisationPercent: 10, powerWatts: nil)], gpuIndices: [0], seconds: 60) == (100, nil))
    }
}
