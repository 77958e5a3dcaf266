import OSGDomain

/// How decentralised the online capacity is (DESIGN.md §1: many independent operators, not a
/// few): who holds the GPUs of the nodes online, from the state alone.
///
/// Integers throughout: shares in parts per million, the Herfindahl–Hirschman index on its
/// usual 0–10,000 scale (the sum of squared percentage shares; 10,000 is one operator holding
/// everything, 1,500 and 2,500 are the usual "moderately" and "highly concentrated" marks).
public struct NetworkConcentration: Hashable, Sendable, Codable {
    /// Operators, jurisdictions and grid zones with at least one online node with GPUs.
    public var operators: Int
    public var jurisdictions: Int
    public var zones: Int
    /// GPUs of online nodes (the shares' denominator).
    public var gpus: Int
    /// The largest operator's share of those GPUs, and the ten largest operators' together.
    public var top1SharePPM: Int
    public var top10SharePPM: Int
    /// Σ over operators of (100 × their share)², rounded down: 0 with no GPU online.
    public var herfindahlHirschmanIndex: Int

    /// The figures of online GPUs held per operator, in any order, with the jurisdictions and
    /// zones that hold them.
    public init(gpusByOperator: [Int], jurisdictions: Int, zones: Int) {
        precondition(gpusByOperator.allSatisfy { $0 > 0 }, "only operators with GPUs online count")
        let total = gpusByOperator.reduce(0, +)
        let largest = gpusByOperator.sorted(by: >)
        func share(_ gpus: Int) -> Int { total == 0 ? 0 : Int(Int128(gpus) * 1_000_000 / Int128(total)) }
        operators = gpusByOperator.count
        self.jurisdictions = jurisdictions
        self.zones = zones
        gpus = total
        top1SharePPM = share(largest.first ?? 0)
        top10SharePPM = share(largest.prefix(10).reduce(0, +))
        // Σ (100 g / G)² = 10,000 Σ g² / G²; 128 bits: Σ g² over 2^31 GPUs fits easily.
        let squares = gpusByOperator.reduce(Int128(0)) { $0 + Int128($1) * Int128($1) }
        herfindahlHirschmanIndex = total == 0 ? 0 : Int(squares * 10_000 / (Int128(total) * Int128(total)))
        assert((0...10_000).contains(herfindahlHirschmanIndex) && top1SharePPM <= top10SharePPM)
    }
}

/// The energy leases reported (their usage reports' cumulative `energy_wh`, as each node's
/// ``NodeObservation`` sums its growth), over the nodes registered now: a withdrawn node's
/// reports leave the totals with it.
public struct ReportedEnergy: Hashable, Sendable, Codable {
    /// Watt-hours in all.
    public var wattHours: Int64
    /// GPU-seconds the usage reports covered.
    public var reportedGPUSeconds: Int64
    /// wattHours per GPU-hour reported (rounded down); `nil` before any report or while no
    /// report carried energy (simulated nodes, hosts without a meter): not a misleading 0.
    public var wattHoursPerGPUHour: Int64?
    /// Watt-hours by the power source of the node that drew them (`grid`, `solar`, …); sources
    /// with none are left out.
    public var wattHoursByPowerSource: [String: Int64]

    /// The totals of `observations`, each with its node's power source.
    public init(_ observations: [(source: PowerSource, observation: NodeObservation)]) {
        var wattHours: Int64 = 0
        var seconds: Int64 = 0
        var bySource: [String: Int64] = [:]
        for (source, observation) in observations {
            wattHours = wattHours.addingSaturated(observation.energyWh)
            seconds = seconds.addingSaturated(observation.reportedGPUSeconds)
            if observation.energyWh > 0 { bySource[source.rawValue] = bySource[source.rawValue, default: 0].addingSaturated(observation.energyWh) }
        }
        self.wattHours = wattHours
        reportedGPUSeconds = seconds
        wattHoursPerGPUHour = seconds == 0 || wattHours == 0 ? nil : Int64(clamping: Int128(wattHours) * 3_600 / Int128(seconds))
        wattHoursByPowerSource = bySource
    }
}

extension CoordinatorState {
    /// ``NetworkConcentration`` of the nodes online now (a pass over the nodes).
    public var concentration: NetworkConcentration {
        var gpusByOperator: [String: Int] = [:]
        var jurisdictions = Set<String>()
        var zones = Set<String>()
        for record in nodes.values where record.online && record.node.gpuCount > 0 {
            gpusByOperator[record.node.operatorID, default: 0] += record.node.gpuCount
            jurisdictions.insert(record.node.jurisdiction)
            zones.insert(record.node.gridZone)
        }
        return NetworkConcentration(gpusByOperator: Array(gpusByOperator.values), jurisdictions: jurisdictions.count, zones: zones.count)
    }

    /// ``ReportedEnergy`` over the nodes registered now (a pass over the nodes).
    public var reportedEnergy: ReportedEnergy {
        ReportedEnergy(nodes.values.compactMap { record in record.observation.map { (record.node.powerSource, $0) } })
    }
}
