import OSGLog

/// `osg log verify-consistency FILE.json`: checks an RFC 6962 consistency proof given in the
/// transparency-dev/merkle test-vector format.
typealias LogVerifyConsistencyCommand = LogVerifyProofCommand<ConsistencyProofVector>

extension ConsistencyProofVector: LogVerifiableProof {
    static let proofKind = "consistency"
    static let jsonFields = ["size1", "size2", "root1", "root2", "proof"]

    var verifiedReason: String { "the tree of size \(size2) extends the tree of size \(size1)" }
}
