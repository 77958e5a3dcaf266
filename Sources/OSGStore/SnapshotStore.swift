import OSGCore
import OSGDomain

/// Durable storage for state snapshots (``StateSnapshot`` bytes) and the clean-stop record,
/// next to a command log.
///
/// A snapshot is stored under the number of log entries it covers and becomes visible in one
/// atomic step, only once all its bytes are stored; a crash while writing leaves the older
/// snapshots as they were. A segmented snapshot (format 3) is a manifest naming segments by
/// their SHA-256; segments are stored once and shared by the snapshots that name them. A snapshot is never ahead of the durable log: writing one that
/// covers more entries than the log holds is refused.
public protocol SnapshotStore: Sendable {
    /// Sequences (entries covered) of the stored snapshots, newest first.
    func snapshotSequences() async throws(StoreError) -> [UInt64]

    /// The bytes of the snapshot covering `sequence` entries, or `nil` if there is none.
    func snapshot(covering sequence: UInt64) async throws(StoreError) -> [UInt8]?

    /// Stores `bytes` as the snapshot covering `sequence` entries, then keeps only the newest
    /// `keep` snapshots. Storing a sequence that is already stored does nothing (the same
    /// entries give the same state and so the same bytes).
    ///
    /// - Throws: ``StoreError`` `not_contiguous` when the log holds fewer than `sequence` entries.
    func writeSnapshot(_ bytes: [UInt8], covering sequence: UInt64, keep: Int) async throws(StoreError)

    /// Stores a segmented (format 3) snapshot covering `sequence` entries: first the
    /// `newSegments` the store may not have (keyed by their SHA-256), then, in one atomic step,
    /// the `manifest` bytes as the snapshot's content, with every segment it names in use (a
    /// segment that is not stored by then fails the write), then keeps only the newest `keep`
    /// snapshots and the segments they use. A crash before that step leaves the stored
    /// snapshots as they were; its segments are unreferenced debris, removed by the next write.
    /// Storing a sequence that is already stored does nothing.
    ///
    /// - Parameter segmentHashes: every segment the manifest names (new and reused).
    /// - Throws: ``StoreError`` `not_contiguous` when the log holds fewer than `sequence`
    ///   entries; `corrupt` when a named segment is not stored.
    func writeSegmentedSnapshot(
        manifest: [UInt8], segmentHashes: [[UInt8]], newSegments: [SnapshotSegment], covering sequence: UInt64, keep: Int
    ) async throws(StoreError)

    /// The stored bodies of the segments named by `hashes`, by hash; a segment that is not
    /// stored is missing from the answer.
    func snapshotSegments(_ hashes: [[UInt8]]) async throws(StoreError) -> [[UInt8]: [UInt8]]

    /// What was recorded at the last clean stop, if anything.
    func cleanStop() async throws(StoreError) -> CleanStopRecord?

    /// Records a clean stop (replacing the previous record).
    func recordCleanStop(_ record: CleanStopRecord) async throws(StoreError)
}

/// The state at a clean stop: the log length and the state digest it replays to. The next
/// start checks its recovered state against it (a shorter log means acknowledged commands
/// were lost; the same length must give the same digest).
public struct CleanStopRecord: Hashable, Sendable, Codable {
    /// Entries in the log at the stop.
    public var sequence: UInt64
    /// ``CoordinatorState/digest`` at the stop.
    public var digest: String

    public init(sequence: UInt64, digest: String) {
        self.sequence = sequence
        self.digest = digest
    }
}

/// How snapshot bytes are split into rows: small enough that writing one part holds the
/// embedded store's single connection only briefly, so log appends interleave.
public enum SnapshotParts {
    /// Bytes per stored part.
    public static let partSize = 1 << 20

    /// `segments` in groups of about ``partSize`` bytes (at least one segment each): each group
    /// is one short write, so log appends interleave with a large snapshot's segments.
    public static func batches(_ segments: [SnapshotSegment]) -> [[SnapshotSegment]] {
        var batches: [[SnapshotSegment]] = []
        var current: [SnapshotSegment] = []
        var bytes = 0
        for segment in segments {
            if !current.isEmpty, bytes + segment.body.count > partSize {
                batches.append(current)
                current = []
                bytes = 0
            }
            current.append(segment)
            bytes += segment.body.count
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// `bytes` cut into parts of at most ``partSize`` bytes (at least one part).
    public static func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        guard !bytes.isEmpty else { return [bytes[...]] }
        return stride(from: 0, to: bytes.count, by: partSize).map { bytes[$0..<min(bytes.count, $0 + partSize)] }
    }

    /// The parts of a stored snapshot joined, checked against its recorded part count and size.
    static func join(_ parts: [(part: Int64, body: [UInt8])], sequence: UInt64, expectedParts: Int64, size: Int64) throws(StoreError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(max(0, size)))
        for (offset, part) in parts.enumerated() {
            guard part.part == Int64(offset) else {
                throw StoreError(.corrupt, "snapshot \(sequence): part \(offset) is missing")
            }
            bytes += part.body
        }
        guard Int64(parts.count) == expectedParts, Int64(bytes.count) == size else {
            throw StoreError(.corrupt, "snapshot \(sequence): \(parts.count) parts of \(bytes.count) bytes stored, \(expectedParts) parts of \(size) bytes recorded")
        }
        return bytes
    }
}
