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
