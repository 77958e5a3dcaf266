import OSGDomain

/// Benchmark results: an operator's agent measures a node (DESIGN.md §8) and records the
/// result on the node's record, where it is published with the node (`/v1/providers`, the
/// published state). A newer report replaces the older one; withdrawing the node drops it.
extension CoordinatorState {
    mutating func reportBenchmark(nodeID: String, result: NodeBenchmark, actor: String, at time: Timestamp) -> [Event] {
        guard var record = nodes[nodeID] else {
            return [.rejected(Rejection(.unknownNode, "no node with id \(nodeID)"))]
        }
        guard record.node.operatorID == actor else {
            return [.rejected(Rejection(.notOwner, "node \(nodeID) belongs to another operator; an operator reports benchmarks only for its own nodes"))]
        }
        let problems = result.problems(gpuCount: record.node.gpuCount)
        guard problems.isEmpty else {
            return [.rejected(Rejection(.invalidBenchmark, "benchmark of node \(nodeID): " + problems.joined(separator: "; ")))]
        }
        record.benchmark = NodeBenchmarkReport(reported: time, result: result)
        nodes[nodeID] = record
        return [.benchmarkRecorded(nodeID: nodeID)]
    }
}
