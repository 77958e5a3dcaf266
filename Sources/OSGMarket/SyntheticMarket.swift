import OSGDomain

/// A seeded, realistic-looking fleet and order stream for benchmarks and property tests.
///
/// The model mix and ask ranges follow public GPU rental catalogs (Vast.ai, Lambda, Prime
/// Intellect via the SkyPilot catalog, see shared/data/prices), rounded: an H100 asks
/// 1.80–3.20 credits per GPU-hour, an RTX 4090 0.25–0.60. Regions carry the jurisdictions and
/// typical grid carbon intensities of real places. One seed gives the same market everywhere.
public enum SyntheticMarket {
    /// A model with its share of the fleet (percent), VRAM choices and ask range in cents.
    struct ModelProfile {
        var name: String
        var weightPercent: Int
        var vramGiB: [Int]
        var askCents: ClosedRange<Int>
    }

    static let profiles: [ModelProfile] = [
        ModelProfile(name: "RTX4090", weightPercent: 30, vramGiB: [24], askCents: 25...60),
        ModelProfile(name: "A100", weightPercent: 20, vramGiB: [40, 80], askCents: 90...190),
        ModelProfile(name: "H100", weightPercent: 15, vramGiB: [80], askCents: 180...320),
        ModelProfile(name: "L40S", weightPercent: 15, vramGiB: [48], askCents: 60...120),
        ModelProfile(name: "V100", weightPercent: 12, vramGiB: [16, 32], askCents: 15...45),
        ModelProfile(name: "T4", weightPercent: 8, vramGiB: [16], askCents: 10...30),
    ]

    /// Regions with their jurisdictions and each jurisdiction's typical carbon intensity (g/kWh).
    static let regions: [(name: String, places: [(code: String, carbon: Int)])] = [
        ("eu-west", [("DE", 380), ("FR", 60), ("NL", 350)]),
        ("eu-north", [("NO", 30), ("SE", 40), ("FI", 90)]),
        ("us-east", [("US", 390)]),
        ("us-west", [("US", 250)]),
        ("asia-east", [("JP", 480), ("KR", 430)]),
        ("asia-south", [("IN", 650), ("SG", 470)]),
        ("sa", [("BR", 100), ("CL", 300)]),
        ("oceania", [("AU", 550)]),
    ]

    /// The pools of the synthetic market: 5 % for students at 0.50 paying nodes up to 2.50,
    /// 3 % civic at 0.90 paying up to 3.00 (no funding limit: enough for the clearing).
    public static let pools: [SetAsidePool] = [
        SetAsidePool(name: "students", sharePPM: 50_000, pricePerGPUHour: MicroCredits(500_000),
                     ceilingPerGPUHour: MicroCredits(2_500_000)),
        SetAsidePool(name: "civic", sharePPM: 30_000, pricePerGPUHour: MicroCredits(900_000),
                     ceilingPerGPUHour: MicroCredits(3_000_000)),
    ]

    /// `count` nodes with ids `node-000000`…; most are wholly free, some partly used.
    public static func fleet(nodes count: Int, seed: UInt64) -> [MarketNode] {
        var random = SplitMix64(seed: seed)
        let operators = max(1, count / 8)
        var nodes: [MarketNode] = []
        nodes.reserveCapacity(count)
        for index in 0..<count {
            let profile = weighted(&random)
            let region = regions[Int(random.next() % UInt64(regions.count))]
            let place = region.places[Int(random.next() % UInt64(region.places.count))]
            let installed = [8, 8, 8, 8, 4, 4, 4, 2, 2, 1, 1][Int(random.next() % 11)]
            let free = random.next() % 5 == 0 ? Int(random.next() % UInt64(installed + 1)) : installed
            let askCents = profile.askCents.lowerBound + Int(random.next() % UInt64(profile.askCents.count))
            let carbonPercent = 80 + Int(random.next() % 41)
            nodes.append(MarketNode(
                id: "node-" + padded(index, 6),
                operatorID: "op-" + String(Int(random.next() % UInt64(operators))),
                gpuModel: GPUModel.named(profile.name)!,
                freeGPUs: free,
                vramGiB: profile.vramGiB[Int(random.next() % UInt64(profile.vramGiB.count))],
                cpuCores: installed * [8, 16][Int(random.next() % 2)],
                memoryGiB: installed * [32, 64, 128][Int(random.next() % 3)],
                region: region.name,
                jurisdiction: place.code,
                zone: "\(region.name)-\(place.code)",
                askPerGPUHour: MicroCredits(Int64(askCents) * 10_000),
                carbonMicroGCO2PerKWh: random.next() % 33 == 0 ? nil : Int64(place.carbon * carbonPercent / 100) * 1_000_000
            ))
        }
        return nodes
    }

    /// `count` pending orders with ids `job-000000`…, submitted in the day before `now`.
    public static func orders(count: Int, seed: UInt64, now: Timestamp) -> [MarketOrder] {
        var random = SplitMix64(seed: seed ^ 0x6F72_6465_7273)
        var orders: [MarketOrder] = []
        orders.reserveCapacity(count)
        let classes = ["A100+", "L40S+", "H100+"]
        for index in 0..<count {
            let selector: GPUSelector
            var referenceCents: Int
            switch random.next() % 100 {
            case 0..<55:
                let profile = weighted(&random)
                selector = .exactly(GPUModel.named(profile.name)!)
                referenceCents = (profile.askCents.lowerBound + profile.askCents.upperBound) / 2
            case 55..<75:
                selector = .any
                referenceCents = 60
            default:
                let name = classes[Int(random.next() % UInt64(classes.count))]
                selector = GPUSelector(text: name)!
                referenceCents = name == "H100+" ? 250 : name == "A100+" ? 160 : 100
            }
            let count = [1, 1, 1, 1, 1, 2, 2, 4, 4, 8][Int(random.next() % 10)]
            let roll = random.next() % 100
            let nodeCount = roll < 94 ? 1 : roll < 97 ? 2 : 4
            var minVRAM: Int? = nil
            if random.next() % 100 < 10 { minVRAM = [16, 24, 40, 80][Int(random.next() % 4)] }
            if case .exactly(let model) = selector, let vram = minVRAM, vram > model.maxVRAMGiB { minVRAM = nil }
            referenceCents = referenceCents * (70 + Int(random.next() % 131)) / 100
            let jobClass: JobClass
            var pool: String? = nil
            let classRoll = random.next() % 100
            if classRoll < 65 {
                jobClass = .standard
            } else if classRoll < 93 {
                jobClass = .preemptible
            } else {
                jobClass = .setAside
                pool = pools[Int(random.next() % UInt64(pools.count))].name
                referenceCents = max(referenceCents, 100)
            }
            var placement = Placement()
            if random.next() % 100 < 20 {
                let first = Int(random.next() % UInt64(regions.count))
                placement.regions = Array(Set([first, (first + 1 + Int(random.next() % 3)) % regions.count])).sorted().map { regions[$0].name }
            }
            if random.next() % 100 < 5 {
                placement.jurisdictions = [["DE", "FR", "NO", "SE"], ["US"], ["JP", "KR", "SG"]][Int(random.next() % 3)]
            }
            if random.next() % 100 < 5 {
                placement.excludedOperators = ["op-\(random.next() % 50)", "op-\(random.next() % 50)"]
            }
            var carbon = CarbonPolicy()
            if random.next() % 100 < 10 { carbon.maxGCO2PerKWh = [100, 200, 400][Int(random.next() % 3)] }
            let spec = JobSpec(
                name: "job-" + padded(index, 6), command: ["true"],
                resources: ResourceRequest(gpu: GPURequest(selector: selector, countPerNode: count, minVRAMGiB: minVRAM),
                                           cpuCores: count * 4, memoryGiB: count * 16),
                nodeCount: nodeCount, durationSeconds: 3_600,
                maxPricePerGPUHour: MicroCredits(Int64(max(referenceCents, 5)) * 10_000),
                placement: placement, carbon: carbon, jobClass: jobClass
            )
            let submitted = now.adding(seconds: -Int64(1 + random.next() % 86_400))
            orders.append(MarketOrder(id: "job-" + padded(index, 6), tenantID: "tenant-\(random.next() % 1_000)",
                                      submitted: submitted, pool: pool, spec: spec))
        }
        return orders
    }

    private static func weighted(_ random: inout SplitMix64) -> ModelProfile {
        var roll = Int(random.next() % 100)
        for profile in profiles {
            if roll < profile.weightPercent { return profile }
            roll -= profile.weightPercent
        }
        return profiles[0]
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
