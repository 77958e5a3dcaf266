import ArgumentParser
import Foundation
import OSGDomain

/// `osg account [ID]`: balances of your account, or of anyone's (they are public).
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Show an account's credits: available, in escrow, withdrawing, and collateral locked on nodes.",
        discussion: "Without ID, your own account (signed with --key); with ID, anyone's: balances are public, like the log they derive from.")

    @Argument(help: "A participant's hex public key (default: yours).")
    var id: String?

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let answer: [String: Any]
        if let id {
            answer = try await options.call(try options.publicClient(), .GET, "/v1/accounts/\(pathSegment(id))")
        } else {
            answer = try await options.call(try options.signingClient(), .GET, "/v1/account")
        }
        guard !options.json else { return }
        let text = TextTable.cell
        print("account \(text(answer["id"]))\((answer["is_governance"] as? Bool) == true ? "  (the coordinator's governance key)" : "")")
        var table = TextTable(header: ["", "CREDITS"])
        table.rows = [
            ["available", text(answer["available"])], ["balance", text(answer["balance"])],
            ["in escrow", text(answer["in_escrow"])], ["withdrawing", text(answer["pending_withdrawals"])],
            ["collateral locked", text(answer["collateral"])], ["collateral cooling off", text(answer["collateral_cooling_off"])],
        ]
        table.print(empty: "")
    }
}

/// `osg transfer TO AMOUNT`.
struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer", abstract: "Send credits from your available balance to another participant.",
        discussion: "The transfer is a signed command in the public log. The recipient is any participant's hex public key; its account opens with the first credits it receives.")

    @Argument(help: "The recipient's hex public key.")
    var to: String

    @Argument(help: "Credits, e.g. 25 or 2.5 (at most 6 decimals).")
    var amount: String

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let body = Array(JSONOutput.string(["to": to, "amount": amount]).utf8)
        let answer = try await options.call(try options.signingClient(), .POST, "/v1/transfers", body: body)
        if !options.json {
            print("sent \(answer["amount"] ?? amount) credits to \(to) (log entry \(answer["sequence"] ?? "?")); available now \(answer["available"] ?? "?")")
        }
    }
}

/// `osg withdraw AMOUNT | --list | --pay ID | --void ID`.
struct WithdrawCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "withdraw", abstract: "Take credits out of the market, list withdrawals, or (governance) post or void one.",
        discussion: """
        `osg withdraw 40` holds 40 of your available credits as a pending withdrawal; governance posts it when it has \
        paid you (the credits leave the market) or voids it (they come back). `--list` shows yours (governance: everyone's). \
        Governance settles with `--pay ID` or `--void ID`.
        """)

    @Argument(help: "Credits to withdraw, e.g. 40 or 12.5.")
    var amount: String?

    @Option(help: "A public payout reference (at most 128 printable ASCII characters; it is published in the log).")
    var reference: String?

    @Flag(help: "List withdrawals instead of making one.")
    var list = false

    @Option(help: "With --list: only withdrawals in this status (pending, paid, voided).")
    var status: String?

    @Option(help: "Governance: record withdrawal ID as paid out.")
    var pay: String?

    @Option(name: .customLong("void"), help: "Governance: void withdrawal ID (its credits come back).")
    var voidID: String?

    @OptionGroup var options: ClientOptions

    func validate() throws {
        let modes = [amount != nil, list, pay != nil, voidID != nil].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give exactly one of AMOUNT, --list, --pay ID or --void ID") }
        if reference != nil && amount == nil { throw ValidationError("--reference goes with AMOUNT") }
        if status != nil && !list { throw ValidationError("--status goes with --list") }
    }

    func run() async throws {
        let client = try options.signingClient()
        if list {
            let query = status.map { "?status=\(pathSegment($0))" } ?? ""
            let answer = try await options.call(client, .GET, "/v1/withdrawals" + query)
            guard !options.json else { return }
            var table = TextTable(header: ["WITHDRAWAL", "ACCOUNT", "CREDITS", "STATUS", "REQUESTED", "SETTLED", "REFERENCE"])
            let text = TextTable.cell
            for item in answer["withdrawals"] as? [[String: Any]] ?? [] {
                table.rows.append([text(item["id"]), TextTable.abbreviated(text(item["account"])), text(item["amount"]), text(item["status"]),
                                   text(item["requested"]), item["settled"] as? String ?? "", text(item["reference"])])
            }
            table.print(empty: "no withdrawals")
            return
        }
        if let id = pay ?? voidID {
            let body = Array(JSONOutput.string(["paid": pay != nil]).utf8)
            let answer = try await options.call(client, .POST, "/v1/withdrawals/\(pathSegment(id))/settlement", body: body)
            if !options.json { print("withdrawal \(id) is \(answer["status"] ?? "?")") }
            return
        }
        var fields: [String: Any] = ["amount": amount ?? ""]
        if let reference { fields["reference"] = reference }
        let answer = try await options.call(client, .POST, "/v1/withdrawals", body: Array(JSONOutput.string(fields).utf8))
        if !options.json {
            print("withdrawal \(answer["id"] ?? "?") holds \(answer["amount"] ?? "?") credits until governance pays it out (status \(answer["status"] ?? "?"))")
        }
    }
}

/// `osg deposit TENANT AMOUNT` (governance: the on-ramp).
struct DepositCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deposit", abstract: "Governance: record credits that arrived for a participant from outside (the on-ramp).")

    @Argument(help: "The participant's hex public key.")
    var tenant: String

    @Argument(help: "Credits, e.g. 100 or 2.5.")
    var amount: String

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let body = Array(JSONOutput.string(["tenant": tenant, "amount": amount]).utf8)
        let answer = try await options.call(try options.signingClient(), .POST, "/v1/deposits", body: body)
        if !options.json { print("deposited \(amount) credits for \(tenant) (log entry \(answer["sequence"] ?? "?"))") }
    }
}

/// `osg shares issue|transfer|list`.
struct SharesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shares", abstract: "Fractional ownership of nodes: issue a node's shares, transfer them, list holdings and earnings.",
        discussion: "Every settlement of a node's leases splits what its operator keeps after the protocol fee across the holders pro rata; a slash hits them pro rata too. Holdings and earnings are public.",
        subcommands: [Issue.self, Transfer.self, List.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue the shares of one of your nodes: a fixed count, all first yours.")
        @Argument(help: "The node id.") var node: String
        @Argument(help: "How many shares (1 to 10^12).") var count: Int64
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let body = Array(JSONOutput.string(["shares": count]).utf8)
            let answer = try await options.call(try options.signingClient(), .POST, "/v1/nodes/\(pathSegment(node))/shares", body: body)
            if !options.json { SharesCommand.printShares(answer) }
        }
    }

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Transfer shares of a node you hold to another participant.")
        @Argument(help: "The node id.") var node: String
        @Argument(help: "The recipient's hex public key.") var to: String
        @Argument(help: "How many shares.") var count: Int64
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let body = Array(JSONOutput.string(["to": to, "shares": count]).utf8)
            let answer = try await options.call(try options.signingClient(), .POST, "/v1/nodes/\(pathSegment(node))/shares/transfers", body: body)
            if !options.json { SharesCommand.printShares(answer) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a node's holders and their earnings, or a participant's holdings (--holder).")
        @Argument(help: "The node id.") var node: String?
        @Option(help: "A participant's hex public key: its holdings across nodes.") var holder: String?
        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard (node == nil) != (holder == nil) else { throw ValidationError("give a NODE or --holder ID") }
        }

        func run() async throws {
            let client = try options.publicClient()
            if let node {
                let answer = try await options.call(client, .GET, "/v1/nodes/\(pathSegment(node))/shares")
                if !options.json { SharesCommand.printShares(answer) }
                return
            }
            let answer = try await options.call(client, .GET, "/v1/shares?holder=\(pathSegment(holder ?? ""))")
            guard !options.json else { return }
            let text = TextTable.cell
            var table = TextTable(header: ["NODE", "SHARES", "OF", "EARNED"])
            for item in answer["holdings"] as? [[String: Any]] ?? [] {
                table.rows.append([text(item["node"]), text(item["shares"]), text(item["issued"]), text(item["earned"])])
            }
            table.print(empty: "no holdings")
        }
    }

    static func printShares(_ answer: [String: Any]) {
        let text = TextTable.cell
        print("node \(text(answer["node"])): \(text(answer["issued"])) shares")
        var table = TextTable(header: ["HOLDER", "SHARES", "EARNED"])
        for item in answer["holders"] as? [[String: Any]] ?? [] {
            table.rows.append([TextTable.abbreviated(text(item["holder"])), text(item["shares"]), text(item["earned"])])
        }
        table.print(empty: "no holders")
    }
}

/// `osg valuations`: what each node earns and how it serves, from the public log.
struct ValuationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "valuations", abstract: "Each node's trailing 7- and 30-day revenue per GPU-hour, utilisation, uptime, faults, slashes and shares.",
        discussion: "Every figure is derived from the public log (osg audit recomputes them): enough to value a GPU's income stream from public data.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let answer = try await options.call(try options.publicClient(), .GET, "/v1/valuations")
        guard !options.json else { return }
        let text = TextTable.cell
        var table = TextTable(header: ["NODE", "GPUS", "REV/GPU-H 7D", "UTIL 7D", "UPTIME 7D", "REV/GPU-H 30D", "FAULTS", "SLASHED", "COLLATERAL", "SHARES"])
        let percent = { (ppm: Any?) in String(format: "%.1f%%", Double((ppm as? Int) ?? 0) / 10_000) }
        for item in answer["valuations"] as? [[String: Any]] ?? [] {
            let windows = (item["windows"] as? [[String: Any]] ?? []).reduce(into: [Int: [String: Any]]()) { $0[($1["days"] as? Int) ?? 0] = $1 }
            table.rows.append([
                text(item["node"]), "\(text(item["gpus"]))×\(text(item["gpu_model"]))",
                text(windows[7]?["revenue_per_gpu_hour"]), percent(windows[7]?["utilisation_ppm"]), percent(windows[7]?["uptime_ppm"]),
                text(windows[30]?["revenue_per_gpu_hour"]), text(item["faults"]), text(item["slashed"]), text(item["collateral"]),
                (item["shares_issued"] as? Int).map { $0 > 0 ? "\($0) (\(text(item["shareholders"])) holders)" : "" } ?? "",
            ])
        }
        table.print(empty: "no nodes (or this coordinator's log predates money rules)")
    }
}
