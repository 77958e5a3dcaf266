import OSGDomain

/// Seeded random market snapshots as JSON text, small enough to check by brute force.
///
/// Items are generated once per seed; ``text(shuffledWith:)`` writes them in a permuted order
/// so a test can compare clearings of the same snapshot in different array orders.
struct RandomSnapshot {
    var nodes: [String] = []
    var orders: [String] = []
    var pools: [String] = []
    /// `tenants[]` entries; `nil`: the field is left out (fair share off).
    var tenants: [String]? = nil
    /// `starvation_after_s`; `nil`: the field is left out (24 h).
    var starvationAfterSeconds: Int? = nil

    static let models = ["H100", "A100", "L40S", "RTX4090", "V100"]
    static let regions = [("eu", ["DE", "FR", "NO"]), ("us-west", ["US"]), ("asia", ["JP", "IN"])]

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
        func cents(_ low: Int, _ high: Int) -> Int { low + Int(random.next() % UInt64(high - low + 1)) }
        func decimal(_ cents: Int) -> String { "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)" }
        func price(_ low: Int, _ high: Int) -> String { decimal(cents(low, high)) }
        // Host figures are drawn so that cores, memory and disk, not only GPUs, often decide:
        // a node of 8 GPUs may have 8 cores or 32 GiB, and orders ask up to 64 cores and 512 GiB.
        let nodeCount = 2 + Int(random.next() % 19)
        let askChoices = (0..<4).map { _ in price(10, 400) }  // shared asks make ties common
        for index in 0..<nodeCount {
            let (region, jurisdictions) = pick(Self.regions)
            let model = pick(Self.models)
            let vram = model == "A100" ? pick([40, 80]) : model == "H100" ? 80 : model == "L40S" ? 48 : model == "V100" ? pick([16, 32]) : 24
            var fields = [
                #""id": "n\#(zeroPadded(index * 7 % 100, 3))""#,
                #""operator": "op\#(random.next() % 4)""#,
                #""gpu_model": "\#(model)""#,
                #""gpus": \#(pick([0, 1, 2, 4, 8, 8, 8]))"#,
                #""vram_gib": \#(vram)"#,
                #""cpu": \#(pick([8, 16, 24, 32, 32, 64, 64, 96, 128]))"#,
                #""memory_gib": \#(pick([32, 64, 128, 256, 256, 512, 1024]))"#,
                #""region": "\#(region)""#,
                #""jurisdiction": "\#(pick(jurisdictions))""#,
                #""zone": "\#(region)-grid""#,
                #""ask_price": \#(chance(50) ? pick(askChoices) : price(10, 400))"#,
            ]
            if chance(85) { fields.append(#""carbon_gco2_per_kwh": \#(pick(["20", "45.5", "120", "250", "400", "650"]))"#) }
            if chance(30) { fields.append(#""disk_gib": \#(pick([100, 250, 500, 2000]))"#) }
            nodes.append("{" + fields.joined(separator: ", ") + "}")
        }
        // Pools: sometimes a ceiling above the price (set-aside orders may then use dearer
        // nodes, paid from the funding), sometimes a funding account small enough to run dry.
        let poolNames = ["students", "civic"]
        let poolCount = pick([0, 1, 1, 2, 2, 2])
        var poolPrices: [String: Int] = [:]
        for index in 0..<poolCount {
            let poolPrice = cents(50, 300)
            poolPrices[poolNames[index]] = poolPrice
            var fields = [#""name": "\#(poolNames[index])""#, #""share": 0.\#(pick(["05", "1", "2", "3", "4"]))"#, #""price": \#(decimal(poolPrice))"#]
            if chance(60) { fields.append(#""ceiling": \#(decimal(poolPrice + pick([0, 20, 50, 100, 200, 400])))"#) }
            if chance(60) { fields.append(#""funding": \#(pick(["0", "0.5", "2", "10", "40", "1000"]))"#) }
            pools.append("{" + fields.joined(separator: ", ") + "}")
        }
        let orderCount = Int(random.next() % 26)
        for index in 0..<orderCount {
            var resources = #""gpu": {"model": "\#(pick(Self.models + ["any", "any", "any", "A100+", "L40S+"]))", "count": \#(pick([1, 1, 1, 2, 2, 4, 8]))"#
            if chance(20) { resources += #", "vram_gib": \#(pick([24, 40, 48, 80]))"# }
            resources += "}"
            resources += #", "cpu": \#(pick([2, 4, 8, 8, 16, 16, 24, 32, 48, 64]))"#
            resources += #", "memory_gib": \#(pick([8, 16, 32, 64, 64, 128, 256, 512]))"#
            if chance(25) { resources += #", "disk_gib": \#(pick([20, 50, 100, 200, 1000]))"# }
            var spec = [
                #""name": "job\#(index)""#,
                #""command": ["true"]"#,
                #""resources": {\#(resources)}"#,
                #""nodes": \#(pick([1, 1, 1, 1, 1, 1, 2, 3]))"#,
                #""duration": "2h""#,
                #""max_price": \#(price(80, 500))"#,
            ]
            if chance(25) { spec.append(#""max_duration": "\#(pick(["3h", "8h", "1d"]))""#) }
            var pool: String? = nil
            let roll = random.next() % 100
            if roll < 30 {
                spec.append(#""class": "set-aside""#)
                pool = chance(92) ? pick(chance(90) && poolCount > 0 ? Array(poolNames.prefix(poolCount)) : poolNames) : nil
                // Mostly a bid at or above the pool's price, so the pool rules decide.
                if let price = pool.flatMap({ poolPrices[$0] }), chance(85) {
                    spec[spec.firstIndex { $0.hasPrefix(#""max_price""#) }!] = #""max_price": \#(decimal(price + cents(0, 200)))"#
                }
            } else if roll < 50 {
                spec.append(#""class": "preemptible""#)
                if chance(5) { pool = pick(poolNames) }
            } else {
                spec.append(#""class": "standard""#)
            }
            var placement: [String] = []
            if chance(25) { placement.append(#""regions": [\#(Set((0..<2).map { _ in "\"" + pick(Self.regions).0 + "\"" }).sorted().joined(separator: ", "))]"#) }
            if chance(10) { placement.append(#""jurisdictions": ["\#(pick(["DE", "FR", "US", "JP", "NO", "IN"]))"]"#) }
            if chance(12) { placement.append(#""exclude_operators": ["op\#(random.next() % 4)"]"#) }
            if !placement.isEmpty { spec.append(#""placement": {\#(placement.joined(separator: ", "))}"#) }
            if chance(20) { spec.append(#""carbon": {"max_gco2_per_kwh": \#(pick([30, 100, 200, 300]))}"#) }
            if chance(2) { spec.append(#""colour": "blue""#) }  // an unknown field: invalid spec
            var order = [
                #""id": "o\#(zeroPadded(index * 13 % 100, 3))""#,
                #""tenant": "t\#(random.next() % 5)""#,
                #""submitted": "2026-11-30T\#(zeroPadded(Int(random.next() % 24), 2)):\#(pick(["00", "30"])):00Z""#,
                #""spec": {\#(spec.joined(separator: ", "))}"#,
            ]
            if let pool { order.append(#""pool": "\#(pool)""#) }
            orders.append("{" + order.joined(separator: ", ") + "}")
        }
    }

    /// The same market with a `tenants` list (a random subset of t0…t4 with weights 1–3 and
    /// usage) and a random aging threshold of 1–30 hours, drawn from a separate stream so the
    /// nodes and orders stay those of `seed`.
    func withFairShare(seed: UInt64) -> RandomSnapshot {
        var copy = self
        var random = SplitMix64(seed: seed ^ 0x5EED_FA1E)
        copy.tenants = (0..<5).compactMap { index -> String? in
            guard random.next() % 100 < 70 else { return nil }
            var fields = [#""id": "t\#(index)""#]
            if random.next() % 100 < 70 { fields.append(#""weight": \#(1 + random.next() % 3)"#) }
            if random.next() % 100 < 70 {
                fields.append(#""usage": {"gpus": \#(random.next() % 17), "cpu": \#(random.next() % 129), "memory_gib": \#(random.next() % 1025)}"#)
            }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        copy.starvationAfterSeconds = 3_600 * Int(1 + random.next() % 30)
        return copy
    }

    /// The snapshot as JSON, its arrays permuted by `seed` (0: as generated).
    func text(shuffledWith seed: UInt64 = 0) -> String {
        var random = SplitMix64(seed: seed)
        func arrange(_ items: [String]) -> [String] { seed == 0 ? items : items.shuffled(using: &random) }
        var extra = ""
        if let tenants { extra += #""tenants": [\#(arrange(tenants).joined(separator: ", "))], "# }
        if let starvationAfterSeconds { extra += #""starvation_after_s": \#(starvationAfterSeconds), "# }
        return #"{\#(extra)"now": "2026-12-01T00:00:00Z", "nodes": [\#(arrange(nodes).joined(separator: ", "))], "orders": [\#(arrange(orders).joined(separator: ", "))], "pools": [\#(arrange(pools).joined(separator: ", "))]}"#
    }
}

/// `n` with leading zeros up to `width` digits (`007`).
func zeroPadded(_ n: Int, _ width: Int) -> String {
    String(repeating: "0", count: max(0, width - String(n).count)) + String(n)
}
