import OSGCore
import OSGDomain

/// The in-memory store's snapshots and clean-stop record.
struct InMemorySnapshots: Sendable {
    var snapshots: [UInt64: [UInt8]] = [:]
    /// Segments of segmented snapshots by SHA-256, and the segments each snapshot uses.
    var segments: [[UInt8]: [UInt8]] = [:]
    var uses: [UInt64: Set<[UInt8]>] = [:]
    var cleanStop: CleanStopRecord?

    /// Keeps the newest `keep` snapshots and the segments they use.
    mutating func keepNewest(_ keep: Int) {
        for old in snapshots.keys.sorted(by: >).dropFirst(keep) { snapshots[old] = nil }
        uses = uses.filter { snapshots[$0.key] != nil }
        let used = uses.values.reduce(into: Set<[UInt8]>()) { $0.formUnion($1) }
        segments = segments.filter { used.contains($0.key) }
    }
}

extension InMemoryCommandLogStore: SnapshotStore {
    public func snapshotSequences() throws(StoreError) -> [UInt64] {
        snapshotContents.withLock { $0.snapshots.keys.sorted(by: >) }
    }

    public func snapshot(covering sequence: UInt64) throws(StoreError) -> [UInt8]? {
        snapshotContents.withLock { $0.snapshots[sequence] }
    }

    public func writeSnapshot(_ bytes: [UInt8], covering sequence: UInt64, keep: Int) throws(StoreError) {
        precondition(keep >= 1, "keep at least the snapshot being written")
        let logged = try count()
        guard sequence <= logged else {
            throw StoreError(.notContiguous, "snapshot covers \(sequence) entries but the log holds \(logged)")
        }
        snapshotContents.withLock { contents in
            guard contents.snapshots[sequence] == nil else { return }
            contents.snapshots[sequence] = bytes
            contents.keepNewest(keep)
        }
    }

    public func writeSegmentedSnapshot(
        manifest: [UInt8], segmentHashes: [[UInt8]], newSegments: [SnapshotSegment], covering sequence: UInt64, keep: Int
    ) throws(StoreError) {
        precondition(keep >= 1, "keep at least the snapshot being written")
        let logged = try count()
        guard sequence <= logged else {
            throw StoreError(.notContiguous, "snapshot covers \(sequence) entries but the log holds \(logged)")
        }
        try snapshotContents.withLock { (contents: inout InMemorySnapshots) throws(StoreError) in
            guard contents.snapshots[sequence] == nil else { return }
            for segment in newSegments where contents.segments[segment.hash] == nil { contents.segments[segment.hash] = segment.body }
            let missing = Set(segmentHashes).filter { contents.segments[$0] == nil }
            guard missing.isEmpty else {
                throw StoreError(.corrupt, "snapshot \(sequence): \(missing.count) of its segments are not stored")
            }
            contents.snapshots[sequence] = manifest
            contents.uses[sequence] = Set(segmentHashes)
            contents.keepNewest(keep)
        }
    }

    public func snapshotSegments(_ hashes: [[UInt8]]) throws(StoreError) -> [[UInt8]: [UInt8]] {
        snapshotContents.withLock { contents in
            var found: [[UInt8]: [UInt8]] = [:]
            for hash in hashes { found[hash] = contents.segments[hash] }
            return found
        }
    }

    public func cleanStop() throws(StoreError) -> CleanStopRecord? {
        snapshotContents.withLock { $0.cleanStop }
    }

    public func recordCleanStop(_ record: CleanStopRecord) throws(StoreError) {
        snapshotContents.withLock { $0.cleanStop = record }
    }
}
