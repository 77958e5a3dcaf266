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

    /// The proof `request` carries for `command` (its `OSG-Command-Signature` over the
    /// command's statement, with the request's timestamp and nonce), checked here, in the
    /// request's task, so signature checks run on every core and not on the single writer.
    ///
    /// - Returns: `nil` when the request carries none and this log's genesis does not require
    ///   proofs (a log that predates them).
    /// - Throws: 401 `missing_command_signature` when the genesis requires a proof and there
    ///   is none; 401 `bad_command_signature` when the signature is not the signer's over this
    ///   command (the client built another command from its request: the statement's SHA-256
    ///   is in the message, to compare with the client's).
    /// Authenticates `write` by the signature over `command` (or, for a write without one, by
    /// its request signature, checked already) and returns it with the proof to log.
    ///
    /// - Throws: 401 `bad_command_signature` (nothing recorded, no nonce spent) and the
    ///   refusals of ``RequestAuthenticator/complete(_:commandSignatureIsValid:)`` and
    ///   ``commandProof(of:by:)``.
    func verify(_ command: Command, of write: RequestAuthenticator.UnverifiedWrite) throws(APIError)
        -> (request: RequestAuthenticator.Authenticated, proof: CommandProof?) {
        if let authenticated = write.authenticated {
            return (authenticated, try commandProof(of: command, by: authenticated))
        }
        guard let signed = write.signed, let signature = write.commandSignature else {
            preconditionFailure("an unverified write holds its request and command signature")
        }
        let proof = CommandProof(signer: signed.signer.rawKey, signedAt: signed.timestamp, nonce: signed.nonce, signature: signature)
        let statement = commandStatement.bytes(actor: signed.signer.id, command: command, signedAt: proof.signedAt, nonce: proof.nonce)
        let request = try authenticator.complete(write, commandSignatureIsValid: proof.verifies(statement))
        return (request, proof)
    }

    func commandProof(of command: Command, by request: RequestAuthenticator.Authenticated) throws(APIError) -> CommandProof? {
        guard let signature = request.commandSignature else {
            guard configuration.genesis.signedCommands == nil else {
                metrics.authFailures.increment()
                throw APIError(.unauthorized, "missing_command_signature",
                               "\(SignedRequest.Header.commandSignature) is missing: this log keeps every participant's signature over the command it asks for (docs/API.md, \"Signed commands\")",
                               field: SignedRequest.Header.commandSignature)
            }
            return nil
        }
        let actor = request.signer.id
        let proof = CommandProof(signer: request.signer.rawKey, signedAt: request.nonce.timestamp, nonce: request.nonce.nonce, signature: signature)
        let statement = commandStatement.bytes(actor: actor, command: command, signedAt: proof.signedAt, nonce: proof.nonce)
        guard proof.verifies(statement) else {
            metrics.authFailures.increment()
            throw APIError(.unauthorized, "bad_command_signature",
                           "\(SignedRequest.Header.commandSignature) is not this key's signature over the command the request asks for (statement SHA-256 \(Hex.encode(SHA256.hash(data: statement)))); docs/TRANSPARENCY_LOG.md, \"Command proofs\", gives the bytes",
                           field: SignedRequest.Header.commandSignature)
        }
        return proof
    }
}
