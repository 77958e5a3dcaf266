import Foundation
import Testing
@testable import OSGLog

@Suite("transparency-dev/merkle test vectors")
struct MerkleVectorTests {
    static let inclusionFiles = Fixtures.vectorFiles(in: "inclusion")
    static let consistencyFiles = Fixtures.vectorFiles(in: "consistency")

    @Test("the fixture folder holds the vectors we expect")
    func fixturesArePresent() {
        #expect(Self.inclusionFiles.count == 20)
        #expect(Self.consistencyFiles.count == 20)
    }

    @Test("every inclusion vector verifies exactly when wantErr is false", arguments: inclusionFiles)
    func inclusionVector(path: String) throws {
        let vector = try InclusionProofVector.decode(json: Fixtures.data(path))
        try expectVerdict(path, wantError: vector.wantError, vector.description, vector.verify)
    }

    @Test("every consistency vector verifies exactly when wantErr is false", arguments: consistencyFiles)
    func consistencyVector(path: String) throws {
        let vector = try ConsistencyProofVector.decode(json: Fixtures.data(path))
        try expectVerdict(path, wantError: vector.wantError, vector.description, vector.verify)
    }

    /// Expects `verify` to throw exactly when the vector at `path` says `wantError`, which it must say.
    func expectVerdict(
        _ path: String, wantError: Bool?, _ description: String?, sourceLocation: SourceLocation = #_sourceLocation,
        _ verify: () throws(ProofVerificationError) -> Void
    ) throws {
        let wantError = try #require(wantError as Bool?, sourceLocation: sourceLocation)
        let error: ProofVerificationError?
        do { try verify(); error = nil } catch let caught { error = caught }
        #expect((error != nil) == wantError, "\(path): \(description ?? "") gave \(String(describing: error))",
                sourceLocation: sourceLocation)
    }

    struct ReferenceTree: Decodable {
        let leafInputsHex: [String]
        let leafHashesHex: [String]
        let rootHashesHex: [String]
    }

    @Test("our tree gives the reference leaf hashes and the root of every size 0 to 8")
    func referenceTree() throws {
        let reference = try JSONDecoder().decode(ReferenceTree.self, from: Fixtures.data("reference-tree.json"))
        var tree = MerkleTree()
        #expect(tree.rootHash() == Fixtures.hex(reference.rootHashesHex[0]))
        for (index, input) in reference.leafInputsHex.enumerated() {
            tree.append(entry: Fixtures.hex(input))
            #expect(tree.leafHash(at: UInt64(index)) == Fixtures.hex(reference.leafHashesHex[index]))
            #expect(tree.rootHash() == Fixtures.hex(reference.rootHashesHex[index + 1]), "root of size \(index + 1)")
        }
        for size in 0...8 {
            #expect(try tree.rootHash(size: UInt64(size)) == Fixtures.hex(reference.rootHashesHex[size]), "past root of size \(size)")
        }
    }

    @Test("a happy-path vector's proof is the proof our tree generates")
    func generatedProofMatchesVector() throws {
        let reference = try JSONDecoder().decode(ReferenceTree.self, from: Fixtures.data("reference-tree.json"))
        var tree = MerkleTree()
        for input in reference.leafInputsHex { tree.append(entry: Fixtures.hex(input)) }
        let inclusion = try InclusionProofVector.decode(json: Fixtures.data("inclusion/2/happy-path.json"))
        #expect(try tree.inclusionProof(index: inclusion.leafIndex, size: inclusion.treeSize) == inclusion.proof)
    }

    @Test("malformed vector files are format errors, not verdicts", arguments: [
        ("not json", #"{"leafIdx": 1,"#),
        ("missing treeSize", #"{"leafIdx": 0, "root": "", "leafHash": "", "proof": []}"#),
        ("missing proof", #"{"leafIdx": 0, "treeSize": 1, "root": "", "leafHash": ""}"#),
        ("string index", #"{"leafIdx": "0", "treeSize": 1, "root": "", "leafHash": "", "proof": []}"#),
        ("negative size", #"{"leafIdx": 0, "treeSize": -1, "root": "", "leafHash": "", "proof": []}"#),
        ("root not base64", #"{"leafIdx": 0, "treeSize": 1, "root": "not base64!", "leafHash": "", "proof": []}"#),
        ("proof element not base64", #"{"leafIdx": 0, "treeSize": 1, "root": "", "leafHash": "", "proof": ["AAA"]}"#),
        ("proof not an array", #"{"leafIdx": 0, "treeSize": 1, "root": "", "leafHash": "", "proof": "AA=="}"#),
        ("top level array", #"[]"#),
    ])
    func malformedInclusionFile(name: String, json: String) {
        #expect(throws: LogFormatError.self, "\(name)") {
            try InclusionProofVector.decode(json: Data(json.utf8))
        }
    }

    @Test("a null proof and an empty hash are well formed; the verdict rejects the empty hash")
    func nullProofIsWellFormed() throws {
        let vector = try InclusionProofVector.decode(
            json: Data(#"{"leafIdx": 0, "treeSize": 1, "root": "", "leafHash": "", "proof": null}"#.utf8))
        #expect(vector.proof.isEmpty)
        #expect(throws: ProofVerificationError(.leafHashWrongLength, "the leaf hash has 0 bytes, a SHA-256 hash has 32")) {
            try vector.verify()
        }
    }
}
