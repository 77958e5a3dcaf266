import Crypto
import Foundation
import OSGDomain
import Testing

@Suite("Sealed secrets and job contents")
struct SealedSecretTests {
    @Test("a sealed secret opens only with its key, its tenant, its name and its lease")
    func bindings() throws {
        let coordinator = Curve25519.KeyAgreement.PrivateKey()
        let value = Array("token-value".utf8)
        let sealed = try SealedSecret.seal(value, to: coordinator.publicKey, info: SealedSecret.submissionInfo(name: "TOKEN", tenant: "alice"))
        #expect(try SealedSecret.open(sealed, with: coordinator, info: SealedSecret.submissionInfo(name: "TOKEN", tenant: "alice")) == value)
        #expect(throws: SealedSecret.Failure.self) { try SealedSecret.open(sealed, with: coordinator, info: SealedSecret.submissionInfo(name: "TOKEN", tenant: "mallory")) }
        #expect(throws: SealedSecret.Failure.self) { try SealedSecret.open(sealed, with: coordinator, info: SealedSecret.submissionInfo(name: "OTHER", tenant: "alice")) }
        #expect(throws: SealedSecret.Failure.self) { try SealedSecret.open(sealed, with: Curve25519.KeyAgreement.PrivateKey(), info: SealedSecret.submissionInfo(name: "TOKEN", tenant: "alice")) }
        var tampered = sealed
        tampered[tampered.count - 1] ^= 1
        #expect(throws: SealedSecret.Failure.self) { try SealedSecret.open(tampered, with: coordinator, info: SealedSecret.submissionInfo(name: "TOKEN", tenant: "alice")) }
        let node = Curve25519.KeyAgreement.PrivateKey()
        let resealed = try SealedSecret.seal(value, to: node.publicKey, info: SealedSecret.leaseInfo(leaseID: "lease-1", name: "TOKEN"))
        #expect(throws: SealedSecret.Failure.self) { try SealedSecret.open(resealed, with: node, info: SealedSecret.leaseInfo(leaseID: "lease-2", name: "TOKEN")) }
        #expect(throws: SealedSecret.Failure.self) { try SealedSecret.seal([UInt8](repeating: 0, count: SealedSecret.maxValueBytes + 1), to: node.publicKey, info: Data()) }
    }

    @Test("job contents: bytes round-trip, the commitment covers every field and the salt, strict decoding")
    func contents() throws {
        let salt = [UInt8](repeating: 7, count: 32)
        let contents = JobContents(salt: salt, image: "img:1", command: ["python", "x.py"], env: [EnvironmentVariable(name: "A", value: "b")],
                                   inputs: [.init(path: "data/x", url: nil), .init(path: "y", url: "https://e.org/y")], outputs: ["out"],
                                   secrets: [JobSecret(name: "T", sealed: String(repeating: "a", count: 64))])
        #expect(try JobContents(bytes: contents.bytes) == contents)
        var other = contents
        other.salt[0] = 8
        #expect(other.commitment != contents.commitment)
        other = contents
        other.command = ["python", "y.py"]
        #expect(other.commitment != contents.commitment)
        #expect(throws: JobContents.DecodingError.self) { try JobContents(bytes: contents.bytes + [0]) }
        #expect(throws: JobContents.DecodingError.self) { try JobContents(bytes: Array(contents.bytes.dropLast())) }
    }
}
