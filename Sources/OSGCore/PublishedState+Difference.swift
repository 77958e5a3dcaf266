import OSGDomain

extension PublishedState {
    /// Where a published state first differs from the one an auditor recomputed.
    public struct Difference: Hashable, Sendable, CustomStringConvertible {
        /// The field, e.g. `balances[tenant-a].availableMicroCredits` or `statistics.priceIndex`.
        public var field: String
        /// The published value (canonical JSON, shortened), or `absent`.
        public var published: String
        /// The recomputed value (canonical JSON, shortened), or `absent`.
        public var recomputed: String

        public var description: String {
            "\(field): published \(published), recomputed \(recomputed)"
        }
    }

    /// The first field, in the order of the schema, where `self` (as published) differs from
    /// `recomputed`; `nil` when they are equal.
    ///
    /// Keyed collections are compared element by element by key (participant, lease id, order
    /// id, pool, lockup id), and the first differing element names its first differing field.
    public func firstDifference(from recomputed: PublishedState) -> Difference? {
        if let difference = Self.compare("format", format, recomputed.format) { return difference }
        if let difference = Self.compare("treeSize", treeSize, recomputed.treeSize) { return difference }
        if let difference = Self.compare("lastTime", lastTime, recomputed.lastTime) { return difference }
        if let difference = Self.compareKeyed("balances", balances, recomputed.balances, key: \.holder) { return difference }
        if let difference = Self.compareKeyed("runningLeases", runningLeases, recomputed.runningLeases, key: \.id) { return difference }
        if let difference = Self.compare("leasesStarted", leasesStarted, recomputed.leasesStarted) { return difference }
        if let difference = Self.compareKeyed("queue", queue, recomputed.queue, key: \.orderID) { return difference }
        if let difference = Self.compare("queue (order)", queue.map(\.orderID), recomputed.queue.map(\.orderID)) { return difference }
        if let difference = Self.compareStatistics(statistics, recomputed.statistics) { return difference }
        if let difference = Self.compareKeyed("pools", pools, recomputed.pools, key: \.name) { return difference }
        if let difference = Self.compareKeyed("setAsideUsage", setAsideUsage, recomputed.setAsideUsage, key: { "\($0.pool)/\($0.tenantID)" }) {
            return difference
        }
        if let difference = Self.compareKeyed("lockups", lockups, recomputed.lockups, key: \.id) { return difference }
        if let difference = Self.compareKeyed("nodeBenchmarks", nodeBenchmarks ?? [], recomputed.nodeBenchmarks ?? [], key: \.nodeID) {
            return difference
        }
        if let difference = Self.compareKeyed("nodeClaims", nodeClaims ?? [], recomputed.nodeClaims ?? [], key: \.nodeID) {
            return difference
        }
        return Self.compareMoney(money, recomputed.money)
    }

    private static func compareMoney(_ published: PublishedMoney?, _ recomputed: PublishedMoney?) -> Difference? {
        guard let published, let recomputed else { return compare("money", published, recomputed) }
        let totals: [(String, UInt64, UInt64)] = [
            ("deposited", published.depositedMicroCredits, recomputed.depositedMicroCredits),
            ("withdrawn", published.withdrawnMicroCredits, recomputed.withdrawnMicroCredits),
            ("fees", published.feesMicroCredits, recomputed.feesMicroCredits),
            ("slashed", published.slashedMicroCredits, recomputed.slashedMicroCredits),
            ("compensation", published.compensationMicroCredits, recomputed.compensationMicroCredits),
            ("transferred", published.transferredMicroCredits, recomputed.transferredMicroCredits),
        ]
        for (name, lhs, rhs) in totals { if let difference = compare("money.\(name)", lhs, rhs) { return difference } }
        if let difference = compareKeyed("money.pendingWithdrawals", published.pendingWithdrawals, recomputed.pendingWithdrawals, key: \.id) {
            return difference
        }
        if let difference = compareKeyed("money.shares", published.shares, recomputed.shares, key: \.key) { return difference }
        return compareKeyed("money.valuations", published.valuations, recomputed.valuations, key: \.nodeID)
    }

    private static func compareStatistics(_ published: MarketStatistics, _ recomputed: MarketStatistics) -> Difference? {
        func groups(_ name: String, _ lhs: [String: MarketStatistics.Group], _ rhs: [String: MarketStatistics.Group]) -> Difference? {
            for key in Set(lhs.keys).union(rhs.keys).sorted() {
                if let difference = compare("statistics.\(name)[\(key)]", lhs[key], rhs[key]) { return difference }
            }
            return nil
        }
        if let difference = groups("byResourceClass", published.byResourceClass, recomputed.byResourceClass) { return difference }
        if let difference = groups("byUserClass", published.byUserClass, recomputed.byUserClass) { return difference }
        if let difference = compare("statistics.utilisationPPM", published.utilisationPPM, recomputed.utilisationPPM) { return difference }
        if let difference = compare("statistics.onlineGPUs", published.onlineGPUs, recomputed.onlineGPUs) { return difference }
        for model in Set(published.priceIndex.keys).union(recomputed.priceIndex.keys).sorted() {
            if let difference = compare("statistics.priceIndex[\(model)]", published.priceIndex[model], recomputed.priceIndex[model]) {
                return difference
            }
        }
        if let difference = compare("statistics.strandedGPUs", published.strandedGPUs, recomputed.strandedGPUs) { return difference }
        if let difference = compare("statistics.concentration", published.concentration, recomputed.concentration) { return difference }
        if let difference = compare("statistics.energy", published.energy, recomputed.energy) { return difference }
        return compare("statistics.carbon", published.carbon, recomputed.carbon)
    }

    /// Compares two collections element by element, matched by `key`, in the published order
    /// first and then any element only the recomputed state has.
    private static func compareKeyed<Element: Equatable & Encodable>(
        _ name: String, _ published: [Element], _ recomputed: [Element], key: (Element) -> String
    ) -> Difference? {
        var recomputedByKey: [String: Element] = [:]
        for element in recomputed { recomputedByKey[key(element)] = element }
        var seen = Set<String>()
        for element in published {
            let elementKey = key(element)
            seen.insert(elementKey)
            if let difference = compare("\(name)[\(elementKey)]", element, recomputedByKey[elementKey]) { return difference }
        }
        for element in recomputed where !seen.contains(key(element)) {
            return compare("\(name)[\(key(element))]", nil, element)
        }
        return nil
    }

    private static func compare<Value: Equatable & Encodable>(_ field: String, _ published: Value?, _ recomputed: Value?) -> Difference? {
        guard published != recomputed else { return nil }
        return Difference(field: field, published: shortText(published), recomputed: shortText(recomputed))
    }

    private static func shortText<Value: Encodable>(_ value: Value?) -> String {
        guard let value else { return "absent" }
        let text = String(decoding: CanonicalEncoding.bytes(of: value), as: UTF8.self)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
