import ArgumentParser
import Foundation
import NIOHTTP1
import OSGDomain

/// `osg nodes`: an operator's nodes. List them (the default), change a node's ask, withdraw one.
struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "List your nodes (GPUs, online, allocated and locked GPUs, ask, last heartbeat); change a node's ask or withdraw it.",
        discussion: """
            Examples:
              osg nodes --key op.key                     your nodes (= osg nodes list)
              osg nodes --all                            every operator's nodes
              osg nodes set-ask NODE 1.75 --key op.key   a new ask, credits per GPU-hour
              osg nodes withdraw NODE --key op.key       the node leaves the market
            """,
        subcommands: [List.self, SetAsk.self, Withdraw.self],
        defaultSubcommand: List.self
    )

    /// `osg nodes list` (the default): `GET /v1/nodes`, kept to the key's own nodes unless `--all`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the nodes of the operator whose --key is given (every node with --all): a table, or with --json {\"nodes\": […]} as GET /v1/nodes answers.")

        @Flag(name: .long, help: "List every operator's nodes (no key needed).")
        var all = false

        @OptionGroup var options: ClientOptions

        func run() async throws {
            print(try await output())
        }

        /// What `run` prints.
        func output() async throws -> String {
            // The operator is the key's identity: read the key before any request, so a missing
            // key fails at once.
            let operatorID = all ? nil : try options.signingClient().key.map { Identity(publicKey: $0.publicKey).id }
            let answer = try await options.callQuietly(try options.publicClient(), .GET, "/v1/nodes")
            let nodes = (answer["nodes"] as? [[String: Any]] ?? []).filter { operatorID == nil || $0["operator"] as? String == operatorID }
            return options.json ? JSONOutput.string(["nodes": nodes]) : Self.table(nodes, operatorID: operatorID)
        }

        /// One row per node of a `GET /v1/nodes` answer; an `OPERATOR` column when the list
        /// is not one operator's (`operatorID` nil).
        static func table(_ nodes: [[String: Any]], operatorID: String?) -> String {
            guard !nodes.isEmpty else {
                return operatorID.map { "no nodes registered by \($0) (osg nodes --all lists every operator's)" } ?? "no nodes"
            }
            let text = TextTable.cell
            func yesNo(_ value: Any?) -> String { (value as? Bool).map { $0 ? "yes" : "no" } ?? "?" }
            var table = TextTable(header: ["NODE"] + (operatorID == nil ? ["OPERATOR"] : [])
                + ["GPUS", "SIMULATED", "ONLINE", "ALLOCATED/LOCKED", "ASK/GPU-H", "REGION/ZONE", "LAST HEARTBEAT"])
            for node in nodes {
                table.rows.append([text(node["id"])] + (operatorID == nil ? [TextTable.abbreviated(text(node["operator"]))] : []) + [
                    "\(text(node["gpu_model"]))×\(text(node["gpus"]))",
                    // Absent from coordinators older than `osg agent --simulate`: real hardware.
                    node["simulated"] == nil ? "no" : yesNo(node["simulated"]),
                    yesNo(node["online"]),
                    "\(text(node["allocated_gpus"]))/\(text(node["locked_gpus"]))",
                    text(node["ask_price"]),
                    "\(text(node["region"]))/\(text(node["zone"]))",
                    text(node["last_heartbeat"]),
                ])
            }
            return table.text(styled: TerminalStyle.isEnabled)
        }
    }

    /// `osg nodes set-ask NODE PRICE`: `PATCH /v1/nodes/{id}`.
    struct SetAsk: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-ask",
            abstract: "Change the ask of one of your nodes: the least it takes, in credits per GPU-hour.")

        @Argument(help: "The node's id.")
        var node: String

        @Argument(help: "The new ask in credits per GPU-hour, e.g. 1.5: more than 0, at most \(ComputeNode.Limits.maxAskPerGPUHour), at most 6 decimals.")
        var price: String

        @OptionGroup var options: ClientOptions

        func validate() throws {
            _ = try Self.ask(price)
        }

        /// `text` as an ask the coordinator accepts.
        ///
        /// - Throws: `ValidationError` naming `<price>` when it is not a decimal amount of
        ///   credits, or is 0 or above ``ComputeNode/Limits/maxAskPerGPUHour``.
        static func ask(_ text: String) throws(ValidationError) -> MicroCredits {
            let ask: MicroCredits
            do {
                ask = try MicroCredits(decimal: text)
            } catch {
                throw ValidationError("<price>: \(error) (credits per GPU-hour)")
            }
            let most = ComputeNode.Limits.maxAskPerGPUHour
            guard ask > .zero, ask <= most else {
                throw ValidationError("<price> must be more than 0 and at most \(most) credits per GPU-hour, got \(text)")
            }
            return ask
        }

        func run() async throws {
            let ask = try Self.ask(price)
            let body = Array(JSONOutput.string(["ask_price": ask.description]).utf8)
            _ = try await options.call(try options.signingClient(), .PATCH, "/v1/nodes/\(pathSegment(node))", body: body)
            if !options.json { print("node \(node): ask \(ask) credits per GPU-hour") }
        }
    }

    /// `osg nodes withdraw NODE`: `DELETE /v1/nodes/{id}`.
    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw one of your nodes: it leaves the market, the leases running on it end (node_withdrawn) and its lockups end.")

        @Argument(help: "The node's id.")
        var node: String

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let answer = try await options.call(try options.signingClient(), .DELETE, "/v1/nodes/\(pathSegment(node))")
            guard !options.json else { return }
            let events = answer["events"] as? [String] ?? []
            let leases = events.count { $0 == "lease_ended" }, lockups = events.count { $0 == "lockup_ended" }
            print("withdrew node \(node); ended \(leases) lease\(leases == 1 ? "" : "s") and \(lockups) lockup\(lockups == 1 ? "" : "s")")
        }
    }
}

extension ClientOptions {
    /// ``call(_:_:_:body:contentType:)`` that never prints the answer: for verbs whose
    /// `--json` output is not the coordinator's answer as is (a list kept to one operator, an
    /// answer with the id of what it recorded).
    func callQuietly(_ client: CoordinatorClient, _ method: HTTPMethod, _ path: String, body: [UInt8] = []) async throws -> [String: Any] {
        var quiet = self
        quiet.json = false
        return try await quiet.call(client, method, path, body: body)
    }
}
