import Foundation
import OSGCore
import OSGDomain
import OSGStore

/// Checks a recovered state against the record of the last clean stop, kept in the store
/// (`clean_stop`, SQLite and PostgreSQL alike).
///
/// After a clean stop the recovered state must have exactly the recorded digest; after a
/// crash the log may only be longer (commands acknowledged after the record). A log shorter
/// than the record means acknowledged commands were lost, and the coordinator refuses to
/// start. A data folder from before the record moved into the store may still hold it in
/// `<data>/state-digest.json`; it is read when the store has none.
struct RecoveryCheck {
    var store: CoordinatorStore
    var dataDirectory: String

    var legacyPath: String { dataDirectory + "/state-digest.json" }

    /// The clean-stop record: the store's, else the legacy file's (SQLite only).
    func record() async throws(StoreError) -> CleanStopRecord? {
        if let record = try await store.cleanStop() { return record }
        guard case .sqlite = store, let data = FileManager.default.contents(atPath: legacyPath) else { return nil }
        guard let record = try? JSONDecoder().decode(CleanStopRecord.self, from: data) else {
            throw StoreError(.corrupt, "\(legacyPath) does not decode; remove it to start without the check")
        }
        return record
    }

    /// Checks `state` against the clean-stop record.
    ///
    /// - Parameter knownDigest: `state`'s digest when the caller already has it (a snapshot
    ///   whose digest was checked on loading, with nothing replayed after it), which saves
    ///   computing it again.
    func verify(_ state: CoordinatorState, knownDigest: String? = nil) async throws(StoreError) {
        guard let record = try await record() else { return }
        if state.nextSequence < record.sequence {
            throw StoreError(.corrupt, "the log holds \(state.nextSequence) entries but \(record.sequence) were recorded at the last clean stop: acknowledged commands are missing")
        }
        if state.nextSequence == record.sequence {
            let digest = knownDigest ?? state.digest
            guard digest == record.digest else {
                throw StoreError(.corrupt, "the recovered state has digest \(digest), but \(record.digest) was recorded at the last clean stop")
            }
        }
    }

    /// Records a clean stop of `state`; `digest` is its digest if the caller already has it.
    func record(_ state: CoordinatorState, digest: String? = nil) async throws(StoreError) {
        try await store.recordCleanStop(CleanStopRecord(sequence: state.nextSequence, digest: digest ?? state.digest))
        if case .sqlite = store { try? FileManager.default.removeItem(atPath: legacyPath) }
    }
}
