import Crypto
import Foundation
import OSGDomain

/// The one canonical byte form of log entries and state snapshots: JSON with sorted keys.
///
/// Everything that is hashed (state digests now, Merkle leaves of the transparency log)
/// goes through here, so two implementations that agree on values agree on bytes.
public enum CanonicalEncoding {
    /// Canonical bytes of `value`.
    public static func bytes(of value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("domain values always encode: \(error)")
        }
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
