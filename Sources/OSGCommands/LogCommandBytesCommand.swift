import ArgumentParser
import Foundation
import OSGCore
import OSGDomain
import OSGRequestBodies

/// `osg log command-bytes`: the command bytes a write of the API asks for, as the coordinator
/// builds them: what a client in another language signs after the statement's prefix
/// (docs/TRANSPARENCY_LOG.md, "Command proofs"), to compare with its own encoding.
struct LogCommandBytesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "command-bytes",
        abstract: "Print the command bytes (hex) a write of the API asks for, as the coordinator logs and checks them.",
        discussion: """
            The bytes are `str actor ‖ u8 tag ‖ fields` of the leaf encoding: a client signs \
            "OSG-COMMAND-V1\\n<origin>\\n<genesis>\\n<timestamp>\\n<nonce>\\n" followed by them, \
            in OSG-Command-Signature. Exit 0 with the hex on standard output (with --json, one object \
            naming the command, its actor and its bytes); 1 when the request \
            logs no command or its body does not decode (the coordinator refuses it first).
            """
    )

    @Option(name: .long, help: "The request's method (POST, PATCH, DELETE).")
    var method: String

    @Option(name: .long, help: "The request's path with its query, as sent (e.g. /v1/jobs?pool=students).")
    var path: String

    @Option(name: .long, help: "A file holding the request's body, or - for standard input (default: no body).")
    var body: String?

    @Option(name: .long, help: "The signer's public key (64 hex digits): the command's actor.")
    var signer: String

    @Option(name: .customLong("contents-salt"), help: "For POST /v1/jobs: the OSG-Contents-Salt sent (64 hex digits).")
    var contentsSalt: String?

    @Flag(name: .long, help: "Print one JSON object: the command's name, its actor and its bytes (hex and count).")
    var json = false

    func run() throws {
        guard Identity(hex: signer) != nil else { throw CleanExit.failure("--signer must be a 64-hex-digit Ed25519 public key") }
        var salt: [UInt8]?
        if let contentsSalt {
            guard let bytes = Hex.decode(contentsSalt), bytes.count == JobContents.saltByteCount else {
                throw CleanExit.failure("--contents-salt must be 64 hex digits")
            }
            salt = bytes
        }
        let bytes: [UInt8]
        do {
            bytes = try body.map { (path) throws(InputFile.ReadError) in Array(try InputFile.readData(path)) } ?? []
        } catch {
            throw CleanExit.failure("--body: \(error)")
        }
        guard let command = RequestCommand.command(method: method, path: path, body: bytes, signer: signer.lowercased(), contentsSalt: salt,
                                                   now: Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))) else {
            throw CleanExit.failure("\(method.uppercased()) \(path) logs no command, or its body does not decode (a job needs --contents-salt)")
        }
        let report = Self.report(command, signer: signer.lowercased())
        if json {
            JSONOutput.print(report)
        } else {
            print(report["command_bytes_hex"] as! String)
        }
    }

    /// What `--json` prints: the command's name, its actor, and its bytes (hex, and how many).
    static func report(_ command: Command, signer: String) -> [String: Any] {
        let bytes = CommandStatement.commandBytes(actor: signer, command: command)
        return ["command": command.name, "actor": signer, "command_bytes_hex": Hex.encode(bytes), "command_bytes": bytes.count]
    }
}
