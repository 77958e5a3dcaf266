import Crypto
import Foundation
import OSGCore

/// The coordinator's X25519 key that job secrets are sealed to (`GET /v1/info`'s
/// `sealing_key`): 32 raw bytes in `<data>/sealing.key`, mode 0600, made at the first start.
/// It opens secrets only to reseal them to a leased node's agent; nothing opened is kept.
enum SealingKey {
    static func loadOrCreate(at path: String) throws -> Curve25519.KeyAgreement.PrivateKey {
        if let data = FileManager.default.contents(atPath: path) {
            do {
                return try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: data)
            } catch {
                throw StoreErrorMessage(description: "\(path) is not a 32-byte X25519 key: \(error)")
            }
        }
        let key = Curve25519.KeyAgreement.PrivateKey()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreErrorMessage(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(key.rawRepresentation)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw StoreErrorMessage(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return key
    }

    struct StoreErrorMessage: Error, CustomStringConvertible {
        var description: String
    }
}
