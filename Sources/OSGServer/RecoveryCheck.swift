import Foundation
import OSGCore
import OSGDomain
import OSGStore

/// Checks a recovered state against the digest recorded at the last clean stop
/// (`<data>/state-digest.json`).
///
/// After a clean stop the replayed log must give exactly the recorded digest; after a crash
/// the log may only be longer (commands acknowledged after the record). A log shorter than
/// the record means acknowledged commands were lost, and the coordinator refuses to start.
struct RecoveryCheck {
    var dataDirectory: String
    var enabled: Bool

    struct Record: Codable {
        var sequence: UInt64
        var digest: String
    }

    var path: String { dataDirectory + "/state-digest.json" }

    func verify(_ state: CoordinatorState) throws(StoreError) {
        guard enabled, let data = FileManager.default.contents(atPath: path) else { return }
        guard let record = try? JSONDecoder().decode(Record.self, from: data) else {
            throw StoreError(.corrupt, "\(path) does not decode; remove it to start without the check")
        }
        if state.nextSequence < record.sequence {
            throw StoreError(.corrupt, "the log holds \(state.nextSequence) entries but \(record.sequence) were recorded at the last clean stop: acknowledged commands are missing")
        }
        if state.nextSequence == record.sequence, state.digest != record.digest {
            throw StoreError(.corrupt, "replaying the log gives digest \(state.digest), but \(record.digest) was recorded at the last clean stop")
        }
    }

    func record(_ state: CoordinatorState) throws {
        guard enabled else { return }
        let data = try JSONEncoder().encode(Record(sequence: state.nextSequence, digest: state.digest))
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
