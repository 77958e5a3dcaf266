/// An exclusive reservation of capacity, made public: who holds how many GPUs on which node,
/// and until when. Lockups are what concentrated markets keep secret; here they are part of
/// the log and listed for anyone.
public struct Lockup: Hashable, Sendable, Codable {
    /// Unique id, assigned by the core (`lockup-<sequence>`).
    public var id: String
    /// The participant the capacity is reserved for.
    public var holderID: String
    /// The node.
    public var nodeID: String
    /// GPUs reserved on it.
    public var gpus: Int
    /// When the reservation was recorded.
    public var since: Timestamp
    /// When it lapses.
    public var until: Timestamp

    public init(id: String, holderID: String, nodeID: String, gpus: Int, since: Timestamp, until: Timestamp) {
        self.id = id
        self.holderID = holderID
        self.nodeID = nodeID
        self.gpus = gpus
        self.since = since
        self.until = until
    }
}
