/// GPUs granted to an order on one node.
public struct NodeGrant: Hashable, Sendable {
    /// The node.
    public var nodeID: String
    /// GPUs granted on it.
    public var gpus: Int

    /// Creates a grant.
    public init(nodeID: String, gpus: Int) {
        self.nodeID = nodeID
        self.gpus = gpus
    }
}
