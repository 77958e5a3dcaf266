import Crypto
import OSGCore
import OSGDomain
import OSGRequestBodies

/// Everything `osg serve` can be told (flags and `OSG_*` environment variables).
public struct ServerConfiguration: Sendable {
    /// Address to listen on (default loopback only).
    public var host = "127.0.0.1"
    /// Port to listen on; 0 picks a free one.
    public var port = 7070
    /// Folder for the SQLite store, the coordinator key and the transparency log files.
    public var dataDirectory = "osg-data"
    /// `postgres://…` to keep the command log in PostgreSQL instead of SQLite.
    public var databaseURL: String?
    /// The certificate and key to serve HTTPS with (`--tls-cert`, `--tls-key`); `nil`: plain HTTP.
    public var tls: ServerTLS?
    /// The coordinator's own key: the governance identity that issues ticks and clearings
    /// (faucet drips are the participants' own signed deposits).
    public var governanceKey: Curve25519.Signing.PrivateKey
    /// A node silent for this long goes offline (fixed in the log's genesis).
    public var heartbeatTimeoutSeconds: Int64 = 90
    /// The notice a preempted lease gets before it ends (fixed in the genesis of a new log).
    public var preemptionNoticeSeconds: Int64 = Genesis.defaultPreemptionNoticeSeconds
    /// Seconds between governance ticks and market clearings; 0 turns the timer off.
    public var clearIntervalSeconds: Double = 5
    /// Largest request body, in bytes.
    public var maxBodyBytes = 1 << 20
    /// Sustained signed requests per second per key, and the burst allowed.
    public var ratePerSecondPerKey: Double = 2_000
    public var rateBurstPerKey: Double = 4_000
    /// Sustained request-body bytes per second per key, and the burst allowed (at least
    /// ``maxBodyBytes``): a key past it gets 429 however small its requests.
    public var bodyBytesPerSecondPerKey: Double = 4_194_304
    public var bodyBytesBurstPerKey: Double = 16_777_216
    /// How far a request's timestamp may be from the server's clock, in seconds.
    public var signatureWindowSeconds: Int64 = 120
    /// Whether `POST /v1/faucet` gives credits (a devnet: `osg serve --devnet-faucet`, `osg
    /// devnet`). Off by default: keys are free, so a faucet on a network with real money would
    /// mint credits for anyone; without it the route answers 404 `faucet_disabled`.
    public var devnetFaucet = false
    /// Largest faucet deposit per request, and the balance beyond which the faucet refuses.
    public var faucetMaxPerRequest = MicroCredits(1_000 * MicroCredits.perCredit)
    public var faucetBalanceCap = MicroCredits(10_000 * MicroCredits.perCredit)
    /// Longest long-poll wait, in seconds.
    public var maxPollSeconds: Int64 = 30
    /// How long public aggregates (stats, market, providers) may be reused, in milliseconds.
    public var publicCacheMilliseconds: Int64 = 1_000
    /// Longest time a request body may take to arrive, in milliseconds (408 after).
    public var bodyDeadlineMilliseconds: Int64 = 10_000
    /// Seconds an idle connection (or a stalled body) is kept open.
    public var idleTimeoutSeconds: Int64 = 30
    /// Most commands in one group commit.
    public var maxBatch = 4096
    /// Log entries between two snapshots of the state; 0 takes snapshots only at a clean stop.
    /// The default bounds a restart's replay to 100,000 entries (well under a second at the
    /// replay floor) while writing a snapshot at most every 100,000 commands.
    public var snapshotInterval: UInt64 = 100_000
    /// How old a copy of the state that reads use may be, in milliseconds (reads signed by a
    /// key always see that key's acknowledged writes); 0 takes a copy for every read.
    public var readCopyMilliseconds: Int64 = 250
    /// What one key may make the coordinator keep (queued jobs, nodes, lockups, open polls).
    public var writeLimits = WriteLimits()
    /// Requests per second (and burst) from one source address, signed or not, before any
    /// signature work; `--trusted-proxy` addresses are charged to the client they forward for.
    public var ratePerSecondPerAddress: Double = 4_000
    public var rateBurstPerAddress: Double = 8_000
    /// Reverse proxies whose `X-Forwarded-For` names the client to charge.
    public var trustedProxies: [String] = []
    /// Snapshots kept in the store (the newest; older ones are the fallback when one is damaged).
    public var snapshotsKept = 3
    /// Hourly carbon series replayed on the coordinator's clock and recorded in the log a week
    /// ahead (``CarbonReplayFeed``); `nil`: the log gets carbon data only from governance.
    public var carbonFeed: CarbonReplayFeed?

    public init(governanceKey: Curve25519.Signing.PrivateKey) {
        self.governanceKey = governanceKey
    }

    /// The governance identity (hex public key).
    public var governanceID: String { Identity(publicKey: governanceKey.publicKey).id }

    /// The transparency log's origin (`--origin`); `nil`: `openstargate/` and the first 16
    /// hex digits of the governance key.
    public var origin: String?

    /// The log's origin: the first line of its checkpoints, and part of every signed request
    /// (``OSGAuth/RequestAudience``).
    public var logOrigin: String { origin ?? "openstargate/" + governanceID.prefix(16) }

    /// `https` when ``tls`` is set, else `http`.
    public var scheme: String { tls == nil ? "http" : "https" }

    /// Where the transparency-log files are published.
    public var logDirectory: String { dataDirectory + "/log" }
    /// Where job inputs and outputs are kept (`--blobs`; default `<data>/blobs`).
    public var blobDirectoryOverride: String?
    /// Where job inputs and outputs are kept.
    public var blobDirectory: String { blobDirectoryOverride ?? dataDirectory + "/blobs" }
    /// Most bytes of blobs each account may keep (`--blob-quota-gib`).
    public var blobQuotaBytes: Int64 = 64 << 30
    /// An S3-compatible bucket for complete blobs (`--blob-bucket`); `nil`: the blob folder.
    public var blobBucket: S3Bucket?
    /// Witnesses asked to cosign each checkpoint (`--witness URL=KEY`; docs/TRANSPARENCY_LOG.md, "Witnesses").
    public var witnesses: [CheckpointCosigner.Endpoint] = []
    /// Largest chunk of a blob upload, in bytes.
    public var blobChunkBytes = 16 << 20

    /// Collateral, fee and slashing rules of a new log (``MoneyRules``; `osg serve
    /// --protocol-fee-bps` and friends). A store whose log predates money rules keeps its genesis.
    public var moneyRules: MoneyRules? = .standard

    /// Whether a new log requires participants' commands to carry their signatures
    /// (``SignedCommandRules``, with ``signatureWindowSeconds``). A store whose log predates
    /// command proofs keeps its genesis, and proofs are then optional.
    public var signedCommands = true

    /// Governance by quorum of a new log (``GovernanceRules``; `osg serve --governance-key`,
    /// `--governance-quorum`, `--carbon-feed-key`); `nil`: the coordinator's key governs alone.
    /// A stored log keeps the rules of its genesis (later changes are quorum rotations).
    public var governanceRules: GovernanceRules?

    /// The rules the command log starts with (fixed when the log is created): the faucet is
    /// one of them on a devnet (``devnetFaucet``), so an audit sees its limits.
    public var genesis: Genesis {
        Genesis(governanceID: governanceID, heartbeatTimeoutSeconds: heartbeatTimeoutSeconds,
                preemptionNoticeSeconds: preemptionNoticeSeconds, money: moneyRules,
                signedCommands: signedCommands ? SignedCommandRules(windowSeconds: signatureWindowSeconds) : nil,
                faucet: devnetFaucet ? FaucetRules(maxPerRequest: faucetMaxPerRequest, balanceCap: faucetBalanceCap) : nil,
                governance: governanceRules)
    }

    /// This configuration for an existing log whose genesis is `stored`: the log keeps its
    /// rules. Its faucet (on or off, with its limits) is the log's, whatever `--devnet-faucet`
    /// says now; a log created by an earlier version keeps the rules of that version (see
    /// ``legacyVariants``). Unchanged when `stored` is `nil` (a new log) or matches none of
    /// these (the store then refuses the genesis).
    public func adopting(storedGenesis stored: Genesis?) -> ServerConfiguration {
        guard let stored, stored != genesis else { return self }
        var sameFaucet = self
        sameFaucet.governanceRules = stored.governance
        sameFaucet.devnetFaucet = stored.faucet != nil
        if let faucet = stored.faucet {
            sameFaucet.faucetMaxPerRequest = faucet.maxPerRequest
            sameFaucet.faucetBalanceCap = faucet.balanceCap
        }
        return ([sameFaucet] + legacyVariants).first { $0.genesis == stored } ?? self
    }

    /// This configuration as it would have been for logs created by earlier versions, newest
    /// first: without command proofs (and so without a faucet in the genesis: an older devnet's
    /// faucet stays off), then also without money rules.
    var legacyVariants: [ServerConfiguration] {
        var unsigned = self
        unsigned.signedCommands = false
        unsigned.devnetFaucet = false
        var variants = [unsigned]
        if moneyRules != nil {
            var withoutMoney = unsigned
            withoutMoney.moneyRules = nil
            variants.append(withoutMoney)
            var signedWithoutMoney = self
            signedWithoutMoney.moneyRules = nil
            variants.insert(signedWithoutMoney, at: 0)
        }
        return variants
    }
}
