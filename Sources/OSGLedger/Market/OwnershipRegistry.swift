/// Fractional ownership of nodes: node → owners and their shares, and the pro-rata split of a
/// node's revenue.
///
/// The split uses the largest-remainder rule so it always adds up exactly:
/// each owner first gets floor(revenue × shares / totalShares); the micro-credits left over
/// (fewer than the number of owners) go one each to the owners with the largest remainders
/// (revenue × shares mod totalShares), ties broken by the smaller account id.
///
/// Nothing here iterates a dictionary for its output: holdings come out sorted by account id.
public struct OwnershipRegistry: Sendable, Hashable {
    /// The verdict of a share transfer.
    public enum ShareTransferResult: Sendable, Hashable {
        /// Transferred.
        case ok
        /// Zero shares requested.
        case sharesZero
        /// From and to are the same account.
        case sameAccount
        /// The sender holds fewer shares of that node than requested.
        case insufficientShares
    }

    private var sharesByNode: [UInt64: [UInt64: UInt64]] = [:]

    /// An empty registry.
    public init() {}

    /// The owners of a node, ordered by account id (owners with zero shares are dropped).
    public func holdings(of nodeID: UInt64) -> [ShareHolding] {
        guard let owners = sharesByNode[nodeID] else { return [] }
        return owners.filter { $0.value > 0 }
            .map { ShareHolding(accountID: $0.key, shares: $0.value) }
            .sorted { $0.accountID < $1.accountID }
    }

    /// Issues new shares of a node to an account (e.g. when the node is registered or funded).
    public mutating func issue(nodeID: UInt64, to accountID: UInt64, shares: UInt64) {
        let current = sharesByNode[nodeID, default: [:]][accountID, default: 0]
        let (total, overflow) = current.addingReportingOverflow(shares)
        precondition(!overflow, "share count overflow")
        sharesByNode[nodeID, default: [:]][accountID] = total
    }

    /// Moves shares of a node from one account to another.
    public mutating func transferShares(nodeID: UInt64, from sender: UInt64, to receiver: UInt64, shares: UInt64) -> ShareTransferResult {
        if shares == 0 { return .sharesZero }
        if sender == receiver { return .sameAccount }
        let held = sharesByNode[nodeID]?[sender] ?? 0
        if held < shares { return .insufficientShares }
        let received = sharesByNode[nodeID]?[receiver] ?? 0
        guard !received.addingReportingOverflow(shares).overflow else { return .insufficientShares }
        sharesByNode[nodeID]![sender] = held - shares
        sharesByNode[nodeID]![receiver] = received + shares
        if sharesByNode[nodeID]![sender] == 0 { sharesByNode[nodeID]![sender] = nil }
        return .ok
    }

    /// Splits `revenueMicroCredits` pro rata to `holdings` with the largest-remainder rule.
    ///
    /// - Returns: one `(accountID, amountMicroCredits)` per holding with shares, ordered by
    ///   account id; the amounts add up to `revenueMicroCredits` exactly (empty when nobody
    ///   holds shares).
    public static func split(revenueMicroCredits: UInt64, among holdings: [ShareHolding]) -> [(accountID: UInt64, amountMicroCredits: UInt64)] {
        let owners = holdings.filter { $0.shares > 0 }.sorted { $0.accountID < $1.accountID }
        guard !owners.isEmpty else { return [] }
        let totalShares = owners.reduce(UInt128(0)) { $0 + UInt128($1.shares) }
        let revenue = UInt128(revenueMicroCredits)
        var amounts: [UInt64] = []
        var remainders: [(index: Int, remainder: UInt128)] = []
        var distributed: UInt128 = 0
        for (index, owner) in owners.enumerated() {
            let product = revenue * UInt128(owner.shares)
            let base = product / totalShares
            amounts.append(UInt64(base))
            remainders.append((index, product % totalShares))
            distributed += base
        }
        let leftover = Int(revenue - distributed)
        // owners are sorted by account id, so ties on the remainder fall to the smaller id.
        remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
        for entry in remainders.prefix(leftover) { amounts[entry.index] += 1 }
        return zip(owners, amounts).map { ($0.accountID, $1) }
    }
}
