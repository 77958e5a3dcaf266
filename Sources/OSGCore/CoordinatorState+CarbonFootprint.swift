import OSGCarbon
import OSGDomain

/// The carbon of the GPU-hours leases have run, as published (docs/CARBON.md, "Carbon per
/// GPU-hour"). Integers throughout: GPU-seconds, milligrams of CO2-eq.
public struct CarbonFootprint: Hashable, Sendable, Codable {
    /// GPU-seconds on grid-powered nodes in hours with a recorded intensity for the node's zone.
    public var gridGPUSeconds: Int64
    /// Carbon of those GPU-seconds: per zone and hour, ⌊joules × mg/kWh ÷ 3,600,000⌋, summed.
    public var gridMilligrams: Int64
    /// gridMilligrams × 3600 ÷ gridGPUSeconds, rounded down; `nil` when gridGPUSeconds is 0.
    public var milligramsPerGPUHour: Int64?
    /// GPU-seconds on grid-powered nodes in hours without a recorded intensity, plus those of
    /// GPU models without a power figure: reported, never guessed.
    public var unknownGPUSeconds: Int64
    /// GPU-seconds on nodes with their own power source, by source (`solar`, `wind`, …);
    /// not in the grid figures (the log records no intensity for them).
    public var offGridGPUSeconds: [String: Int64]
}

/// The carbon sums of ended leases (derived: a function of ``CoordinatorState/leaseEnergy``
/// and ``CoordinatorState/carbonSeries``, kept up to date as leases end and series are recorded).
struct CarbonTotals: Sendable, Equatable {
    /// GPU-seconds with a recorded intensity.
    var knownGPUSeconds: Int64 = 0
    /// Their carbon, milligrams.
    var milligrams: Int64 = 0
    /// GPU-seconds of grid zone-hours without a recorded intensity.
    var unknownGPUSeconds: Int64 = 0

    /// The carbon of `joules` at `milligramsPerKWh`: ⌊joules × mg/kWh ÷ 3,600,000⌋ (held at
    /// `Int64.max` for an impossible overflow).
    static func milligrams(joules: Int64, milligramsPerKWh: Int64) -> Int64 {
        precondition(joules >= 0 && milligramsPerKWh >= 0, "energy and intensity are not negative")
        let product = joules.multipliedFullWidth(by: milligramsPerKWh)
        guard product.high < 1_800_000 else { return .max }
        return Int64(3_600_000).dividingFullWidth(product).quotient
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) the zone-hour `energy` at `intensity`.
    mutating func count(_ energy: LeaseEnergy, intensity: Int64?, sign: Int64) {
        if let intensity {
            knownGPUSeconds = knownGPUSeconds.addingSaturated(sign * energy.gpuSeconds)
            milligrams = milligrams.addingSaturated(sign * Self.milligrams(joules: energy.joules, milligramsPerKWh: intensity))
        } else {
            unknownGPUSeconds = unknownGPUSeconds.addingSaturated(sign * energy.gpuSeconds)
        }
    }
}

extension CoordinatorState {
    /// The recorded intensity of `zone` in `hour`, milligrams per kWh; `nil` when none is recorded.
    func carbonMilligramsPerKWh(zone: String, hour: Int64) -> Int64? {
        guard let window = carbonSeries[zone], hour >= window.firstHour, hour < window.endHour else { return nil }
        return window.milligramsPerKWh[Int(hour - window.firstHour)]
    }

    /// Books the energy of `lease`, which has just ended at `end`, into ``leaseEnergy`` and the totals.
    mutating func bookEnergy(ofEnded lease: Lease, at end: Timestamp) {
        LeaseEnergyAccount.forEachSlice(of: lease, until: end, node: { nodes[$0]?.node }) { bucket, energy in
            if case .grid(let zone, let hour) = bucket {
                let intensity = carbonMilligramsPerKWh(zone: zone, hour: hour)
                if let old = leaseEnergy.grid[zone]?[hour] { carbonTotals.count(old, intensity: intensity, sign: -1) }
                leaseEnergy.add(energy, to: bucket)
                carbonTotals.count(leaseEnergy.grid[zone]![hour]!, intensity: intensity, sign: 1)
            } else {
                leaseEnergy.add(energy, to: bucket)
            }
        }
    }

    /// Sets the series of `zone` to `merged`, whose hours `changed` are new or overwritten,
    /// recounting the carbon of ended leases in those hours.
    mutating func replaceCarbonSeries(zone: String, with merged: CarbonWindow, changed: Range<Int64>) {
        let affected: [(hour: Int64, energy: LeaseEnergy)]
        if let energy = leaseEnergy.grid[zone] {
            affected = energy.count <= changed.count
                ? energy.filter { changed.contains($0.key) }.map { ($0.key, $0.value) }
                : changed.compactMap { hour in energy[hour].map { (hour, $0) } }
        } else {
            affected = []
        }
        for (hour, energy) in affected { carbonTotals.count(energy, intensity: carbonMilligramsPerKWh(zone: zone, hour: hour), sign: -1) }
        carbonSeries[zone] = merged
        carbonAtlasCache = nil
        for (hour, energy) in affected { carbonTotals.count(energy, intensity: carbonMilligramsPerKWh(zone: zone, hour: hour), sign: 1) }
    }

    /// The carbon totals of ``leaseEnergy`` under the recorded series, from scratch.
    func carbonTotalsByFullPass() -> CarbonTotals {
        var totals = CarbonTotals()
        for (zone, hours) in leaseEnergy.grid {
            for (hour, energy) in hours { totals.count(energy, intensity: carbonMilligramsPerKWh(zone: zone, hour: hour), sign: 1) }
        }
        return totals
    }

    /// The carbon of every GPU-second leases have run, up to the last applied entry: the ended
    /// leases' totals plus the running leases up to ``lastTime``. Costs the running leases'
    /// hours, not the history.
    public var carbonFootprint: CarbonFootprint {
        footprint(endedTotals: carbonTotals)
    }

    /// ``carbonFootprint`` with the ended leases' totals recomputed over every booked zone-hour.
    public var carbonFootprintByFullPass: CarbonFootprint {
        footprint(endedTotals: carbonTotalsByFullPass())
    }

    private func footprint(endedTotals: CarbonTotals) -> CarbonFootprint {
        var totals = endedTotals
        var running = LeaseEnergyAccount()
        if let now = lastTime {
            for leaseID in runningLeaseOfOrder.values.sorted() {
                guard let lease = leases[leaseID] else { continue }
                LeaseEnergyAccount.forEachSlice(of: lease, until: now, node: { nodes[$0]?.node }) { running.add($1, to: $0) }
            }
        }
        // A zone-hour's carbon is rounded once over all its energy, ended and running together.
        for (zone, hours) in running.grid {
            for (hour, energy) in hours {
                let intensity = carbonMilligramsPerKWh(zone: zone, hour: hour)
                let ended = leaseEnergy.grid[zone]?[hour] ?? LeaseEnergy()
                totals.count(ended, intensity: intensity, sign: -1)
                totals.count(ended + energy, intensity: intensity, sign: 1)
            }
        }
        var offGrid: [String: Int64] = [:]
        for (source, energy) in leaseEnergy.offGrid { offGrid[source] = (offGrid[source] ?? 0).addingSaturated(energy.gpuSeconds) }
        for (source, energy) in running.offGrid { offGrid[source] = (offGrid[source] ?? 0).addingSaturated(energy.gpuSeconds) }
        var perHour: Int64?
        if totals.knownGPUSeconds > 0 {
            let product = max(0, totals.milligrams).multipliedFullWidth(by: 3600)
            perHour = product.high < totals.knownGPUSeconds / 2 ? totals.knownGPUSeconds.dividingFullWidth(product).quotient : .max
        }
        return CarbonFootprint(
            gridGPUSeconds: totals.knownGPUSeconds, gridMilligrams: totals.milligrams, milligramsPerGPUHour: perHour,
            unknownGPUSeconds: totals.unknownGPUSeconds.addingSaturated(leaseEnergy.unmetered.gpuSeconds).addingSaturated(running.unmetered.gpuSeconds),
            offGridGPUSeconds: offGrid)
    }
}
