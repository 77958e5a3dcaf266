import OSGDomain

/// GPU-seconds and the energy drawn over them.
public struct LeaseEnergy: Hashable, Sendable, Codable {
    /// GPUs × seconds.
    public var gpuSeconds: Int64 = 0
    /// GPUs × seconds × board power (watts): joules.
    public var joules: Int64 = 0

    public init(gpuSeconds: Int64 = 0, joules: Int64 = 0) {
        self.gpuSeconds = gpuSeconds
        self.joules = joules
    }

    static func + (lhs: LeaseEnergy, rhs: LeaseEnergy) -> LeaseEnergy {
        LeaseEnergy(gpuSeconds: lhs.gpuSeconds.addingSaturated(rhs.gpuSeconds), joules: lhs.joules.addingSaturated(rhs.joules))
    }
}

/// The energy of every ended lease, by where it was drawn (docs/CARBON.md, "Carbon per GPU-hour").
///
/// Persistent state (in the digest): a lease's node, and so its zone, power source and GPU
/// model, can be withdrawn after the lease ends, so the energy is booked when the lease ends and
/// kept here. The carbon figures combine it with the recorded carbon series at publication, so
/// a series recorded later for past hours still counts.
public struct LeaseEnergyAccount: Hashable, Sendable, Codable {
    /// Energy drawn from the grid, by grid zone, then hour (hours since the epoch).
    public internal(set) var grid: [String: [Int64: LeaseEnergy]] = [:]
    /// Energy of nodes with their own power source (not `grid`), by power source.
    public internal(set) var offGrid: [String: LeaseEnergy] = [:]
    /// GPU-seconds whose power draw is unknown (a GPU model without a power figure); no joules.
    public internal(set) var unmetered = LeaseEnergy()

    public init() {}

    /// Whether no lease has ended yet.
    public var isEmpty: Bool { grid.isEmpty && offGrid.isEmpty && unmetered == LeaseEnergy() }

    /// One zone-hour of grid energy, for the canonical (sorted) form.
    public struct ZoneHour: Hashable, Sendable, Codable {
        public var zone: String
        public var hour: Int64
        public var energy: LeaseEnergy
    }

    /// One power source's energy, for the canonical (sorted) form.
    public struct SourceEnergy: Hashable, Sendable, Codable {
        public var source: String
        public var energy: LeaseEnergy
    }

    /// The account with every collection sorted by its key (for the digest).
    public struct Canonical: Hashable, Sendable, Codable {
        public var grid: [ZoneHour]
        public var offGrid: [SourceEnergy]
        public var unmetered: LeaseEnergy
    }

    /// The canonical form: zone-hours by zone then hour, sources by name.
    public var canonical: Canonical {
        Canonical(
            grid: grid.keys.sorted().flatMap { zone in
                grid[zone]!.sorted { $0.key < $1.key }.map { ZoneHour(zone: zone, hour: $0.key, energy: $0.value) }
            },
            offGrid: offGrid.sorted { $0.key < $1.key }.map { SourceEnergy(source: $0.key, energy: $0.value) },
            unmetered: unmetered)
    }

    /// Encodes the ``canonical`` form, so the same account always gives the same bytes
    /// (a dictionary keyed by `Int64` would encode in hash order).
    public func encode(to encoder: any Encoder) throws {
        try canonical.encode(to: encoder)
    }

    /// Decodes the ``canonical`` form; a zone-hour or source listed twice is refused.
    public init(from decoder: any Decoder) throws {
        let canonical = try Canonical(from: decoder)
        for entry in canonical.grid {
            guard grid[entry.zone, default: [:]].updateValue(entry.energy, forKey: entry.hour) == nil else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath, debugDescription: "zone \(entry.zone) hour \(entry.hour) is listed twice"))
            }
        }
        for entry in canonical.offGrid {
            guard offGrid.updateValue(entry.energy, forKey: entry.source) == nil else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath, debugDescription: "power source \(entry.source) is listed twice"))
            }
        }
        unmetered = canonical.unmetered
    }
}

/// Where the GPU-seconds of one lease allocation over one hour are booked.
enum EnergyBucket: Hashable {
    case grid(zone: String, hour: Int64)
    case offGrid(source: String)
    case unmetered
}

extension LeaseEnergyAccount {
    /// Books `energy` into `bucket`.
    mutating func add(_ energy: LeaseEnergy, to bucket: EnergyBucket) {
        switch bucket {
        case .grid(let zone, let hour): grid[zone, default: [:]][hour] = (grid[zone]?[hour] ?? LeaseEnergy()) + energy
        case .offGrid(let source): offGrid[source] = (offGrid[source] ?? LeaseEnergy()) + energy
        case .unmetered: unmetered = unmetered + energy
        }
    }

    /// Calls `body` for each bucket `lease` draws energy in between its start and `end`: per
    /// allocation, per hour for grid-powered nodes (`node` looks the allocation's node up).
    static func forEachSlice(
        of lease: Lease, until end: Timestamp, node: (String) -> ComputeNode?, _ body: (EnergyBucket, LeaseEnergy) -> Void
    ) {
        let start = lease.start.secondsSinceEpoch
        let stop = end.secondsSinceEpoch
        guard stop > start else { return }
        for allocation in lease.allocations {
            let gpus = Int64(allocation.gpus)
            guard let node = node(allocation.nodeID), let watts = node.gpuModel.boardPowerWatts else {
                body(.unmetered, LeaseEnergy(gpuSeconds: gpus * (stop - start)))
                continue
            }
            let perSecond = gpus * Int64(watts)
            guard node.powerSource == .grid else {
                body(.offGrid(source: node.powerSource.rawValue), LeaseEnergy(gpuSeconds: gpus * (stop - start), joules: perSecond * (stop - start)))
                continue
            }
            var hour = floorDivide(start, 3600)
            while hour * 3600 < stop {
                let seconds = min(stop, (hour + 1) * 3600) - max(start, hour * 3600)
                body(.grid(zone: node.gridZone, hour: hour), LeaseEnergy(gpuSeconds: gpus * seconds, joules: perSecond * seconds))
                hour += 1
            }
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient
    }
}

extension UInt64 {
    /// `self + other`, held at `UInt64.max` instead of overflowing.
    func addingSaturated(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
