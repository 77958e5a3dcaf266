import Crypto
import OSGDomain
import Testing

@Suite("Identities are Ed25519 public keys")
struct IdentityTests {
    @Test("hex form round-trips and verifies signatures")
    func roundTrip() throws {
        let key = Curve25519.Signing.PrivateKey()
        let identity = Identity(publicKey: key.publicKey)
        #expect(identity.id.count == 64)
        #expect(Identity(hex: identity.id) == identity)
        let message = Array("submit job".utf8)
        let signature = Array(try key.signature(for: message))
        #expect(identity.isValidSignature(signature, for: message))
        #expect(!identity.isValidSignature(signature, for: Array("submit job!".utf8)))
    }

    @Test("malformed hex keys are refused", arguments: ["", "abc", String(repeating: "z", count: 64), String(repeating: "0", count: 62)])
    func refuses(text: String) {
        #expect(Identity(hex: text) == nil)
    }
}
