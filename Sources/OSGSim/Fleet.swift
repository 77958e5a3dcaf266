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
    /// CPU cores of the node (a catalog node: 64).
    public var cpuCores: Int = 64
    /// Memory of the node, GiB (a catalog node: 512).
    public var memoryGiB: Int = 512
}

/// Where the fleet's node shapes come from (`osg sim --fleet-mix`).
public enum FleetMix: Hashable, Sendable {
    /// Catalog offers drawn uniformly (model and GPUs of the offer; 64 cores, 512 GiB).
    case catalog
    /// Shapes drawn in proportion to their node counts in a real machine table; the ask is
    /// the marketplace catalog's price for the model (``MachineTable/pricePerGPUHour(_:offers:)``).
    case machines([NodeShape])
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
    ///
    /// With `mix` `.machines`, each node is instead a shape drawn with probability
    /// proportional to its node count (GPUs, cores, memory of the shape), asking the
    /// catalog's price for its model times 85–115 %.
    public static func build(operators: Int, offers: [GPUOffer], zones: [String], horizonSeconds: Int64, seed: UInt64,
                             mix: FleetMix = .catalog) -> Fleet {
        precondition(operators >= 1 && !offers.isEmpty && !zones.isEmpty && horizonSeconds > 0)
        var shapes: [NodeShape] = []
        var cumulative: [Int] = []
        var shapePrices: [Int64] = []
        if case .machines(let table) = mix {
            precondition(!table.isEmpty && table.allSatisfy { $0.nodes > 0 })
            shapes = table
            var total = 0
            for shape in table {
                total += shape.nodes
                cumulative.append(total)
                shapePrices.append(MachineTable.pricePerGPUHour(shape.model, offers: offers))
            }
        }
        var random = SplitMix64(seed: seed ^ 0x666C_6565_74)
        let joiners = operators * churnPercent / 100
        var nodes: [SimNode] = []
        nodes.reserveCapacity(operators + joiners)
        for index in 0..<(operators + joiners) {
            var node = SimNode(model: offers[0].model, gpus: 1, askMicroCredits: 0, zone: 0, joinSeconds: 0, leaveSeconds: .max)
            var basePrice: Int64
            if shapes.isEmpty {
                let offer = offers[Int(random.next(below: UInt64(offers.count)))]
                node.model = offer.model
                node.gpus = offer.gpus
                basePrice = offer.pricePerGPUHourMicroCredits
            } else {
                let draw = Int(random.next(below: UInt64(cumulative.last!)))
                var low = 0
                var high = cumulative.count - 1
                while low < high {
                    let mid = (low + high) / 2
                    if cumulative[mid] > draw { high = mid } else { low = mid + 1 }
                }
                let shape = shapes[low]
                node.model = shape.model
                node.gpus = shape.gpus
                node.cpuCores = shape.cpuCores
                node.memoryGiB = shape.memoryGiB
                basePrice = shapePrices[low]
            }
            let percent = 85 + Int64(random.next(below: 31))
            let zone = Int(random.next(below: UInt64(zones.count)))
            let join: Int64 = index < operators ? 0 : 1 + Int64(random.next(below: UInt64(horizonSeconds - 1)))
            var leave = Int64.max
            if index < operators, random.next(below: 100) < UInt64(churnPercent) {
                leave = 1 + Int64(random.next(below: UInt64(horizonSeconds - 1)))
            }
            node.askMicroCredits = basePrice * percent / 100
            node.zone = zone
            node.joinSeconds = join
            node.leaveSeconds = leave
            nodes.append(node)
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
