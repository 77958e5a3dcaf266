import ArgumentParser
import Foundation

/// `osg pools`: set-aside pools (governance): list them with their use and funding, fund one.
struct PoolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pools",
        abstract: "List set-aside pools with their price, ceiling, funding and use; governance funds them.",
        subcommands: [List.self, Fund.self],
        defaultSubcommand: List.self
    )

    /// `osg pools list` (the default): the public `/v1/set-asides` view.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List set-aside pools: share, price, ceiling, funding left, grants and use.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let answer = try await options.call(try options.publicClient(), .GET, "/v1/set-asides")
            guard !options.json else { return }
            let pools = answer["pools"] as? [[String: Any]] ?? []
            if pools.isEmpty { print("no pools") }
            for pool in pools {
                let share = Double(pool["share_ppm"] as? Int ?? 0) / 10_000
                let ceiling = (pool["ceiling"] as? String).map { ", ceiling \($0)" } ?? ""
                print("\(pool["name"] ?? "?")  share \(share) %  price \(pool["price"] ?? "?")\(ceiling)  funding \(pool["funding"] ?? "0")  grants \(pool["grants"] ?? 0)  running GPUs \(pool["running_gpus"] ?? 0)  pending jobs \(pool["pending_jobs"] ?? 0)")
            }
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
