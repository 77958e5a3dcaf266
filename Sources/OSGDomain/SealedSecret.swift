import Crypto
import Foundation

/// A secret sealed with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
/// ChaCha20-Poly1305) to one X25519 key: first to the coordinator's sealing key by
/// `osg submit --secret`, then, when a lease starts, by the coordinator to the key the leased
/// node's agent presents. The bytes: `OSG-SEALED-1`, the 32-byte encapsulated key, the
/// ciphertext. The HPKE `info` binds each sealing to its purpose and the secret's name (and
/// the lease), so a sealed value cannot be replayed under another name or lease.
public enum SealedSecret {
    static let magic = Array("OSG-SEALED-1".utf8)
    static let suite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly
    /// Largest secret value, in bytes.
    public static let maxValueBytes = 64 << 10

    /// The `info` of a secret sealed to the coordinator by `tenant` (its hex key): a sealed
    /// value copied into another tenant's job does not open.
    public static func submissionInfo(name: String, tenant: String) -> Data { Data("openstargate secret v1\n\(tenant)\n\(name)".utf8) }

    /// The `info` of a secret resealed to a leased node's agent.
    public static func leaseInfo(leaseID: String, name: String) -> Data { Data("openstargate lease secret v1\n\(leaseID)\n\(name)".utf8) }

    /// Why sealing or opening failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `value` sealed to `recipient` under `info`.
    public static func seal(_ value: [UInt8], to recipient: Curve25519.KeyAgreement.PublicKey, info: Data) throws(Failure) -> [UInt8] {
        guard value.count <= maxValueBytes else { throw Failure(description: "a secret is at most \(maxValueBytes) bytes; this one has \(value.count)") }
        do {
            var sender = try HPKE.Sender(recipientKey: recipient, ciphersuite: suite, info: info)
            let ciphertext = try sender.seal(value)
            return magic + Array(sender.encapsulatedKey) + Array(ciphertext)
        } catch {
            throw Failure(description: "cannot seal the secret: \(error)")
        }
    }

    /// The value of `sealed`, opened with `key` under `info`.
    public static func open(_ sealed: [UInt8], with key: Curve25519.KeyAgreement.PrivateKey, info: Data) throws(Failure) -> [UInt8] {
        guard sealed.count > magic.count + 32, Array(sealed.prefix(magic.count)) == magic else {
            throw Failure(description: "not a sealed secret (OSG-SEALED-1)")
        }
        let encapsulated = Data(sealed[magic.count..<magic.count + 32])
        do {
            var recipient = try HPKE.Recipient(privateKey: key, ciphersuite: suite, info: info, encapsulatedKey: encapsulated)
            return Array(try recipient.open(sealed[(magic.count + 32)...]))
        } catch {
            throw Failure(description: "the sealed secret does not open with this key and purpose")
        }
    }
}
