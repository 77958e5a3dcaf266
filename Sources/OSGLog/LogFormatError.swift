/// A checkpoint, signed note, key or test vector that is not well formed.
///
/// This is distinct from a verification verdict: a well-formed note whose signature does not
/// verify is a ``NoteVerification/rejected(_:)``, not a `LogFormatError`. `code` is stable;
/// `field` names the part that is wrong; `message` says what was found and what is expected.
public struct LogFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable reason. The codes are in the
    /// `ReasonCode` extension below.
    public typealias Code = ReasonCode<LogFormatError>

    /// The stable reason code.
    public let code: Code
    /// The part of the input that is wrong, e.g. `"signature line 2"` or `"tree size"`.
    public let field: String
    /// What was found and what is expected.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { "\(code) (\(field)): \(message)" }
}

extension ReasonCode where Owner == LogFormatError {
    /// The note is not valid UTF-8 or contains a control character other than newline.
    public static var noteInvalidText: Self { Self(rawValue: "note_invalid_text") }
    /// The note has no blank line separating the text from the signatures.
    public static var noteMissingBlankLine: Self { Self(rawValue: "note_missing_blank_line") }
    /// The note text is empty, or the note does not end in a newline.
    public static var noteMissingNewline: Self { Self(rawValue: "note_missing_newline") }
    /// The note has no signature lines.
    public static var noteNoSignatures: Self { Self(rawValue: "note_no_signatures") }
    /// The note has more signature lines than a verifier accepts.
    public static var noteTooManySignatures: Self { Self(rawValue: "note_too_many_signatures") }
    /// A signature line is not `— <name> <base64>`.
    public static var noteBadSignatureLine: Self { Self(rawValue: "note_bad_signature_line") }
    /// A key name is empty or contains a space or a plus sign.
    public static var badKeyName: Self { Self(rawValue: "bad_key_name") }
    /// A key string is not `name+hash+base64` (verifier) or `PRIVATE+KEY+name+hash+base64` (signer).
    public static var badKey: Self { Self(rawValue: "bad_key") }
    /// The key hash in a key string does not match the name and key.
    public static var keyHashMismatch: Self { Self(rawValue: "key_hash_mismatch") }
    /// The key's algorithm byte is not Ed25519 (0x01).
    public static var unsupportedKeyAlgorithm: Self { Self(rawValue: "unsupported_key_algorithm") }
    /// The checkpoint body is not origin, size, root hash and optional extension lines.
    public static var badCheckpoint: Self { Self(rawValue: "bad_checkpoint") }
    /// A test-vector file is not the JSON format of transparency-dev/merkle.
    public static var badTestVector: Self { Self(rawValue: "bad_test_vector") }
    /// A tile path is not `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    public static var badTilePath: Self { Self(rawValue: "bad_tile_path") }
    /// Tile contents are not whole 32-byte hashes of the expected count.
    public static var badTile: Self { Self(rawValue: "bad_tile") }
    /// An entry bundle is not a sequence of 2-byte length-prefixed entries, or an entry is
    /// longer than 65,535 bytes.
    public static var badEntryBundle: Self { Self(rawValue: "bad_entry_bundle") }
    /// Text that should be standard padded base64 is not.
    public static var badBase64: Self { Self(rawValue: "bad_base64") }
}
