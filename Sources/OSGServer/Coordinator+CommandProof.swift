import Crypto
import OSGAuth
import OSGCore
import OSGDomain
import OSGRequestBodies

extension Coordinator {
    /// The statement participants sign for this log (its origin and genesis).
    var commandStatement: CommandStatement {
        CommandStatement(origin: authenticator.audience.origin, genesisDigest: authenticator.audience.genesisDigest)
    }

    /// Authenticates `write` by its signature over `command` (`OSG-Command-Signature`, with the
    /// request's timestamp and nonce), checked here, in the request's task, so signature checks
    /// run on every core and not on the single writer; returns it with the proof to log.
    ///
    /// A write without a command signature had its request signature checked already; its
    /// proof is `nil`, which only a log that predates proofs accepts.
    ///
    /// - Throws: 401 `missing_command_signature` when the genesis requires a proof and there is
    ///   none; the refusals of ``RequestAuthenticator/complete(_:commandSignatureIsValid:statementDigest:)``
    ///   (401 `bad_command_signature` when the signature is not the signer's over this command,
    ///   with the statement's SHA-256 to compare with the client's; nothing recorded).
    func verify(_ command: Command, of write: RequestAuthenticator.UnverifiedWrite) throws(APIError)
        -> (request: RequestAuthenticator.Authenticated, proof: CommandProof?) {
        if let authenticated = write.authenticated {
            guard configuration.genesis.signedCommands == nil else {
                metrics.authFailures.increment()
                throw APIError(.unauthorized, "missing_command_signature",
                               "\(SignedRequest.Header.commandSignature) is missing: this log keeps every participant's signature over the command it asks for (docs/API.md, \"Signed commands\")",
                               field: SignedRequest.Header.commandSignature)
            }
            return (authenticated, nil)
        }
        guard let signed = write.signed, let signature = write.commandSignature else {
            preconditionFailure("an unverified write holds its request and command signature")
        }
        let proof = CommandProof(signer: signed.signer.rawKey, signedAt: signed.timestamp, nonce: signed.nonce, signature: signature)
        let statement = commandStatement.bytes(actor: signed.signer.id, command: command, signedAt: proof.signedAt, nonce: proof.nonce)
        let request = try authenticator.complete(write, commandSignatureIsValid: proof.verifies(statement),
                                                 statementDigest: Array(SHA256.hash(data: statement)))
        return (request, proof)
    }
}
