import Crypto
import OSGAuth
import OSGCore
import OSGDomain

/// Signs the command a write request asks for (docs/API.md, "Signed commands"): the
/// `OSG-Command-Signature` header over the command's statement, with the request's timestamp
/// and nonce, and for a job submission the `OSG-Contents-Salt` the commitment is made with.
/// The command is built from the request by the coordinator's own function
/// (``RequestCommand``), so both sides sign and check the same bytes.
package struct CommandSigner: Sendable {
    package let audience: RequestAudience
    package let key: Curve25519.Signing.PrivateKey

    package init(audience: RequestAudience, key: Curve25519.Signing.PrivateKey) {
        self.audience = audience
        self.key = key
    }

    /// The extra headers of `method path` with `body`; none for a request that logs no
    /// command (a read, a blob, job logs) or whose body the coordinator will refuse anyway.
    package func headers(method: String, path: String, body: [UInt8], timestamp: Int64, nonce: String) throws -> [(name: String, value: String)] {
        // A salt only for a job submission (drawn per submission; other writes need none).
        let salt = RequestCommand.isSubmission(method: method, path: path) ? JobContents.randomSalt() : nil
        let signer = Identity(publicKey: key.publicKey).id
        guard let command = RequestCommand.command(method: method, path: path, body: body, signer: signer,
                                                   contentsSalt: salt, now: Timestamp(secondsSinceEpoch: timestamp))
        else { return [] }
        let statement = CommandStatement(origin: audience.origin, genesisDigest: audience.genesisDigest)
        let proof = try statement.prove(actor: signer, command: command, signedAt: timestamp, nonce: nonce, with: key)
        var headers = [(name: SignedRequest.Header.commandSignature, value: Hex.encode(proof.signature))]
        if let salt { headers.append((SignedRequest.Header.contentsSalt, Hex.encode(salt))) }
        return headers
    }
}
