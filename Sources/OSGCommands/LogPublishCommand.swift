import ArgumentParser
import Foundation
import OSGCore
import OSGLog
import OSGStore
import OSGTransparency

/// `osg log publish`: writes (or brings up to date) a published log directory from a command
/// log, offline — the same files the coordinator writes as it runs.
struct LogPublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a command log as a signed C2SP tiled log directory (checkpoint, tiles, entries, state).",
        discussion: """
            Reads the command log from a SQLite store (--store) or a JSON Lines log (--jsonl, the \
            CommandLog format), and writes tiles, entry bundles, genesis.json, verifier-key, the \
            published state and a checkpoint signed for --origin into --out. Running it again \
            after the log grew appends to the directory; a directory of another log is refused.
            """
    )

    @Option(name: .long, help: "SQLite command-log store to publish.")
    var store: String?

    @Option(name: .long, help: "JSON Lines command log to publish (header line, then one entry per line).")
    var jsonl: String?

    @Option(name: .long, help: "Output directory (served as the log's URL prefix).")
    var out: String

    @Option(name: .long, help: "The log's origin, e.g. osg.example.org/log; the signing key is named after it.")
    var origin: String

    @Option(name: .long, help: "Signing key: an osg key file, or a PRIVATE+KEY+<origin>+... note signer key file.")
    var key: String

    @Flag(name: .long, help: "Print one JSON object {origin, tree_size, root_hash, verifier_key}.")
    var json = false

    func validate() throws {
        guard (store == nil) != (jsonl == nil) else { throw ValidationError("give exactly one of --store and --jsonl") }
    }

    func run() async throws {
        let signer = try LogSignerKey.read(from: key, origin: origin)
        let writer: TransparencyLogWriter
        if let store {
            let sqlite = try SQLiteCommandLogStore(path: store)
            writer = try await TransparencyLogWriter.open(directory: out, signer: signer, origin: origin, store: sqlite)
        } else {
            let log = try CommandLog.read(jsonLines: Array(try InputFile.readData(jsonl!)))
            let memory = InMemoryCommandLogStore()
            try memory.initialize(genesis: log.genesis)
            try memory.append(log.entries)
            writer = try await TransparencyLogWriter.open(directory: out, signer: signer, origin: origin, store: memory)
        }
        let checkpoint = await writer.checkpoint
        if json {
            JSONOutput.print([
                "origin": checkpoint.origin, "tree_size": checkpoint.size,
                "root_hash": Base64.encode(checkpoint.rootHash), "verifier_key": writer.verifierKey.description,
            ] as [String: Any])
        } else {
            print("published \(checkpoint.size) entries of \(checkpoint.origin) to \(out)")
            print("root hash:    \(Base64.encode(checkpoint.rootHash))")
            print("verifier key: \(writer.verifierKey.description)")
        }
    }
}
