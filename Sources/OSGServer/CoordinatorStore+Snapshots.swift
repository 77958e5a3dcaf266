import OSGCore
import OSGStore

extension CoordinatorStore: SnapshotStore {
    public func snapshotSequences() async throws(StoreError) -> [UInt64] {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.snapshotSequences() }
        case .postgres(let store, _): try await store.snapshotSequences()
        case .memory(let store): try store.snapshotSequences()
        }
    }

    public func snapshot(covering sequence: UInt64) async throws(StoreError) -> [UInt8]? {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.snapshot(covering: sequence) }
        case .postgres(let store, _): try await store.snapshot(covering: sequence)
        case .memory(let store): try store.snapshot(covering: sequence)
        }
    }

    /// For SQLite, each part is its own short transaction on the store's queue, so log
    /// appends queued meanwhile wait for at most one part, not for the whole snapshot.
    public func writeSnapshot(_ bytes: [UInt8], covering sequence: UInt64, keep: Int) async throws(StoreError) {
        switch self {
        case .sqlite(let store):
            guard try await Self.offload({ () throws(StoreError) in try store.beginSnapshot(covering: sequence) }) else { return }
            let parts = SnapshotParts.split(bytes)
            for (index, part) in parts.enumerated() {
                try await Self.offload { () throws(StoreError) in try store.writeSnapshotPart(part, index: index, covering: sequence) }
            }
            try await Self.offload { () throws(StoreError) in
                try store.commitSnapshot(covering: sequence, parts: parts.count, size: bytes.count, keep: keep)
            }
        case .postgres(let store, _): try await store.writeSnapshot(bytes, covering: sequence, keep: keep)
        case .memory(let store): try store.writeSnapshot(bytes, covering: sequence, keep: keep)
        }
    }

    /// For SQLite, each batch of about a part of new segments is its own short transaction on
    /// the store's queue, and the commit another, so log appends wait for at most one of them.
    public func writeSegmentedSnapshot(
        manifest: [UInt8], segmentHashes: [[UInt8]], newSegments: [SnapshotSegment], covering sequence: UInt64, keep: Int
    ) async throws(StoreError) {
        switch self {
        case .sqlite(let store):
            guard try await Self.offload({ () throws(StoreError) in try store.beginSnapshot(covering: sequence) }) else { return }
            for batch in SnapshotParts.batches(newSegments) {
                try await Self.offload { () throws(StoreError) in try store.writeSnapshotSegments(batch) }
            }
            try await Self.offload { () throws(StoreError) in
                try store.commitSegmentedSnapshot(manifest: manifest, segmentHashes: segmentHashes, covering: sequence, keep: keep)
            }
        case .postgres(let store, _):
            try await store.writeSegmentedSnapshot(
                manifest: manifest, segmentHashes: segmentHashes, newSegments: newSegments, covering: sequence, keep: keep)
        case .memory(let store):
            try store.writeSegmentedSnapshot(
                manifest: manifest, segmentHashes: segmentHashes, newSegments: newSegments, covering: sequence, keep: keep)
        }
    }

    public func snapshotSegments(_ hashes: [[UInt8]]) async throws(StoreError) -> [[UInt8]: [UInt8]] {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.snapshotSegments(hashes) }
        case .postgres(let store, _): try await store.snapshotSegments(hashes)
        case .memory(let store): try store.snapshotSegments(hashes)
        }
    }

    public func cleanStop() async throws(StoreError) -> CleanStopRecord? {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.cleanStop() }
        case .postgres(let store, _): try await store.cleanStop()
        case .memory(let store): try store.cleanStop()
        }
    }

    public func recordCleanStop(_ record: CleanStopRecord) async throws(StoreError) {
        switch self {
        case .sqlite(let store): try await Self.offload { () throws(StoreError) in try store.recordCleanStop(record) }
        case .postgres(let store, _): try await store.recordCleanStop(record)
        case .memory(let store): try store.recordCleanStop(record)
        }
    }
}
