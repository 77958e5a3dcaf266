import OSGDomain

/// One operator's node in the simulated fleet (one node per operator).
public struct SimNode: Hashable, Sendable {
    /// The GPU model.
    public var model: GPUModel
    /// GPUs on the node.
    public var gpus: Int
    /// The operator's ask per GPU-hour, micro-credits.
    public var askMicroCredits: Int64
    /// Index of the node's grid zone in ``Fleet/zones``.
    public var zone: Int
    /// Seconds from the start when the node joins (0: there from the start).
    public var joinSeconds: Int64
    /// Seconds from the start when the operator leaves for good (`Int64.max`: stays).
    public var leaveSeconds: Int64
}

/// A node failure: the node is down from `atSeconds` for `repairSeconds`.
public struct NodeFailure: Hashable, Sendable {
    public var node: Int32
    public var atSeconds: Int64
    public var repairSeconds: Int64
}

/// The fleet of a run: operators' nodes in grid zones, with their churn and failures
/// (docs/SIMULATOR.md, "Fleet").
public struct Fleet: Hashable, Sendable {
    /// Nodes, by index (node `i` has id `n` + 7-digit `i`, so id order is index order).
    public var nodes: [SimNode]
    /// Grid zone names, sorted.
    public var zones: [String]
    /// Failures in time order.
    public var failures: [NodeFailure]

    /// Operators that leave during a run, and extra operators that join, as a percentage of
    /// the operators present at the start.
    public static let churnPercent = 5
    /// Mean time between failures of one node, in days.
    public static let meanDaysBetweenFailures: Int64 = 90
    /// Time to repair a failed node.
    public static let repairSeconds: Int64 = 6 * 3600

    /// Builds a fleet of `operators` nodes present at the start plus ``churnPercent`` % that
    /// join later; ``churnPercent`` % of the first ones leave at a uniform time. Each node is
    /// one catalog offer (model, GPUs) drawn uniformly, asking the offer's price per GPU-hour
    /// times 85–115 %, in a zone drawn uniformly. Each node fails with probability
    /// horizon / MTBF, at a uniform time.
    public static func build(operators: Int, offers: [GPUOffer], zones: [String], horizonSeconds: Int64, seed: UInt64) -> Fleet {
        precondition(operators >= 1 && !offers.isEmpty && !zones.isEmpty && horizonSeconds > 0)
        var random = SplitMix64(seed: seed ^ 0x666C_6565_74)
        let joiners = operators * churnPercent / 100
        var nodes: [SimNode] = []
        nodes.reserveCapacity(operators + joiners)
        for index in 0..<(operators + joiners) {
            let offer = offers[Int(random.next(below: UInt64(offers.count)))]
            let percent = 85 + Int64(random.next(below: 31))
            let zone = Int(random.next(below: UInt64(zones.count)))
            let join: Int64 = index < operators ? 0 : 1 + Int64(random.next(below: UInt64(horizonSeconds - 1)))
            var leave = Int64.max
            if index < operators, random.next(below: 100) < UInt64(churnPercent) {
                leave = 1 + Int64(random.next(below: UInt64(horizonSeconds - 1)))
            }
            nodes.append(SimNode(model: offer.model, gpus: offer.gpus, askMicroCredits: offer.pricePerGPUHourMicroCredits * percent / 100,
                                 zone: zone, joinSeconds: join, leaveSeconds: leave))
        }
        var failures: [NodeFailure] = []
        let mtbf = UInt64(meanDaysBetweenFailures * 86_400)
        for index in nodes.indices where random.next(below: mtbf) < UInt64(horizonSeconds) {
            failures.append(NodeFailure(node: Int32(index), atSeconds: Int64(random.next(below: UInt64(horizonSeconds))), repairSeconds: repairSeconds))
        }
        failures.sort { $0.atSeconds != $1.atSeconds ? $0.atSeconds < $1.atSeconds : $0.node < $1.node }
        return Fleet(nodes: nodes, zones: zones.sorted(), failures: failures)
    }

    /// The id of node `index`: `n` and seven digits, so ids sort like indices.
    public static func nodeID(_ index: Int) -> String {
        let digits = String(index)
        return "n" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// GPUs of the nodes present at the start.
    public var initialGPUs: Int { nodes.reduce(0) { $0 + ($1.joinSeconds == 0 ? $1.gpus : 0) } }

    /// GPU-weighted mean TDP of the fleet, in watts.
    public var meanWattsPerGPU: Int {
        let gpus = nodes.reduce(0) { $0 + $1.gpus }
        let watts = nodes.reduce(0) { $0 + $1.gpus * GPUPower.watts($1.model) }
        return gpus == 0 ? 0 : watts / gpus
    }
}
