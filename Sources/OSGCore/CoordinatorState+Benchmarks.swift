import OSGDomain

/// Benchmark results: an operator's agent measures a node (DESIGN.md §8) and records the
/// result on the node's record, where it is published with the node (`/v1/providers`, the
/// published state). A newer report replaces the older one; withdrawing the node drops it.
extension CoordinatorState {
    func benchmarkRejection(nodeID: String, result: NodeBenchmark, actor: String) -> Rejection? {
        guard let record = nodes[nodeID] else {
            return Rejection(.unknownNode, "no node with id \(nodeID)")
        }
        guard record.node.operatorID == actor else {
            return Rejection(.notOwner, "node \(nodeID) belongs to another operator; an operator reports benchmarks only for its own nodes")
        }
        let problems = result.problems(gpuCount: record.node.gpuCount)
        guard problems.isEmpty else {
            return Rejection(.invalidBenchmark, "benchmark of node \(nodeID): " + problems.joined(separator: "; "))
        }
        return nil
    }

    mutating func reportBenchmark(nodeID: String, result: NodeBenchmark, actor: String, at time: Timestamp) -> [Event] {
        if let rejection = benchmarkRejection(nodeID: nodeID, result: result, actor: actor) { return [.rejected(rejection)] }
        var record = nodes[nodeID]!
        record.benchmark = NodeBenchmarkReport(reported: time, result: result)
        nodes[nodeID] = record
        return [.benchmarkRecorded(nodeID: nodeID)]
    }
}

extension CoordinatorState.NodeRecord {
    /// The node's "claimed vs observed" figures: its model's data sheet, its latest benchmark
    /// and its leases' usage reports.
    public var claimComparison: NodeClaimComparison {
        NodeClaimComparison(model: node.gpuModel, benchmark: benchmark?.result, observation: observation)
    }
}
