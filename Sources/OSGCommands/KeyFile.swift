import Crypto
import Foundation
import OSGDomain

/// An Ed25519 key pair stored as a small JSON file with owner-only permissions.
///
/// ```json
/// {"algorithm":"ed25519","public_key":"<64 hex>","private_key":"<64 hex seed>"}
/// ```
struct KeyFile {
    let privateKey: Curve25519.Signing.PrivateKey

    var identity: Identity { Identity(publicKey: privateKey.publicKey) }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func generate() -> KeyFile {
        KeyFile(privateKey: Curve25519.Signing.PrivateKey())
    }

    /// Writes the key to `path` with mode 0600; fails if anything exists there already.
    func write(to path: String) throws {
        let body: [String: String] = [
            "algorithm": "ed25519",
            "public_key": identity.id,
            "private_key": Hex.encode(privateKey.rawRepresentation),
        ]
        let data = Data((JSONOutput.string(body) + "\n").utf8)
        // O_EXCL makes "refuse to overwrite" atomic: no check-then-write race.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it already exists; choose another --out or remove it first"
                : String(cString: strerror(errno))
            throw Failure(description: "cannot write key file \(path): \(reason)")
        }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            throw Failure(description: "cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The key at `path`, written there first (mode 0600) when there is no file.
    static func readOrCreate(at path: String) throws -> KeyFile {
        if !FileManager.default.fileExists(atPath: path) { try generate().write(to: path) }
        return try read(from: path)
    }

    /// Reads and checks a key file: the private key must match the public key it lists.
    static func read(from path: String) throws -> KeyFile {
        let data: Data
        do {
            data = try InputFile.readData(path)
        } catch {
            throw Failure(description: "\(error)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "\(path) is not a key file (expected a JSON object)")
        }
        guard object["algorithm"] as? String == "ed25519" else {
            throw Failure(description: "\(path): algorithm must be \"ed25519\"")
        }
        guard let seedHex = object["private_key"] as? String, let seed = Hex.decode(seedHex), seed.count == 32,
              let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else {
            throw Failure(description: "\(path): private_key must be 64 hex characters")
        }
        let file = KeyFile(privateKey: privateKey)
        if let listed = object["public_key"] as? String, listed.lowercased() != file.identity.id {
            throw Failure(description: "\(path): public_key does not match private_key; the file is damaged")
        }
        return file
    }
}
