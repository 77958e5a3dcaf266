import Foundation
import OSGLog

/// A kind of transparency-dev/merkle proof vector that ``LogVerifyProofCommand`` can check.
protocol LogVerifiableProof: Sendable {
    /// The word after `verify-` in the verb's name and before "proof" in its abstract.
    static var proofKind: String { get }
    /// The JSON fields of the format, `proof` last, as the help names them.
    static var jsonFields: [String] { get }
    /// Decodes a vector; a ``LogFormatError`` makes the input malformed (exit status 2).
    static func decode(json: Data) throws(LogFormatError) -> Self
    /// Checks the proof; a ``ProofVerificationError`` rejects it (exit status 1).
    func verify() throws(ProofVerificationError)
    /// What a verified proof shows, printed after `verified: `.
    var verifiedReason: String { get }
}
