import Foundation
import OSGLog

/// Reads the checkpoint signing key: either a note signer key (`PRIVATE+KEY+<name>+…`, whose
/// name must be the origin) or an `osg keys generate` key file, whose Ed25519 seed then signs
/// under the origin's name.
enum LogSignerKey {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func read(from path: String, origin: String) throws -> NoteSignerKey {
        let text = try InputFile.readText(path).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("PRIVATE+KEY+") {
            let signer = try NoteSignerKey(parsing: text)
            guard signer.name == origin else {
                throw Failure(description: "\(path): the key is named \(signer.name), but the origin is \(origin)")
            }
            return signer
        }
        let keyFile = try KeyFile.read(from: path)
        return try NoteSignerKey(name: origin, seed: Array(keyFile.privateKey.rawRepresentation))
    }
}
