import OSGLog

/// `osg log verify-inclusion FILE.json`: checks an RFC 6962 inclusion proof given in the
/// transparency-dev/merkle test-vector format.
typealias LogVerifyInclusionCommand = LogVerifyProofCommand<InclusionProofVector>

extension InclusionProofVector: LogVerifiableProof {
    static let proofKind = "inclusion"
    static let jsonFields = ["leafIdx", "treeSize", "root", "leafHash", "proof"]

    var verifiedReason: String { "leaf \(leafIndex) is included in the tree of size \(treeSize)" }
}
