import ArgumentParser
import Foundation
import OSGCore
import OSGDomain
import OSGRequestBodies

/// `osg governance`: governance by quorum (docs/API.md, "Governance by quorum"). A proposal
/// file carries one governance command, the counter and log it is for, and the approvals
/// gathered so far: `propose` writes it, each governance member runs `sign` on it (offline,
/// with its own key), and anyone `submit`s it once a quorum signed.
struct GovernanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "governance",
        abstract: "Governance by quorum: show the keys, propose a command, sign it offline, submit it.",
        subcommands: [Show.self, Propose.self, Sign.self, Submit.self],
        defaultSubcommand: Show.self
    )

    /// `osg governance show` (the default): who governs and the counter of the next approval.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the governance keys, quorum, carbon feeds and the counter the next approval is for.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let view = try await options.call(try options.publicClient(), .GET, "/v1/governance")
            guard !options.json else { return }
            print("coordinator key: \(view["coordinator"] as? String ?? "?")")
            guard view["mode"] as? String == "quorum" else {
                print("governance: the coordinator's key alone (the genesis names no governance keys)")
                return
            }
            let keys = view["keys"] as? [String] ?? []
            print("governance: \(view["quorum"] ?? "?") of \(keys.count) keys; next approval for counter \(view["counter"] ?? "?")")
            for key in keys { print("  key \(key)") }
            for feed in view["carbon_feeds"] as? [String] ?? [] { print("  carbon feed \(feed)") }
        }
    }

    /// `osg governance propose METHOD PATH --body JSON --out FILE`.
    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a proposal file: a governance command, as the API request that would ask for it, for the coordinator's current counter.",
            discussion: """
            The command is given as its API request (docs/API.md): for example
              osg governance propose POST /v1/pools --body '{"name":"students","share_ppm":100000,"price":"0.50"}' --out pool.json
              osg governance propose POST /v1/deposits --body '{"tenant":"<hex>","amount":"1000"}' --out deposit.json
            or, to replace the governance keys, with --rotate-key (repeatable), --rotate-quorum and --rotate-carbon-feed.
            The counter and genesis digest come from the coordinator (GET /v1/governance) unless --counter and --genesis-sha256 are given (offline).
            """)

        @Argument(help: "The request's method (POST), for a command given as its request.")
        var method: String?

        @Argument(help: "The request's path (/v1/pools, /v1/deposits, /v1/grants, /v1/pools/NAME/funding, /v1/withdrawals/ID/settlement, /v1/carbon, /v1/leases/ID/end).")
        var path: String?

        @Option(name: .long, help: "The request's JSON body, @FILE, or - for standard input.")
        var body: String = "{}"

        @Option(name: .long, help: "A governance key of the rotation (hex public key; repeatable).")
        var rotateKey: [String] = []

        @Option(name: .long, help: "The rotation's quorum (default: a majority of --rotate-key).")
        var rotateQuorum: Int?

        @Option(name: .long, help: "A carbon feed of the rotation (hex public key; repeatable).")
        var rotateCarbonFeed: [String] = []

        @Option(name: .long, help: "The governance counter to approve for (default: the coordinator's).")
        var counter: UInt64?

        @Option(name: .customLong("genesis-sha256"), help: "The log's genesis digest (default: the coordinator's).")
        var genesisSHA256: String?

        @Option(name: .long, help: "The proposal file to write.")
        var out: String

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let (command, description) = try proposedCommand()
            var counter = counter
            var genesis = genesisSHA256
            if counter == nil || genesis == nil {
                let view = try await options.quiet.call(try options.publicClient(), .GET, "/v1/governance")
                guard view["mode"] as? String == "quorum", let current = (view["counter"] as? NSNumber)?.uint64Value else {
                    throw CleanExit.failure("the coordinator at \(options.url) has no governance keys: its coordinator key governs alone")
                }
                counter = counter ?? current
                genesis = genesis ?? view["genesis_sha256"] as? String
            }
            let proposal = try GovernanceProposal(genesisSHA256: genesis ?? "", counter: counter ?? 0, command: command, description: description)
            try proposal.write(to: out)
            print(options.json ? proposal.jsonText : "wrote \(out): \(proposal.summary); each governance member signs it with `osg governance sign \(out) --key KEY`")
        }

        /// The command and, in words, what it does.
        private func proposedCommand() throws -> (Command, String) {
            if !rotateKey.isEmpty {
                guard method == nil, path == nil else { throw CleanExit.failure("give either a request (METHOD PATH) or --rotate-key, not both") }
                let rules = GovernanceRules(keys: rotateKey.map { $0.lowercased() }, quorum: rotateQuorum ?? rotateKey.count / 2 + 1,
                                            carbonFeeds: rotateCarbonFeed.map { $0.lowercased() })
                if let problem = rules.problems.first { throw CleanExit.failure("--rotate-key/--rotate-quorum/--rotate-carbon-feed: \(problem)") }
                return (.rotateGovernance(rules), "rotate governance to \(rules.quorum) of the keys \(rules.keys.joined(separator: ", "))"
                        + (rules.carbonFeeds.isEmpty ? "" : " with the carbon feeds \(rules.carbonFeeds.joined(separator: ", "))"))
            }
            guard let method, let path else { throw CleanExit.failure("give the command as its request (METHOD PATH --body JSON) or --rotate-key") }
            let bytes: [UInt8]
            if body == "-" || body.hasPrefix("@") {
                do { bytes = Array(try InputFile.readData(body == "-" ? "-" : String(body.dropFirst()))) } catch { throw CleanExit.failure("--body: \(error)") }
            } else {
                bytes = Array(body.utf8)
            }
            guard let command = RequestCommand.command(method: method, path: path, body: bytes, signer: CoordinatorState.governanceAuthority,
                                                       contentsSalt: nil, now: WallClock.now()) else {
                throw CleanExit.failure("\(method) \(path) with that body asks for no command: check the path and the body against docs/API.md")
            }
            guard GovernedCommand.isGovernable(command) else {
                throw CleanExit.failure("\(method) \(path) asks for \(command.name), which is not a governance command")
            }
            return (command, "\(method.uppercased()) \(path) \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    /// `osg governance sign FILE --key KEY`: adds this key's approval.
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a proposal with your governance key (offline: nothing is sent); prints what you approve.")

        @Argument(help: "The proposal file (`osg governance propose`).")
        var proposal: String

        @Option(name: .long, help: "Your governance key file (default $OSG_KEY or osg.key).")
        var key: String?

        @Flag(name: .long, help: "Print one JSON object: the command approved, the counter, the approving key and the approvals gathered.")
        var json = false

        func run() async throws {
            var proposal = try GovernanceProposal.read(from: self.proposal)
            let path = ClientOptions.keyPath(key)
            let keyFile: KeyFile
            do { keyFile = try KeyFile.read(from: path) } catch { throw CleanExit.failure("\(error)") }
            try proposal.approve(with: keyFile.privateKey)
            try proposal.write(to: self.proposal)
            let signer = Identity(publicKey: keyFile.privateKey.publicKey).id
            if json {
                JSONOutput.print(try Self.report(proposal, file: self.proposal, signer: signer))
                return
            }
            // What is signed, decoded from the bytes signed (not the proposal's description).
            print("approving: \(String(describing: try proposal.decodedCommand()))")
            print("approved \(proposal.summary) as \(signer.prefix(16))…; \(proposal.approvals.count) approval(s)")
        }

        /// What `--json` prints: the command approved (decoded from the bytes signed), the
        /// counter, the proposal file, the approving key and the keys that have approved so far.
        static func report(_ proposal: GovernanceProposal, file: String, signer: String) throws -> [String: Any] {
            let command = try proposal.decodedCommand()
            return ["proposal": file, "command": command.name, "approved": String(describing: command), "counter": proposal.counter,
                    "signer": signer, "approvals": proposal.approvals.map(\.keyID)]
        }
    }

    /// `osg governance submit FILE`: posts the approved command.
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a proposal with its approvals to the coordinator (signed with your own key, like any write).")

        @Argument(help: "The proposal file, signed by a quorum.")
        var proposal: String

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let proposal = try GovernanceProposal.read(from: self.proposal)
            let answer = try await options.call(try options.signingClient(), .POST, "/v1/governance", body: Array(proposal.requestBody.utf8))
            if !options.json { print("submitted \(proposal.summary) (log entry \(answer["sequence"] ?? "?"))") }
        }
    }
}
