import Logging
import OSGCore
import OSGStore

/// Recovery at start: the newest snapshot that loads, then the log after it.
///
/// Snapshots are tried newest first; one that cannot be read, does not decode, belongs to
/// another log, is ahead of the log, or decodes to a state whose digest is not the recorded
/// one is skipped with a warning, and recovery falls back to an older one or to a replay of
/// the whole log. A snapshot is only a shortcut: the log stays the record, so skipping one
/// never loses an acknowledged entry.
struct SnapshotRecovery {
    /// How a start recovered.
    struct Report: Sendable {
        /// Entries covered by the snapshot used; `nil` when the whole log was replayed.
        var snapshotSequence: UInt64?
        /// Entries replayed from the log after it.
        var entriesReplayed: UInt64
        /// Snapshots skipped, each with why.
        var skipped: [String]
        /// Time from start to the checked state.
        var duration: Duration
        /// The recovered state's digest when it is known without computing it: the snapshot's
        /// (checked when it was loaded) when no entry was replayed after it.
        var verifiedDigest: String?
        /// The segmented snapshot recovery started from, as decoded (before the replay), for the
        /// ``Snapshotter`` to build the next snapshot on; `nil` for a format 1 or 2 snapshot or none.
        var snapshotBase: StateSegmenter.Base?
    }

    let store: CoordinatorStore
    let logger: Logger

    /// The processor over the recovered state, and how it was recovered.
    func recover(genesis: Genesis) async throws(StoreError) -> (CommandProcessor<CoordinatorStore>, Report) {
        let started = ContinuousClock.now
        try await store.initialize(genesis: genesis)
        let logged = try await store.count()
        var skipped: [String] = []
        var restored: CoordinatorState?
        var restoredDigest: String?
        var base: StateSegmenter.Base?
        let sequences: [UInt64]
        do {
            sequences = try await store.snapshotSequences()
        } catch {
            skipped.append("listing snapshots: \(error)")
            logger.warning("cannot list snapshots; replaying the whole log", metadata: ["error": "\(error)"])
            sequences = []
        }
        for sequence in sequences {
            do throws(SnapshotLoadError) {
                let loaded = try await load(sequence, logged: logged, genesis: genesis)
                (restored, restoredDigest) = (loaded.state, loaded.digest)
                base = loaded.manifest.map { StateSegmenter.Base(state: loaded.state, manifest: $0) }
                break
            } catch {
                skipped.append("snapshot \(sequence): \(error.message)")
                logger.warning("skipping a snapshot that does not load; falling back to an older one or the whole log", metadata: [
                    "sequence": "\(sequence)", "error": "\(error.message)",
                ])
            }
        }
        let snapshotSequence = restored?.nextSequence
        let processor = try await CommandProcessor(store: store, genesis: genesis, restored: restored)
        let replayed = processor.state.nextSequence - (snapshotSequence ?? 0)
        let report = Report(
            snapshotSequence: snapshotSequence, entriesReplayed: replayed,
            skipped: skipped, duration: ContinuousClock.now - started, verifiedDigest: replayed == 0 ? restoredDigest : nil,
            snapshotBase: base)
        return (processor, report)
    }

    private struct SnapshotLoadError: Error {
        var message: String
    }

    /// The state of the snapshot covering `sequence`, checked, with its digest when it records
    /// one (format 1 and 2 always do; a segmented snapshot only at a clean stop) and, for a
    /// segmented snapshot, its manifest.
    private func load(_ sequence: UInt64, logged: UInt64, genesis: Genesis) async throws(SnapshotLoadError)
        -> (state: CoordinatorState, digest: String?, manifest: SnapshotManifest?)
    {
        guard sequence <= logged else {
            throw SnapshotLoadError(message: "it covers \(sequence) entries but the log holds only \(logged)")
        }
        let bytes: [UInt8]?
        do {
            bytes = try await store.snapshot(covering: sequence)
        } catch {
            throw SnapshotLoadError(message: "cannot read it: \(error)")
        }
        guard let bytes else { throw SnapshotLoadError(message: "it disappeared while starting") }
        if SnapshotManifest.isManifest(bytes) {
            do {
                let manifest = try SnapshotManifest(parsing: bytes)
                guard manifest.sequence == sequence else {
                    throw SnapshotError(.malformed, "the manifest covers \(manifest.sequence) entries, but is stored as covering \(sequence)")
                }
                let segments: [[UInt8]: [UInt8]]
                do {
                    segments = try await store.snapshotSegments(manifest.segments.map(\.hash))
                } catch {
                    throw SnapshotLoadError(message: "cannot read its segments: \(error)")
                }
                let state = try StateSnapshot.decode(manifest: manifest, segments: segments, genesis: genesis)
                return (state, manifest.digest, manifest)
            } catch let error as SnapshotLoadError {
                throw error
            } catch let error as SnapshotError {
                throw SnapshotLoadError(message: error.description)
            } catch {
                throw SnapshotLoadError(message: "\(error)")
            }
        }
        do {
            let state = try StateSnapshot.decode(bytes, genesis: genesis)
            return (state, try StateSnapshot.header(of: bytes).digest, nil)
        } catch {
            throw SnapshotLoadError(message: error.description)
        }
    }
}
