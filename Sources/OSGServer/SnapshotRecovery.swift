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
                (restored, restoredDigest) = try await load(sequence, logged: logged, genesis: genesis)
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
            skipped: skipped, duration: ContinuousClock.now - started, verifiedDigest: replayed == 0 ? restoredDigest : nil)
        return (processor, report)
    }

    private struct SnapshotLoadError: Error {
        var message: String
    }

    /// The state of the snapshot covering `sequence`, checked, with its digest.
    private func load(_ sequence: UInt64, logged: UInt64, genesis: Genesis) async throws(SnapshotLoadError) -> (CoordinatorState, String) {
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
        do {
            let state = try StateSnapshot.decode(bytes, genesis: genesis)
            return (state, try StateSnapshot.header(of: bytes).digest)
        } catch {
            throw SnapshotLoadError(message: error.description)
        }
    }
}
