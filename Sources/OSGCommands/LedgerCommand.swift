import ArgumentParser
import Foundation
import OSGLedger

/// `osg ledger …`: the double-entry ledger's tools.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Work with the double-entry ledger.",
        subcommands: [LedgerApplyCommand.self]
    )
}

/// `osg ledger apply FILE.jsonl [--json]` (contract, DESIGN.md §5): applies a stream of ledger
/// operations to an empty in-memory ledger and prints the results and final balances.
struct LedgerApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a JSONL stream of ledger operations to an empty in-memory ledger.",
        discussion: """
        One JSON object per line: create_account, transfer (optionally pending with timeout_s), \
        post, void, tick, linked. Prints one result per line and every account's balances. \
        A malformed line is reported with its line number on stderr (exit code 2).
        """
    )

    @Argument(help: "The operations file (JSON Lines).")
    var file: String

    @Flag(name: .long, help: "Print {\"results\": [...], \"balances\": {...}} instead of a table.")
    var json = false

    func run() throws {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard let decoded = String(data: data, encoding: .utf8) else {
                FileHandle.standardError.write(Data("osg ledger apply: \(file) is not UTF-8 text\n".utf8))
                throw ExitCode(2)
            }
            text = decoded
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("osg ledger apply: cannot read \(file): \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        let report: LedgerReport
        do {
            report = try LedgerScript.run(text)
        } catch {
            FileHandle.standardError.write(Data("osg ledger apply: \(file):\(error.lineNumber): \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        print(json ? report.json : report.table)
    }
}
