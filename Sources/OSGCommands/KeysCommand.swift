import ArgumentParser
import Foundation
import OSGDomain

/// `osg keys`: create and inspect Ed25519 identity key files.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and inspect Ed25519 identity keys.",
        subcommands: [New.self, Show.self]
    )

    /// `osg keys new`: writes a new key file readable only by its owner.
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new Ed25519 key file (mode 0600); refuses to overwrite an existing file."
        )

        @Option(name: .long, help: "Where to write the key file.")
        var out: String = "osg.key"

        @Flag(name: .long, help: "Print one JSON object instead of text.")
        var json = false

        func run() throws {
            let key = KeyFile.generate()
            do {
                try key.write(to: out)
            } catch {
                throw CleanExit.failure("\(error)")
            }
            if json {
                JSONOutput.print(["file": out, "public_key": key.identity.id, "algorithm": "ed25519"])
            } else {
                print("wrote \(out) (mode 0600)")
                print("public key: \(key.identity.id)")
            }
        }
    }

    /// `osg keys show`: prints the public key of a key file.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the public key (identity) of a key file.")

        @Option(name: .long, help: "The key file to read.")
        var key: String = "osg.key"

        @Flag(name: .long, help: "Print one JSON object instead of text.")
        var json = false

        func run() throws {
            let file: KeyFile
            do {
                file = try KeyFile.read(from: key)
            } catch {
                throw CleanExit.failure("\(error)")
            }
            if json {
                JSONOutput.print(["file": key, "public_key": file.identity.id, "algorithm": "ed25519"])
            } else {
                print(file.identity.id)
            }
        }
    }
}

extension CleanExit {
    /// Prints `message` to standard error and exits with status 1.
    static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(1)
    }
}
