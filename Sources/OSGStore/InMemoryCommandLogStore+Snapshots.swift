import OSGCore
import OSGDomain

/// The in-memory store's snapshots and clean-stop record.
struct InMemorySnapshots: Sendable {
    var snapshots: [UInt64: [UInt8]] = [:]
    var cleanStop: CleanStopRecord?
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
            for old in contents.snapshots.keys.sorted(by: >).dropFirst(keep) { contents.snapshots[old] = nil }
        }
    }

    public func cleanStop() throws(StoreError) -> CleanStopRecord? {
        snapshotContents.withLock { $0.cleanStop }
    }

    public func recordCleanStop(_ record: CleanStopRecord) throws(StoreError) {
        snapshotContents.withLock { $0.cleanStop = record }
    }
}
