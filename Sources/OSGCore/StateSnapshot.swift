import Crypto
import Foundation
import OSGDomain

/// The byte form of a coordinator snapshot: the persistent fields of a ``CoordinatorState``
/// after the entries `0 ..< sequence`, with the state digest they must give.
///
/// Layout (integers big-endian):
///
/// | bytes | field |
/// |---|---|
/// | 8 | magic `OSGSNAP\n` |
/// | 2 | format version (``formatVersion``) |
/// | 8 | `sequence`: entries covered (the state's `nextSequence`) |
/// | 32 | the state digest (``CoordinatorState/digest``, SHA-256) |
/// | 8 | body length |
/// | 32 | SHA-256 of the body |
/// | n | body: the state's `Codable` form (derived caches left out) |
///
/// The body is ``BinaryStateEncoder``'s compact binary form in format version 2 and JSON with
/// sorted keys in version 1 (still read: older stores hold such snapshots). The same state
/// always gives the same bytes: every keyed container (dictionaries included) is written with
/// sorted keys and every array in state order, never in hash order. Decoding checks the header, the
/// body's checksum, the genesis, the sequence and finally that the decoded state has the
/// recorded digest, and throws ``SnapshotError`` on any mismatch; it never traps on bad bytes.
public enum StateSnapshot {
    /// The format version snapshots are written in: 2, a ``BinaryStateEncoder`` body.
    public static let formatVersion: UInt16 = 2
    /// The versions decoding reads: 1 (a JSON body) and 2.
    public static let readableFormatVersions: ClosedRange<UInt16> = 1...2
    static let magic = Array("OSGSNAP\n".utf8)
    static let headerSize = 8 + 2 + 8 + 32 + 8 + 32

    /// What a snapshot's header says.
    public struct Header: Hashable, Sendable {
        /// Entries covered: the snapshot is the state after entries `0 ..< sequence`.
        public var sequence: UInt64
        /// The covered state's digest (lower-case hex).
        public var digest: String
        /// Body bytes.
        public var bodyLength: UInt64
        /// The format version (1: JSON body, 2: binary body).
        public var formatVersion: UInt16 = StateSnapshot.formatVersion
    }

    /// The snapshot bytes of `state`: every stored property through the state's synthesised
    /// `Codable` conformance, except the `@DerivedCache` ones.
    ///
    /// - Parameter version: the format version to write; 1 (JSON body) only to test that older
    ///   snapshots still load.
    public static func encode(_ state: CoordinatorState, formatVersion version: UInt16 = formatVersion) throws(SnapshotError) -> [UInt8] {
        guard readableFormatVersions.contains(version) else {
            throw SnapshotError(.unsupportedVersion, "snapshot format version \(version) cannot be written")
        }
        let body: [UInt8]
        do {
            if version == 1 {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                body = Array(try encoder.encode(state))
            } else {
                body = try BinaryStateEncoder.encode(state)
            }
        } catch {
            throw SnapshotError(.malformed, "the state does not encode: \(error)")
        }
        var bytes = magic
        bytes.reserveCapacity(headerSize + body.count)
        append(version, to: &bytes)
        append(state.nextSequence, to: &bytes)
        bytes += Hex.decode(state.digest) ?? []
        append(UInt64(body.count), to: &bytes)
        bytes += SHA256.hash(data: body)
        bytes += body
        return bytes
    }

    /// Reads and checks the header of `bytes` (magic, version, length, body checksum).
    public static func header(of bytes: [UInt8]) throws(SnapshotError) -> Header {
        guard bytes.count >= headerSize else {
            throw SnapshotError(.malformed, "\(bytes.count) bytes is shorter than the \(headerSize)-byte snapshot header")
        }
        guard Array(bytes[0..<8]) == magic else { throw SnapshotError(.malformed, "the bytes do not start with the snapshot magic OSGSNAP") }
        let version = UInt16(readInteger(bytes, at: 8, width: 2))
        guard readableFormatVersions.contains(version) else {
            throw SnapshotError(.unsupportedVersion, "snapshot format version \(version); this build reads versions \(readableFormatVersions.lowerBound) to \(readableFormatVersions.upperBound)")
        }
        let sequence = readInteger(bytes, at: 10, width: 8)
        let digest = Hex.encode(bytes[18..<50])
        let bodyLength = readInteger(bytes, at: 50, width: 8)
        guard bodyLength == UInt64(bytes.count - headerSize) else {
            throw SnapshotError(.malformed, "the header announces a \(bodyLength)-byte body but \(bytes.count - headerSize) bytes follow (truncated or padded)")
        }
        guard Array(bytes[58..<90]) == Array(SHA256.hash(data: bytes[headerSize...])) else {
            throw SnapshotError(.checksumMismatch, "the body's SHA-256 does not match the header: the snapshot is damaged")
        }
        return Header(sequence: sequence, digest: digest, bodyLength: bodyLength, formatVersion: version)
    }

    /// The state `bytes` hold, with every derived cache rebuilt, checked against the header.
    ///
    /// - Parameter genesis: the log's genesis; a snapshot of another log is refused.
    public static func decode(_ bytes: [UInt8], genesis: Genesis) throws(SnapshotError) -> CoordinatorState {
        let header = try header(of: bytes)
        var state: CoordinatorState
        do {
            if header.formatVersion == 1 {
                state = try JSONDecoder().decode(CoordinatorState.self, from: Data(bytes[headerSize...]))
            } else {
                state = try BinaryStateDecoder.decode(CoordinatorState.self, from: bytes[headerSize...])
            }
        } catch {
            throw SnapshotError(.malformed, "the body does not decode as a state: \(error)")
        }
        state.rebuildDerivedState()
        guard state.genesis == genesis else { throw SnapshotError(.genesisMismatch, "the snapshot belongs to a log with another genesis") }
        guard state.nextSequence == header.sequence else {
            throw SnapshotError(.malformed, "the header says \(header.sequence) entries but the state holds \(state.nextSequence)")
        }
        let problems = state.restoredStateProblems()
        guard problems.isEmpty else { throw SnapshotError(.inconsistent, "the decoded state is inconsistent: " + problems.joined(separator: "; ")) }
        let digest = state.digest
        guard digest == header.digest else {
            throw SnapshotError(.digestMismatch, "the decoded state has digest \(digest) but the snapshot recorded \(header.digest)")
        }
        return state
    }

    private static func append(_ value: some FixedWidthInteger, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }

    private static func readInteger(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64 {
        bytes[offset..<offset + width].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// Why a snapshot was refused. The message says what does not match.
public typealias SnapshotError = CodedError<SnapshotErrorCode>

/// Stable snapshot error codes.
public enum SnapshotErrorCode: String, Hashable, Sendable {
    /// The bytes are not a snapshot: short, wrong magic, wrong length, or a body that does not decode.
    case malformed
    /// A format version this build does not read.
    case unsupportedVersion = "unsupported_version"
    /// The body's checksum does not match (damaged bytes).
    case checksumMismatch = "checksum_mismatch"
    /// The snapshot is of another log.
    case genesisMismatch = "genesis_mismatch"
    /// The decoded state breaks the state's invariants.
    case inconsistent
    /// The decoded state's digest is not the recorded one.
    case digestMismatch = "digest_mismatch"
}

extension StateSnapshot {
    /// `body` under `header` with the length and checksum fixed up: lets tests build snapshots
    /// whose body is well-formed but wrong, to check what decoding refuses beyond the checksum.
    public static func rewrapForTests(header: [UInt8], body: [UInt8]) -> [UInt8] {
        var bytes = Array(header.prefix(50))
        append(UInt64(body.count), to: &bytes)
        bytes += SHA256.hash(data: body)
        return bytes + body
    }
}
