import ArgumentParser
import Foundation
import OSGLog
import OSGTransparency

/// `osg log checkpoint [--data DIR]`: prints the coordinator's current signed checkpoint.
struct LogCheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the current signed checkpoint of a published log directory.",
        discussion: """
            Reads <data>/log/checkpoint (or --log DIR/checkpoint), checks its signature with the \
            directory's verifier-key, and prints the note as published. Exit 0 when it verifies, \
            1 when the signature does not, 2 when there is no readable checkpoint.
            """
    )

    @Option(name: .long, help: "The coordinator's data directory; the log is its log/ folder.")
    var data: String = "osg-data"

    @Option(name: .long, help: "The published log directory itself (overrides --data).")
    var log: String?

    @Flag(name: .long, help: "Print one JSON object {origin, tree_size, root_hash, verifier_key, note}.")
    var json = false

    func run() throws {
        let directory = log ?? (data + "/log")
        let report: VerdictReport
        let noteBytes: [UInt8]
        let keyText: String
        do {
            noteBytes = Array(try InputFile.readData(directory + "/" + LogLayout.checkpoint))
            keyText = try InputFile.readText(directory + "/" + LogLayout.verifierKey).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            try VerdictReport.malformed(code: "unreadable_file", "\(error)").emit(json: json)
            return
        }
        let note: SignedNote
        let checkpoint: Checkpoint
        let key: NoteVerifierKey
        do {
            note = try SignedNote(parsing: noteBytes)
            checkpoint = try Checkpoint(parsing: note.text)
            key = try NoteVerifierKey(parsing: keyText)
        } catch {
            try LogMalformedInput(error).report.emit(json: json)
            return
        }
        if case .rejected(let rejection) = note.verify(with: key) {
            report = .rejected(code: rejection.code.rawValue, rejection.message)
            try report.emit(json: json)
            return
        }
        if json {
            JSONOutput.print([
                "origin": checkpoint.origin, "tree_size": checkpoint.size,
                "root_hash": Base64.encode(checkpoint.rootHash), "verifier_key": key.description, "note": note.formatted,
            ] as [String: Any])
        } else {
            print(note.formatted, terminator: "")
        }
    }
}
