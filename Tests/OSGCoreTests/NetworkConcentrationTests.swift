import OSGCore
import OSGDomain
import Testing

@Suite("Concentration and energy, from the state alone")
struct NetworkConcentrationTests {
    @Test("shares of the largest operators and the Herfindahl–Hirschman index follow their definitions", arguments: [
        // GPUs per operator, top 1 ppm, top 10 ppm, HHI (Σ squared percentage shares, rounded down)
        ([6, 2, 2], 600_000, 1_000_000, 4_400),
        ([5], 1_000_000, 1_000_000, 10_000),
        ([1, 1], 500_000, 1_000_000, 5_000),
        (Array(repeating: 1, count: 12), 83_333, 833_333, 833),
        ([], 0, 0, 0),
    ])
    func definitions(gpus: [Int], top1: Int, top10: Int, index: Int) {
        let figures = NetworkConcentration(gpusByOperator: gpus, jurisdictions: 1, zones: 1)
        #expect(figures.operators == gpus.count && figures.gpus == gpus.reduce(0, +))
        #expect(figures.top1SharePPM == top1 && figures.top10SharePPM == top10, "\(figures)")
        #expect(figures.herfindahlHirschmanIndex == index, "\(figures)")
    }

    @Test("the state counts the online nodes' operators, jurisdictions and zones; an offline node drops out")
    func fromTheState() throws {
        var driver = Driver()
        try driver.run(.registerNode(node("n1", operator: "alice")), by: "alice")
        try driver.run(.registerNode(node("n2", operator: "alice")), by: "alice")
        let spanish = ComputeNode(
            id: "n3", operatorID: "bob", gpuModel: GPUModel.named("A100")!, gpuCount: 4, vramGiB: 80, cpuCores: 16, memoryGiB: 64,
            diskGiB: 100, region: "eu", jurisdiction: "ES", gridZone: "ES", askPerGPUHour: MicroCredits(1_000_000))
        try driver.run(.registerNode(spanish), by: "bob")
        var figures = driver.state.concentration
        #expect(figures.operators == 2 && figures.jurisdictions == 2 && figures.zones == 2 && figures.gpus == 20)
        #expect(figures.top1SharePPM == 800_000 && figures.top10SharePPM == 1_000_000)
        #expect(figures.herfindahlHirschmanIndex == 6_800, "(16² + 4²) × 10,000 / 20²")
        #expect(driver.state.statistics.concentration == figures, "published with the statistics")

        // bob falls silent past the 60 s timeout.
        try driver.run(.heartbeat(nodeIDs: ["n1", "n2"]), by: "alice", after: 50)
        try driver.run(.tick, by: governance, after: 20)
        figures = driver.state.concentration
        #expect(figures.operators == 1 && figures.jurisdictions == 1 && figures.gpus == 16 && figures.herfindahlHirschmanIndex == 10_000)
    }

    @Test("reported energy sums the nodes' observations, per GPU-hour and by power source")
    func energy() {
        func observed(wattHours: Int64, gpuSeconds: Int64) -> NodeObservation {
            var observation = NodeObservation.none
            observation.energyWh = wattHours
            observation.reportedGPUSeconds = gpuSeconds
            return observation
        }
        let energy = ReportedEnergy([
            (.grid, observed(wattHours: 100, gpuSeconds: 3_600)), (.solar, observed(wattHours: 50, gpuSeconds: 3_600)),
            (.hydro, observed(wattHours: 0, gpuSeconds: 0)), (.grid, observed(wattHours: 30, gpuSeconds: 0)),
        ])
        #expect(energy.wattHours == 180 && energy.reportedGPUSeconds == 7_200)
        #expect(energy.wattHoursPerGPUHour == 90)
        #expect(energy.wattHoursByPowerSource == ["grid": 130, "solar": 50], "a source with no energy is left out")
        #expect(ReportedEnergy([]).wattHoursPerGPUHour == nil)
        let saturated = ReportedEnergy([(.grid, observed(wattHours: .max, gpuSeconds: 1)), (.grid, observed(wattHours: 5, gpuSeconds: 1))])
        #expect(saturated.wattHours == .max && saturated.wattHoursByPowerSource["grid"] == .max, "saturating, never a trap")
    }
}
