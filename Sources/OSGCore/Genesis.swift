import OSGDomain

/// The fixed parameters a coordinator's log starts from; part of the log's header, so a
/// replay uses the very same rules.
public struct Genesis: Hashable, Sendable, Codable {
    /// The participant allowed to define pools and issue set-aside grants.
    public var governanceID: String
    /// A node that has not sent a heartbeat for this long goes offline.
    public var heartbeatTimeoutSeconds: Int64

    public init(governanceID: String, heartbeatTimeoutSeconds: Int64 = 90) {
        precondition(heartbeatTimeoutSeconds > 0, "heartbeat timeout must be positive")
        self.governanceID = governanceID
        self.heartbeatTimeoutSeconds = heartbeatTimeoutSeconds
    }
}
