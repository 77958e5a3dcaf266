import OSGDomain

/// The fixed parameters a coordinator's log starts from; part of the log's header, so a
/// replay uses the very same rules.
public struct Genesis: Hashable, Sendable, Codable {
    /// The participant allowed to define pools and issue set-aside grants.
    public var governanceID: String
    /// A node that has not sent a heartbeat for this long goes offline.
    public var heartbeatTimeoutSeconds: Int64
    /// The notice a preempted lease gets: it ends as `preempted` at the first tick or clearing
    /// at or after notice + this many seconds (0: in the clearing that decides it).
    public var preemptionNoticeSeconds: Int64
    /// The rules of collateral, fees and slashing (``MoneyRules``); `nil` in a log written
    /// before they existed, whose stakes stay declared, with no fee and no slashing.
    public var money: MoneyRules?

    /// The default preemption notice: two minutes.
    public static let defaultPreemptionNoticeSeconds: Int64 = 120

    public init(governanceID: String, heartbeatTimeoutSeconds: Int64 = 90,
                preemptionNoticeSeconds: Int64 = Genesis.defaultPreemptionNoticeSeconds, money: MoneyRules? = nil) {
        precondition(heartbeatTimeoutSeconds > 0, "heartbeat timeout must be positive")
        precondition(preemptionNoticeSeconds >= 0, "the preemption notice is never negative")
        self.governanceID = governanceID
        self.heartbeatTimeoutSeconds = heartbeatTimeoutSeconds
        self.preemptionNoticeSeconds = preemptionNoticeSeconds
        self.money = money
    }

    enum CodingKeys: String, CodingKey {
        case governanceID, heartbeatTimeoutSeconds, preemptionNoticeSeconds, money
    }

    /// Logs written before the notice existed have no such field: they get the default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        governanceID = try container.decode(String.self, forKey: .governanceID)
        heartbeatTimeoutSeconds = try container.decode(Int64.self, forKey: .heartbeatTimeoutSeconds)
        preemptionNoticeSeconds = try container.decodeIfPresent(Int64.self, forKey: .preemptionNoticeSeconds)
            ?? Self.defaultPreemptionNoticeSeconds
        money = try container.decodeIfPresent(MoneyRules.self, forKey: .money)
        if let problems = money?.problems, !problems.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .money, in: container, debugDescription: "genesis money rules: " + problems.joined(separator: "; "))
        }
        guard heartbeatTimeoutSeconds > 0, preemptionNoticeSeconds >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .preemptionNoticeSeconds, in: container,
                debugDescription: "genesis needs a positive heartbeat timeout and a preemption notice of at least 0 seconds")
        }
    }

    /// The default notice and absent money rules are left out, so headers written before they
    /// existed keep their bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(governanceID, forKey: .governanceID)
        try container.encode(heartbeatTimeoutSeconds, forKey: .heartbeatTimeoutSeconds)
        if preemptionNoticeSeconds != Self.defaultPreemptionNoticeSeconds {
            try container.encode(preemptionNoticeSeconds, forKey: .preemptionNoticeSeconds)
        }
        try container.encodeIfPresent(money, forKey: .money)
    }
}
