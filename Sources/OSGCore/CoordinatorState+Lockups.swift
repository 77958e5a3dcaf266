import OSGDomain

/// Public lockups: an operator records an exclusive deal that takes GPUs of its node off the
/// open market for a holder until a given time. The clearing never offers locked GPUs; ticks
/// end lockups that have lapsed. Every lockup is in the log and in ``lockups``.
extension CoordinatorState {
    /// GPUs of `nodeID` under active lockups.
    func lockedGPUs(on nodeID: String) -> Int {
        guard !lockups.isEmpty else { return 0 }
        return lockups.values.filter { $0.nodeID == nodeID }.reduce(0) { $0 + $1.gpus }
    }

    func lockupRejection(nodeID: String, gpus: Int, holderID: String, until: Timestamp, actor: String, at time: Timestamp) -> Rejection? {
        guard let record = nodes[nodeID] else {
            return Rejection(.unknownNode, "no node with id \(nodeID)")
        }
        guard record.node.operatorID == actor else {
            return Rejection(.notOwner, "only node \(nodeID)'s operator can lock up its GPUs")
        }
        let free = freeFigures(of: record.node, holds: preemptionHolds()).gpus
        if let problem = IdentifierText.problem(holderID, field: "holder") {
            return Rejection(.invalidLockup, problem)
        }
        guard gpus >= 1, gpus <= free, until > time else {
            return Rejection(.invalidLockup, "a lockup needs a holder, 1 to \(free) free GPUs of \(nodeID) and an end after \(time); got \(gpus) GPUs until \(until)")
        }
        return nil
    }

    mutating func lockUp(nodeID: String, gpus: Int, holderID: String, until: Timestamp, actor: String, at time: Timestamp, sequence: UInt64) -> [Event] {
        if let rejection = lockupRejection(nodeID: nodeID, gpus: gpus, holderID: holderID, until: until, actor: actor, at: time) {
            return [.rejected(rejection)]
        }
        let lockup = Lockup(id: "lockup-\(sequence)", holderID: holderID, nodeID: nodeID, gpus: gpus, since: time, until: until)
        lockups[lockup.id] = lockup
        return [.lockupRecorded(lockup)]
    }

    /// Ends lockups whose time is up, in id order.
    mutating func endLapsedLockups(at time: Timestamp) -> [Event] {
        let lapsed = lockups.values.filter { $0.until <= time }.map(\.id).sorted()
        for id in lapsed { lockups[id] = nil }
        return lapsed.map { .lockupEnded(lockupID: $0) }
    }
}
