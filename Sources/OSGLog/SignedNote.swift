/// A C2SP signed note: UTF-8 text ending in a newline, a blank line, and one or more signature
/// lines `— <key name> <base64(key ID ‖ signature)>`.
///
/// Parsing is strict, as in Go's `golang.org/x/mod/sumdb/note`: the text is separated from the
/// signatures by the *last* blank line, every signature line must be well formed, the note must
/// end in a newline, and no control character other than newline may appear.
///
/// ```swift
/// let note = try SignedNote(parsing: Array(fileBytes))
/// let key = try NoteVerifierKey(parsing: "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8")
/// if note.verify(with: [key]).isVerified { let checkpoint = try Checkpoint(parsing: note.text) }
/// ```
public struct SignedNote: Hashable, Sendable {
    /// Verifiers must accept at least 16 signatures; like Go we refuse more than 100.
    public static let maximumSignatureCount = 100

    /// The signed text, including its final newline.
    public let text: String
    /// The signature lines, in order.
    public let signatures: [NoteSignature]

    /// Creates a note from text and signatures.
    ///
    /// - Throws: ``LogFormatError`` when the text is empty, does not end in a newline, or
    ///   contains a control character other than newline; or when a signature's key name is
    ///   invalid or its signature empty (the note could not be parsed back).
    public init(text: String, signatures: [NoteSignature]) throws(LogFormatError) {
        try Self.checkText(Array(text.utf8), field: "note text")
        guard text.hasSuffix("\n") else {
            throw LogFormatError(.noteMissingNewline, field: "note text", "the text must end in a newline")
        }
        for (number, signature) in signatures.enumerated() {
            guard NoteKeyName.isValid(signature.keyName), !signature.keyName.utf8.contains(where: { $0 < 0x20 }) else {
                throw LogFormatError(.badKeyName, field: "signature \(number + 1)",
                                     "key name \"\(signature.keyName)\" must be non-empty with no spaces and no '+'")
            }
            guard !signature.signature.isEmpty else {
                throw LogFormatError(.noteBadSignatureLine, field: "signature \(number + 1)", "the signature is empty")
            }
        }
        guard signatures.count <= Self.maximumSignatureCount else {
            throw LogFormatError(.noteTooManySignatures, field: "note",
                                 "\(signatures.count) signatures; at most \(Self.maximumSignatureCount) are accepted")
        }
        self.text = text
        self.signatures = signatures
    }

    /// Parses a signed note from its bytes.
    ///
    /// - Throws: ``LogFormatError`` for any deviation from the format.
    public init(parsing bytes: [UInt8]) throws(LogFormatError) {
        try Self.checkText(bytes, field: "note")
        guard let blank = Self.lastBlankLine(in: bytes) else {
            throw LogFormatError(.noteMissingBlankLine, field: "note",
                                 "no blank line separates the text from the signature lines")
        }
        let textBytes = bytes[..<(blank + 1)]
        let signatureBytes = bytes[(blank + 2)...]
        guard !signatureBytes.isEmpty else {
            throw LogFormatError(.noteNoSignatures, field: "note", "the note has no signature lines after the blank line")
        }
        guard signatureBytes.last == UInt8(ascii: "\n") else {
            throw LogFormatError(.noteMissingNewline, field: "note", "the last signature line must end in a newline")
        }
        let lines = String(decoding: signatureBytes.dropLast(), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count <= Self.maximumSignatureCount else {
            throw LogFormatError(.noteTooManySignatures, field: "note",
                                 "\(lines.count) signature lines; at most \(Self.maximumSignatureCount) are accepted")
        }
        var signatures = [NoteSignature]()
        for (number, line) in lines.enumerated() {
            signatures.append(try NoteSignature(parsingLine: line, lineNumber: number + 1))
        }
        self.text = String(decoding: textBytes, as: UTF8.self)
        self.signatures = signatures
    }

    /// Parses a signed note from a string.
    public init(parsing string: String) throws(LogFormatError) {
        try self.init(parsing: Array(string.utf8))
    }

    /// Signs `text` with each signer and returns the note.
    ///
    /// - Throws: ``LogFormatError`` when the text is not valid note text.
    public static func sign(text: String, with signers: [NoteSignerKey]) throws(LogFormatError) -> SignedNote {
        let message = Array(text.utf8)
        let signatures = signers.map {
            NoteSignature(keyName: $0.name, keyID: $0.keyID, signature: $0.sign(message))
        }
        return try SignedNote(text: text, signatures: signatures)
    }

    /// The note as text: the text, a blank line, and one line per signature.
    public var formatted: String {
        text + "\n" + signatures.map { $0.line + "\n" }.joined()
    }

    /// Checks the signatures against trusted keys (see ``NoteVerification`` for the rules).
    public func verify(with keys: [NoteVerifierKey]) -> NoteVerification {
        let message = Array(text.utf8)
        var verifiedNames = [String]()
        for signature in signatures {
            guard let key = keys.first(where: { $0.name == signature.keyName && $0.keyID == signature.keyID }) else {
                continue  // unknown key: ignored
            }
            guard key.isValidSignature(signature.signature, for: message) else {
                return .rejected(.init(
                    code: .invalidSignature,
                    message: "the signature by \(key.name)+\(NoteKeyName.hex(key.keyID)) does not verify"))
            }
            if !verifiedNames.contains(key.name) { verifiedNames.append(key.name) }
        }
        guard !verifiedNames.isEmpty else {
            let names = keys.map { "\($0.name)+\(NoteKeyName.hex($0.keyID))" }.joined(separator: ", ")
            return .rejected(.init(
                code: .noSignatureByKey,
                message: "no signature by \(names.isEmpty ? "any trusted key" : names) among \(signatures.count) signature line(s)"))
        }
        return .verified(keyNames: verifiedNames)
    }

    /// Checks `verify(with: [key])`.
    public func verify(with key: NoteVerifierKey) -> NoteVerification {
        verify(with: [key])
    }

    /// Rejects bytes that are not UTF-8 or hold a control character other than newline.
    private static func checkText(_ bytes: [UInt8], field: String) throws(LogFormatError) {
        if let control = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x0A }) {
            throw LogFormatError(.noteInvalidText, field: field,
                                 "byte \(control) is control character 0x\(String(bytes[control], radix: 16)); only newline is allowed")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw LogFormatError(.noteInvalidText, field: field, "the note is not valid UTF-8")
        }
        guard !bytes.isEmpty else {
            throw LogFormatError(.noteMissingNewline, field: field, "the note is empty")
        }
    }

    /// Index of the first newline of the last "\n\n" pair.
    private static func lastBlankLine(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0A && bytes[index + 1] == 0x0A { return index }
            index -= 1
        }
        return nil
    }
}
