import OSGAgent
import OSGDomain
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
        #expect(meter.counters(readings: [:], gpuIndices: [0, 1], seconds: 60) == UsageCounters(), "no reading, no counters")
        var restarted = LeaseUsageMeter(energyWh: 900)
        #expect(restarted.counters(readings: readings, gpuIndices: [0], seconds: 36).energyWh == 904, "a restarted agent goes on from the last report")
        #expect(meter.counters(readings: [0: .init(utilisationPercent: 10, powerWatts: nil)], gpuIndices: [0], seconds: 60) == UsageCounters(gpuUtilisationPerMille: 100))
    }

    @Test("the SM clock is read against each GPU's maximum; a missing or nonsensical clock has none")
    func clocks() {
        let output = """
            0, 90, 650.00, 1410, 1980
            1, 90, 640.00, 1980, 1980
            2, 50, 300.00, [N/A], 1980
            3, 50, 300.00, 2100, 1980
            4, 50, 300.00, 1000, 0

            """
        let readings = GPUUsageQuery.parse(output)
        #expect(readings[0]?.clockPerMille == 712)
        #expect(readings[1]?.clockPerMille == 1_000)
        #expect(readings[2]?.clockPerMille == nil && readings[2]?.utilisationPercent == 50, "the reading stays, without a clock")
        #expect(readings[3]?.clockPerMille == 1_000, "a boost above the reported maximum counts as the maximum")
        #expect(readings[4]?.clockPerMille == nil)
        var meter = LeaseUsageMeter()
        let counters = meter.counters(readings: readings, gpuIndices: [0, 1, 2], seconds: 60)
        #expect(counters.gpuClockPerMille == 856, "the mean over the GPUs with a clock")
        #expect(GPUUsageQuery.arguments.first?.contains("clocks.sm,clocks.max.sm") == true)
    }

    @Test("energy measured another way adds to the same cumulative figure")
    func addedJoules() {
        var meter = LeaseUsageMeter(energyWh: 2)
        #expect(meter.add(joules: 3_600) == 3)
        #expect(meter.add(joules: -5) == 3 && meter.add(joules: .nan) == 3, "nothing negative or undefined is added")
        #expect(meter.add(joules: 1_800) == 3 && meter.add(joules: 1_800) == 4, "fractions carry over")
    }
}
