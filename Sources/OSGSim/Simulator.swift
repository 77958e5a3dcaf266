import OSGCarbon
import OSGDomain

/// What to simulate: the knobs of `osg sim`.
public struct SimConfiguration: Hashable, Sendable {
    /// Operators present at the start (one node each).
    public var operators: Int
    /// Days measured.
    public var days: Int
    /// The seed of every random draw.
    public var seed: UInt64
    /// Jobs to generate; `nil`: from `offeredLoad`, else ``defaultJobsPerOperatorDay``.
    public var jobs: Int?
    /// Offered load (demanded GPU-hours / fleet GPU-hours); used when `jobs` is `nil`.
    public var offeredLoad: Double?
    /// Whether a region outage happens (zone first by name, at 40 % of the run, 6 hours).
    public var outage: Bool
    /// Replay the trace's own pods created from this trace day on (for `days` days) instead of
    /// a synthetic workload; `nil`: synthetic.
    public var replayFromDay: Int?
    /// Where the nodes' shapes come from (default: catalog offers).
    public var fleetMix: FleetMix = .catalog
    /// Large jobs mixed into the synthetic workload (default: none, the pod list's shapes).
    public var largeJobs: LargeJobs?

    /// Jobs per operator and day when neither a count nor a load is given (0.15: 250,000
    /// operators × 30 days give 1.125 million jobs).
    public static let defaultJobsPerOperatorDay = 0.15

    public init(operators: Int, days: Int, seed: UInt64, jobs: Int? = nil, offeredLoad: Double? = nil, outage: Bool = true,
                replayFromDay: Int? = nil) {
        self.replayFromDay = replayFromDay
        self.operators = operators
        self.days = days
        self.seed = seed
        self.jobs = jobs
        self.offeredLoad = offeredLoad
        self.outage = outage
    }
}

/// The figures of one `osg sim` run: the scenario in numbers and each regime's metrics.
public struct SimReport: Hashable, Sendable {
    public var operators: Int
    public var nodes: Int
    public var gpus: Int
    public var jobs: Int
    public var users: Int
    public var days: Int
    public var seed: UInt64
    public var start: Timestamp
    public var zones: [String]
    /// Demanded GPU-hours / GPU-hours of the fleet at the start over the horizon.
    public var offeredLoad: Double
    public var outageZone: String?
    /// Concentrated, open, open without carbon shifting.
    public var regimes: [RegimeMetrics]
}

/// Builds scenarios and runs the regimes (docs/SIMULATOR.md).
public enum Simulator {
    /// Builds the scenario of a run: the synthetic workload (shapes and daily profile of
    /// `pods`), the fleet (offers of `marketOffers` in the zones of `atlas`), the outage, and
    /// the concentrated list price (median of `listOffers`).
    ///
    /// - Throws: ``SimDataError`` when the carbon data does not cover the run.
    public static func scenario(pods: [TracePod], atlas: CarbonAtlas, marketOffers: [GPUOffer], listOffers: [GPUOffer],
                                configuration: SimConfiguration) throws(SimDataError) -> SimScenario {
        precondition(configuration.operators >= 1 && configuration.days >= 1)
        let horizon = Int64(configuration.days) * 86_400
        let fleet = Fleet.build(operators: configuration.operators, offers: marketOffers, zones: atlas.zones,
                                horizonSeconds: horizon, seed: configuration.seed, mix: configuration.fleetMix)
        let model = WorkloadModel(pods: pods)
        let capacityGPUSeconds = Double(fleet.initialGPUs) * Double(horizon)
        if let day = configuration.replayFromDay {
            let window = pods.filter { $0.creationSeconds >= Int64(day) * 86_400 && $0.creationSeconds < Int64(day) * 86_400 + horizon }
            guard !window.isEmpty else {
                throw SimDataError(.empty, file: "trace", "no pod was created in trace days \(day)–\(day + configuration.days - 1)")
            }
            let workload = WorkloadBuilder.replay(pods: pods, fromSeconds: Int64(day) * 86_400, horizonSeconds: horizon,
                                                  users: max(20, window.count / 100), seed: configuration.seed, resources: true)
            return try scenario(workload: workload, fleet: fleet, atlas: atlas, listOffers: listOffers, configuration: configuration)
        }
        let count: Int
        if let jobs = configuration.jobs {
            count = jobs
        } else if let load = configuration.offeredLoad {
            count = Int((load * capacityGPUSeconds / model.meanGPUSeconds(largeJobs: configuration.largeJobs)).rounded())
        } else {
            count = Int((Double(configuration.operators * configuration.days) * SimConfiguration.defaultJobsPerOperatorDay).rounded())
        }
        let users = max(20, count / 100)
        let workload = WorkloadBuilder.synthetic(model: model, count: count, horizonSeconds: horizon, users: users, seed: configuration.seed,
                                                 largeJobs: configuration.largeJobs)
        return try scenario(workload: workload, fleet: fleet, atlas: atlas, listOffers: listOffers, configuration: configuration)
    }

    static func scenario(workload: Workload, fleet: Fleet, atlas: CarbonAtlas, listOffers: [GPUOffer],
                         configuration: SimConfiguration) throws(SimDataError) -> SimScenario {
        let horizon = Int64(configuration.days) * 86_400
        let outage = configuration.outage
            ? SimScenario.RegionOutage(zone: 0, atSeconds: horizon * 2 / 5 / 3600 * 3600, durationSeconds: 6 * 3600) : nil
        return try SimScenario(workload: workload, fleet: fleet, atlas: atlas, horizonSeconds: horizon, outage: outage,
                               concentratedPricePerGPUHour: PriceCatalog.medianPricePerGPUHour(listOffers))
    }

    /// The regimes' names, in report order.
    public static let regimeNames = ["concentrated", "open", "open-no-carbon"]

    /// Runs one regime by name on `scenario`.
    public static func runRegime(_ name: String, on scenario: SimScenario) -> RegimeMetrics {
        runRegime(name, on: scenario, keepingLog: false).metrics
    }

    /// Runs one regime by name on `scenario`; with `keepingLog`, an open regime also returns
    /// the coordinator's log of the run (the concentrated regime, a separate model, has none).
    public static func runRegime(_ name: String, on scenario: SimScenario, keepingLog: Bool) -> (metrics: RegimeMetrics, log: RegimeLog?) {
        switch name {
        case "concentrated":
            var regime = ConcentratedRegime(scenario: scenario, exclusiveDeals: true, nodeResources: true)
            return (regime.run(name: name), nil)
        case "open", "open-no-carbon":
            var regime = CoreMarketRegime(scenario: scenario, carbonShifting: name == "open", keepingLog: keepingLog)
            let metrics = regime.run(name: name)
            return (metrics, keepingLog ? RegimeLog(store: regime.processor.store, state: regime.processor.state) : nil)
        default:
            preconditionFailure("unknown regime \(name)")
        }
    }

    /// Runs every regime on `scenario`, one after the other.
    public static func run(_ scenario: SimScenario, configuration: SimConfiguration) -> SimReport {
        report(scenario, configuration: configuration, regimes: regimeNames.map { runRegime($0, on: scenario) })
    }

    /// The report of `scenario` with already computed regime metrics.
    public static func report(_ scenario: SimScenario, configuration: SimConfiguration, regimes: [RegimeMetrics]) -> SimReport {
        let demand = scenario.workload.jobs.reduce(Int64(0)) { $0 + $1.gpuSeconds }
        let capacity = Int64(scenario.fleet.initialGPUs) * scenario.horizonSeconds
        return SimReport(
            operators: configuration.operators, nodes: scenario.fleet.nodes.count, gpus: scenario.fleet.initialGPUs,
            jobs: scenario.workload.jobs.count, users: scenario.workload.userClasses.count, days: configuration.days,
            seed: configuration.seed, start: scenario.start, zones: scenario.fleet.zones,
            offeredLoad: capacity == 0 ? 0 : Double(demand) / Double(capacity),
            outageZone: scenario.outage.map { scenario.fleet.zones[$0.zone] }, regimes: regimes)
    }
}
