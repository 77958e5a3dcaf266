import ArgumentParser
import Foundation

/// `osg pools`: set-aside pools (governance): list them with their use and funding, fund one.
struct PoolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pools",
        abstract: "List set-aside pools with their price, ceiling, funding and use; governance funds them.",
        subcommands: [List.self, Define.self, Fund.self],
        defaultSubcommand: List.self
    )

    /// `osg pools list` (the default): the public `/v1/set-asides` view.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List set-aside pools: share, price, ceiling, funding left, grants and use.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            var table = TextTable(header: ["POOL", "SHARE", "PRICE", "CEILING", "FUNDING", "GRANTS", "RUNNING GPUS", "PENDING JOBS"])
            for pool in try await PoolsCommand.publishedPools(options) {
                table.rows.append([
                    TextTable.cell(pool["name"]), TextTable.percent(pool["share_ppm"]), TextTable.cell(pool["price"]),
                    pool["ceiling"].map { "\($0)" } ?? "none", TextTable.cell(pool["funding"] ?? "0"), TextTable.cell(pool["grants"] ?? 0),
                    TextTable.cell(pool["running_gpus"] ?? 0), TextTable.cell(pool["pending_jobs"] ?? 0),
                ])
            }
            if !table.rows.isEmpty { table.print(empty: "") }
        }
    }

    /// The pools of the public `/v1/set-asides` view, for a verb to print; with `--json` the
    /// answer is printed as it came and none is returned; "no pools" is printed when there are none.
    static func publishedPools(_ options: ClientOptions) async throws -> [[String: Any]] {
        let answer = try await options.call(try options.publicClient(), .GET, "/v1/set-asides")
        guard !options.json else { return [] }
        let pools = answer["pools"] as? [[String: Any]] ?? []
        if pools.isEmpty { print("no pools") }
        return pools
    }

    /// `osg pools define NAME --share-ppm N --price P [--ceiling C]`: governance defines a pool.
    struct Define: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Define a set-aside pool (signed with the governance key): a share of capacity held for grantees at a price, optionally a ceiling the pool pays per GPU-hour.")

        @Argument(help: "The pool's name (e.g. students, civic).")
        var name: String

        @Option(name: .long, help: "The share of capacity held for the pool, in parts per million (1 to 1000000).")
        var sharePpm: Int

        @Option(name: .long, help: "What a grantee pays per GPU-hour, in credits.")
        var price: String

        @Option(name: .long, help: "The most the pool pays a node per GPU-hour above its price, in credits.")
        var ceiling: String?

        @OptionGroup var options: ClientOptions

        func run() async throws {
            var fields: [String: Any] = ["name": name, "share_ppm": sharePpm, "price": price]
            if let ceiling { fields["ceiling"] = ceiling }
            let answer = try await options.call(try options.signingClient(), .POST, "/v1/pools", body: Array(JSONOutput.string(fields).utf8))
            if !options.json { print("pool \(name) defined (log entry \(answer["sequence"] ?? "?"))") }
        }
    }

    /// `osg pools fund NAME AMOUNT`: governance moves credits into a pool's funding account.
    struct Fund: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fund a set-aside pool (signed with the governance key): its funding pays each node's ask above the pool's price.")

        @Argument(help: "The pool's name.")
        var name: String

        @Argument(help: "Credits, e.g. 1000 or 2.5.")
        var amount: String

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let body = Array(JSONOutput.string(["amount": amount]).utf8)
            let answer = try await options.call(try options.signingClient(), .POST, "/v1/pools/\(pathSegment(name))/funding", body: body)
            if !options.json { print("pool \(name): funded \(answer["funded"] ?? amount), funding left \(answer["funding"] ?? "?") credits") }
        }
    }
}
