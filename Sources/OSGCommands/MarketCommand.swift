import ArgumentParser
import Foundation
import OSGMarket
import OSGMarketIO

/// `osg market`: the market's public operations.
struct MarketCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market",
        abstract: "Show the coordinator's order book, and re-run market clearings.",
        subcommands: [MarketBookCommand.self, Clear.self],
        defaultSubcommand: MarketBookCommand.self
    )

    /// `osg market clear FILE.json`: re-runs one clearing on a snapshot (DESIGN.md §4, a contract).
    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear one market snapshot and print every order's placement or reason.",
            discussion: """
                FILE is a JSON object {"now", "nodes", "orders", "pools"} (DESIGN.md §4); use - for \
                standard input. The rules (priority, cheapest fit, prices, set-aside floors) are in \
                docs/MARKET.md. An optional "carbon" object of hourly series per grid zone \
                ({"ZONE": [{"hour", "gco2_per_kwh"}]}) lets flexible orders (carbon.shift with a \
                deadline) wait for cleaner hours or prefer cleaner zones (docs/CARBON.md). Exit 0 after clearing (unplaced orders are results, not errors); \
                exit 2 when the file is malformed, with the item and field named on standard error.
                """
        )

        @Argument(help: "The market snapshot (JSON), or - for standard input.")
        var file: String

        @Flag(name: .long, help: "Print the contract JSON object instead of a table.")
        var json = false

        func run() throws {
            let text: String
            do {
                text = try InputFile.readText(file)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(2)
            }
            do {
                print(try MarketClearOutput.clearing(snapshotText: text, json: json))
            } catch {
                FileHandle.standardError.write(Data("error: \(file): \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}
