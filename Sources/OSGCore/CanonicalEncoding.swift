import Crypto
import Foundation
import OSGDomain

/// The one canonical byte form of what is hashed or published as JSON: the state digest's
/// snapshot, the published state (`state/<size>.json`), the genesis (whose digest every signed
/// request names) and the command log's JSON Lines. ``CanonicalJSONWriter``'s rules
/// (RFC 8785 for the values the state holds), so two implementations that agree on values
/// agree on bytes, whatever JSON library either uses.
public enum CanonicalEncoding {
    /// Canonical bytes of `value`.
    ///
    /// - Precondition: `value` holds no floating-point number, no `Data`, `Date`, `URL` or
    ///   `Decimal` and no object with a repeated key (the state's types never do).
    public static func bytes(of value: some Encodable) -> [UInt8] {
        guard let bytes = CanonicalJSONWriter.bytes(of: value) else {
            preconditionFailure("\(type(of: value)) has no canonical JSON: it holds a floating-point number, a Foundation type or a repeated key")
        }
        return bytes
    }

    /// Decodes a value from canonical (or any JSON) bytes.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }
}
