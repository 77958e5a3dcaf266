/// The verdict of checking a signed note against trusted keys.
///
/// Following C2SP signed-note: signatures by unknown keys (a different name *or* key ID) are
/// ignored; a signature by a known key that does not verify rejects the whole note; a note with
/// no verified signature by a known key is rejected.
public enum NoteVerification: Hashable, Sendable {
    /// At least one signature by a trusted key verified; the names of the keys that did.
    case verified(keyNames: [String])
    /// No trusted signature verified.
    case rejected(Rejection)

    /// Why a note was rejected.
    public struct Rejection: Hashable, Sendable, CustomStringConvertible {
        /// A stable, machine-readable reason. The codes are in the
        /// `ReasonCode` extension below.
        public typealias Code = ReasonCode<Rejection>

        /// The stable reason code.
        public let code: Code
        /// A sentence naming the keys involved.
        public let message: String

        public var description: String { "\(code): \(message)" }
    }

    /// Whether the note verified.
    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }
}

extension ReasonCode where Owner == NoteVerification.Rejection {
    /// No signature line carries the name and key ID of a trusted key.
    public static var noSignatureByKey: Self { Self(rawValue: "no_signature_by_key") }
    /// A signature line names a trusted key but its signature does not verify.
    public static var invalidSignature: Self { Self(rawValue: "invalid_signature") }
}
