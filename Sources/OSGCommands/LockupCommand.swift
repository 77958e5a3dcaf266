import ArgumentParser
import Foundation
import OSGDomain

/// `osg lockup`: public exclusive lockups. An operator records one on its node (`create`, the
/// default); anyone lists them (`list`).
struct LockupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockup",
        abstract: "Record a public exclusive lockup of GPUs on your node for a holder (osg lockup create, the default), or list the lockups (osg lockup list).",
        discussion: """
            Examples:
              osg lockup NODE --gpus 4 --holder ACCOUNT --until 30d --key op.key
                  records a lockup (= osg lockup create …) and prints its id
              osg lockup list
                  every active lockup
            A node named list or create: osg lockup create list --gpus …
            """,
        subcommands: [Create.self, List.self],
        defaultSubcommand: Create.self
    )

    /// `osg lockup create NODE …` (the default): `POST /v1/lockups`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an exclusive lockup of GPUs on one of your nodes: they are taken off the market for the holder until the end; prints the lockup's id.")

        @Argument(help: "The node (one of yours).")
        var node: String

        @Option(name: .long, help: "GPUs to lock up: 1 to \(ComputeNode.Limits.maxGPUs), at most the node's free GPUs.")
        var gpus: Int

        @Option(name: .long, help: "The account the GPUs are locked up for: its public key (osg keys show), up to 128 bytes.")
        var holder: String

        @Option(name: .long, help: "When the lockup ends: an RFC 3339 time (2027-01-31T00:00:00Z) or a duration from now (30d, 12h, 1d12h).")
        var until: String

        @OptionGroup var options: ClientOptions

        func validate() throws {
            _ = try request(now: WallClock.now())
        }

        /// The `POST /v1/lockups` body for a lockup asked for at `now`.
        ///
        /// - Throws: `ValidationError` naming the flag: `--gpus` out of range, an empty
        ///   `--holder`, an `--until` that is neither a time nor a duration or not after `now`.
        func request(now: Timestamp) throws(ValidationError) -> [String: Any] {
            let most = ComputeNode.Limits.maxGPUs
            guard (1...most).contains(gpus) else {
                throw ValidationError("--gpus must be between 1 and \(most) (GPUs of the node to lock up), got \(gpus)")
            }
            guard !holder.trimmingASCIIWhitespace().isEmpty else {
                throw ValidationError("--holder must name an account (a public key, see osg keys show); it is empty")
            }
            return ["node": node, "gpus": gpus, "holder": holder, "until": try Self.end(until, now: now).description]
        }

        /// `text` as the end of a lockup asked for at `now` (``FutureTime``).
        static func end(_ text: String, now: Timestamp) throws(ValidationError) -> Timestamp {
            try FutureTime.parse(text, flag: "--until", what: "a lockup", now: now)
        }

        func run() async throws {
            print(try await output())
        }

        /// What `run` prints: the lockup's id, or with `--json` the coordinator's answer and
        /// `"lockup": ID`.
        func output() async throws -> String {
            let body = Array(JSONOutput.string(try request(now: WallClock.now())).utf8)
            var answer = try await options.callQuietly(try options.signingClient(), .POST, "/v1/lockups", body: body)
            let id = try Self.lockupID(in: answer)
            answer["lockup"] = id
            return options.json ? JSONOutput.string(answer) : id
        }

        /// The id of the lockup an accepted `POST /v1/lockups` recorded: the answer's `lockup`
        /// when it names one, else `lockup-<sequence>` (the core names a lockup after the log
        /// entry that records it, `CoordinatorState.lockUp`; the answer carries the sequence).
        static func lockupID(in answer: [String: Any]) throws -> String {
            if let id = answer["lockup"] as? String { return id }
            guard let sequence = answer["sequence"] as? Int else {
                throw CleanExit.failure("the coordinator accepted the lockup but its answer names no log sequence, so its id is unknown (see osg lockup list): \(JSONOutput.string(answer))")
            }
            return "lockup-\(sequence)"
        }
    }

    /// `osg lockup list`: `GET /v1/lockups`, public.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the active public lockups: node, GPUs, holder, operator, since, until (with --json as GET /v1/lockups answers).")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            print(try await output())
        }

        /// What `run` prints.
        func output() async throws -> String {
            let answer = try await options.callQuietly(try options.publicClient(), .GET, "/v1/lockups")
            return options.json ? JSONOutput.string(answer) : Self.table(answer["lockups"] as? [[String: Any]] ?? [])
        }

        /// One row per lockup of a `GET /v1/lockups` answer.
        static func table(_ lockups: [[String: Any]]) -> String {
            guard !lockups.isEmpty else { return "no lockups" }
            let text = TextTable.cell
            var table = TextTable(header: ["LOCKUP", "NODE", "GPUS", "HOLDER", "OPERATOR", "SINCE", "UNTIL"])
            for lockup in lockups {
                table.rows.append([
                    text(lockup["id"]), text(lockup["node"]), text(lockup["gpus"]),
                    TextTable.abbreviated(text(lockup["holder"])), TextTable.abbreviated(text(lockup["operator"])),
                    text(lockup["since"]), text(lockup["until"]),
                ])
            }
            return table.text(styled: TerminalStyle.isEnabled)
        }
    }
}
