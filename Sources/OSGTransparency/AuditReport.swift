/// The outcome of an audit: a verdict, a stable code, and a sentence naming the first problem.
public struct AuditReport: Hashable, Sendable, Encodable {
    /// The three outcomes, each with its exit status.
    public enum Verdict: String, Hashable, Sendable, Encodable {
        /// Signature, history, tiles, entries and published state all check out (exit 0).
        case verified
        /// Something does not verify: a bad signature, a fork, a tampered entry or tile, a
        /// published state that the replay does not reproduce (exit 1).
        case failed
        /// The input cannot be read or parsed: unreachable source, malformed checkpoint or key
        /// (exit 2).
        case malformed

        /// The process exit status for this verdict.
        public var exitStatus: Int32 {
            switch self {
            case .verified: 0
            case .failed: 1
            case .malformed: 2
            }
        }
    }

    public var verdict: Verdict
    /// `verified`, or a stable reason code (`bad_signature`, `forked_history`, `tampered_entry`,
    /// `bad_tile`, `state_divergence`, …).
    public var code: String
    /// What was checked, or the first divergence.
    public var reason: String
    /// The checkpoint's origin, once known.
    public var origin: String?
    /// The checkpoint's tree size, once known.
    public var treeSize: UInt64?
    /// The checkpoint's root hash (base64), once known.
    public var rootHash: String?
    /// The size of the previously seen checkpoint, if any.
    public var previousTreeSize: UInt64?
    /// How the verifier key was trusted: `pinned` (`--key`), `recorded` (an earlier run), or
    /// `first_use` (fetched from the log and recorded now).
    public var keyTrust: String?
    /// The witnesses given to the audit whose cosignatures of the checkpoint verified.
    public var cosigners: [String]?
    /// Entries replayed through the core.
    public var entriesReplayed: UInt64
    /// Entries that carried their author's verified signature (a command proof).
    public var entriesWithProofs: UInt64 = 0
    /// Entries whose proofs this auditor verified at the checkpoint seen before, not checked
    /// again (the consistency proof shows they are the same entries).
    public var proofsVerifiedBefore: UInt64 = 0
    /// Governed entries whose quorum of approvals verified (docs/TRANSPARENCY_LOG.md,
    /// "Governance by quorum").
    public var governedEntries: UInt64 = 0
    /// Whether the log's genesis requires participants' commands to carry proofs (`nil` until
    /// the replay finished).
    public var proofsRequired: Bool?
    /// Replay throughput (entries per second of decoding and applying), when entries were replayed.
    public var replayEntriesPerSecond: Double?
    /// Replay throughput per second of this process's CPU time: the figure an unloaded machine
    /// would give, when others share the cores (`nil` where CPU time is not available).
    public var replayEntriesPerCPUSecond: Double?

    enum CodingKeys: String, CodingKey {
        case verdict, code, reason, origin
        case treeSize = "tree_size"
        case rootHash = "root_hash"
        case previousTreeSize = "previous_tree_size"
        case keyTrust = "key_trust"
        case cosigners
        case entriesReplayed = "entries_replayed"
        case entriesWithProofs = "entries_with_proofs"
        case proofsRequired = "proofs_required"
        case proofsVerifiedBefore = "proofs_verified_before"
        case governedEntries = "governed_entries"
        case replayEntriesPerSecond = "replay_entries_per_s"
        case replayEntriesPerCPUSecond = "replay_entries_per_cpu_s"
    }

    /// Whether the log verified.
    public var isVerified: Bool { verdict == .verified }
}
