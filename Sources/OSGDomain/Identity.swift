import Crypto

/// A participant's identity: an Ed25519 public key.
///
/// Tenants, operators and agents are their keys; there are no passwords. The text form is
/// the 64-character lower-case hex of the 32-byte raw key, which is also the participant's
/// id wherever the domain names one (`ComputeNode.operatorID`, `Order.tenantID`).
public struct Identity: Hashable, Sendable, CustomStringConvertible {
    /// The 32 raw bytes of the Ed25519 public key.
    public let rawKey: [UInt8]

    /// Creates an identity from a swift-crypto public key.
    public init(publicKey: Curve25519.Signing.PublicKey) {
        rawKey = Array(publicKey.rawRepresentation)
    }

    /// Parses the 64-character hex form; `nil` when it is not a valid Ed25519 public key.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == 32,
              (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil
        else { return nil }
        rawKey = bytes
    }

    /// The swift-crypto key, for verifying signatures.
    public var publicKey: Curve25519.Signing.PublicKey {
        // rawKey was validated on construction.
        try! Curve25519.Signing.PublicKey(rawRepresentation: rawKey)
    }

    /// Whether `signature` is this identity's signature over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        publicKey.isValidSignature(signature, for: message)
    }

    /// The id used across the domain: hex of the raw key.
    public var id: String { Hex.encode(rawKey) }

    public var description: String { id }
}

extension Identity: TextCodable {
    init?(codableText text: String) { self.init(hex: text) }
    var codableText: String { id }
    static var codableTextExpectation: String { "a hex Ed25519 public key" }
}

/// Lower-case hexadecimal encoding.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Hex text of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        // Contiguous bytes (arrays, buffers, digests' bytes) go straight into the string's
        // storage; anything else is gathered into an array first.
        bytes.withContiguousStorageIfAvailable { buffer in
            String(unsafeUninitializedCapacity: buffer.count * 2) { out in
                for (index, byte) in buffer.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0x0F)]
                }
                return buffer.count * 2
            }
        } ?? encode(Array(bytes))
    }

    /// The value of one hex digit (either case); `nil` for any other byte.
    @inlinable
    public static func digitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Bytes of hex `text` (either case); `nil` for odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = digitValue(utf8[index]), let low = digitValue(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
