import ArgumentParser
import Foundation
import OSGLedger
import OSGStore

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
struct LedgerApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a JSONL stream of ledger operations to an empty in-memory ledger.",
        discussion: """
        One JSON object per line: create_account, transfer (optionally pending with timeout_s), \
        post, void, tick, linked. Prints one result per line and every account's balances. \
        A malformed line is reported with its line number on stderr (exit code 2).

        With --journal the ledger is durable: the journal (an SQLite file) is replayed first, \
        then the operations are applied in batches, each journaled in one transaction before \
        the next starts; results are for this run's lines, balances for the whole ledger.
        """
    )

    @Argument(help: "The operations file (JSON Lines).")
    var file: String

    @Flag(name: .long, help: "Print {\"results\": [...], \"balances\": {...}} instead of a table.")
    var json = false

    @Option(name: .long, help: "Make the ledger durable in this SQLite journal (created if missing, replayed if present).")
    var journal: String?

    @Option(name: .long, help: "With --journal: operations per durable batch (one transaction each).")
    var batchSize = 8_190

    @Flag(name: .long, help: "With --journal: after each durable batch, print 'durable: batch N through line L' to stderr.")
    var progress = false

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        if journal == nil && progress { throw ValidationError("--progress needs --journal") }
    }

    func run() async throws {
        let text: String
        do {
            text = try InputFile.readText(file)
        } catch {
            FileHandle.standardError.write(Data("osg ledger apply: \(error.description)\n".utf8))
            // Text that is not UTF-8 is malformed input (2); a file that cannot be read is 1.
            throw ExitCode(error.kind == .notText ? 2 : 1)
        }
        let lines: [(lineNumber: Int, operation: LedgerOperation)]
        do {
            lines = try LedgerScript.parseNumbered(text)
        } catch {
            FileHandle.standardError.write(Data("osg ledger apply: \(file):\(error.lineNumber): \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        let report: LedgerReport
        if let journal {
            report = try await applyDurably(lines, journalPath: journal)
        } else {
            var ledger = DoubleEntryLedger()
            report = LedgerReport(results: ledger.apply(lines.map(\.operation)), accounts: ledger.accountsByID)
        }
        print(json ? report.json : report.table)
    }

    private func applyDurably(_ lines: [(lineNumber: Int, operation: LedgerOperation)], journalPath: String) async throws -> LedgerReport {
        var ledger: DurableLedger<SQLiteLedgerJournal>
        do {
            ledger = try await DurableLedger(journal: try SQLiteLedgerJournal(path: journalPath))
        } catch {
            FileHandle.standardError.write(Data("osg ledger apply: journal \(journalPath): \(error)\n".utf8))
            throw ExitCode(1)
        }
        var results: [LedgerResult] = []
        results.reserveCapacity(lines.count)
        var start = 0
        while start < lines.count {
            let batch = lines[start..<min(lines.count, start + batchSize)]
            results += try await ledger.apply(batch.map(\.operation))
            if progress, let last = batch.last {
                let batchNumber = try await ledger.journal.count()
                FileHandle.standardError.write(Data("durable: batch \(batchNumber) through line \(last.lineNumber)\n".utf8))
            }
            start += batch.count
        }
        return LedgerReport(results: results, accounts: ledger.ledger.accountsByID)
    }
}
