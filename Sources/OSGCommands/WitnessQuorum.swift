import Foundation
import OSGAuditTool
import OSGLog
import OSGTransparency

/// What a client verb requires of the coordinator before it trusts an answer (`--witness KEY…
/// --quorum K`, or `OSG_WITNESSES` and `OSG_QUORUM`): the checkpoint it serves at
/// `/log/checkpoint` is its log's (the origin of `GET /v1/info`), signed by the key it publishes,
/// and cosigned by at least `quorum` of `witnesses` (no older than `maxAge` seconds, when set).
///
/// An honest witness cosigns only a checkpoint consistent with every one it cosigned before, so
/// a coordinator showing this client another history than it shows the witnesses (a split
/// view) cannot meet the quorum: the verb refuses to go on (`witness_quorum`). That the answers
/// follow from the log is `osg audit`'s check, not this one's.
struct WitnessQuorum: Sendable {
    let witnesses: [CosignerKey]
    let quorum: Int
    let maxAge: UInt64?

    /// Why the coordinator's checkpoint is not trusted: a stable code and what is wrong.
    struct Refusal: Error, CustomStringConvertible {
        var code: String
        var message: String
        var description: String { "\(code): \(message)" }
    }

    /// Reads `--witness` (else `OSG_WITNESSES`: keys separated by spaces or commas) and
    /// `--quorum` (else `OSG_QUORUM`, else all of them); `nil` when no witness is named.
    static func resolve(witness: [String], quorum: Int?, maxAge: UInt64?, environment: [String: String]) throws -> WitnessQuorum? {
        let texts = witness.isEmpty
            ? (environment["OSG_WITNESSES"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }).map(String.init)
            : witness
        guard !texts.isEmpty else {
            if quorum.map({ $0 > 0 }) == true { throw Refusal(code: "bad_quorum", message: "--quorum needs --witness keys (or OSG_WITNESSES)") }
            return nil
        }
        let keys = try texts.map { text in
            do { return try CosignerKey(parsing: text) } catch { throw Refusal(code: "bad_witness_key", message: "witness key \(text.prefix(80)): \(error)") }
        }
        var required = keys.count
        if let quorum {
            required = quorum
        } else if let text = environment["OSG_QUORUM"] {
            guard let value = Int(text) else { throw Refusal(code: "bad_quorum", message: "OSG_QUORUM must be a whole number, got \(text.prefix(20))") }
            required = value
        }
        guard (1...keys.count).contains(required) else {
            throw Refusal(code: "bad_quorum", message: "the quorum must be 1-\(keys.count) (the number of witness keys), got \(required)")
        }
        return WitnessQuorum(witnesses: keys, quorum: required, maxAge: maxAge)
    }

    /// Checks the checkpoint `client`'s coordinator serves; returns it when the quorum holds.
    func check(_ client: CoordinatorClient, now: UInt64 = UInt64(max(0, Date().timeIntervalSince1970))) async throws -> Checkpoint {
        let source = HTTPLogSource(prefix: client.baseURL + "/log", trust: client.trust)
        let noteBytes: [UInt8], keyBytes: [UInt8]
        do {
            noteBytes = try await source.fetch(LogLayout.checkpoint)
            keyBytes = try await source.fetch(LogLayout.verifierKey)
        } catch {
            throw Refusal(code: "no_checkpoint", message: "the coordinator serves no checkpoint to check the witnesses' cosignatures on: \(error)")
        }
        let note: SignedNote, checkpoint: Checkpoint, key: NoteVerifierKey
        do {
            note = try SignedNote(parsing: noteBytes)
            checkpoint = try Checkpoint(parsing: note.text)
            key = try NoteVerifierKey(parsing: String(decoding: keyBytes, as: UTF8.self).trimmingCharacters(in: .newlines))
        } catch {
            throw Refusal(code: "malformed_checkpoint", message: "\(error)")
        }
        let audience = try await client.audience()
        guard checkpoint.origin == audience.origin, key.name == checkpoint.origin, note.verify(with: key).isVerified else {
            throw Refusal(code: "bad_checkpoint", message: "the checkpoint of origin \(checkpoint.origin) is not the signed checkpoint of this coordinator's log (\(audience.origin))")
        }
        let (_, shortfall) = CosignerKey.quorum(of: note, among: witnesses, quorum: quorum, maxAge: maxAge, now: now)
        if let shortfall {
            throw Refusal(code: "witness_quorum", message: "\(shortfall) (the coordinator's checkpoint, size \(checkpoint.size)): it may be showing you another history than the witnesses saw; not trusting its answers")
        }
        return checkpoint
    }
}
