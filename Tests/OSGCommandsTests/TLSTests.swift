import Foundation
import HummingbirdTesting
import OSGAuditTool
import OSGServer
import OSGStore
import OSGTransparency
import Testing
@testable import OSGCommands

/// The committed test-only certificates (Fixtures/tls/README.md).
enum TLSFixture {
    static func path(_ name: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/tls/\(name)").path
    }

    static var caCertificate: String { path("ca.pem") }
    static var serverCertificate: String { path("server.pem") }
    static var serverKey: String { path("server.key") }
    static var selfSignedCertificate: String { path("self-signed.pem") }
    /// The key of `self-signed.pem`, not of `server.pem`.
    static var otherKey: String { path("other.key") }

    /// A devnet coordinator on port 0 over TLS with `server.pem`, on a fresh SQLite store;
    /// `body` gets its port.
    static func withCoordinator<T: Sendable>(
        certificate: String = serverCertificate, key: String = serverKey,
        _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> T {
        // The live framework's own client speaks plain HTTP; the tests bring their own.
        try await LoopbackCoordinator.run(configure: {
            $0.devnetFaucet = true
            $0.tls = try ServerTLS.load(certificatePath: certificate, keyPath: key)
        }, body)
    }
}

@Suite("TLS: osg serve --tls-cert/--tls-key and clients that verify it")
struct TLSTests {
    @Test("a client trusting the test CA reads /ready over https, and a signed write (faucet) succeeds")
    func trustedClient() async throws {
        let keyPath = temporaryPath("tenant.key")
        try KeyFile.generate().write(to: keyPath)
        try await TLSFixture.withCoordinator { port in
            let url = "https://localhost:\(port)"
            let trust = try CoordinatorTrust.caCertificate(at: TLSFixture.caCertificate)
            let client = CoordinatorClient(baseURL: url, key: nil, trust: trust)
            #expect(try await client.send(.GET, "/ready").status == 200)
            // The IP address is in the certificate too.
            let byAddress = CoordinatorClient(baseURL: "https://127.0.0.1:\(port)", key: nil, trust: trust)
            #expect(try await byAddress.send(.GET, "/ready").status == 200)
            // The CLI verb, end to end: --ca-cert, a signed POST.
            let faucet = try FaucetCommand.parse(["5", "--coordinator", url, "--key", keyPath, "--ca-cert", TLSFixture.caCertificate])
            try await faucet.run()
            // And by hand: the balance the signed write left.
            let signed = CoordinatorClient(baseURL: url, key: try KeyFile.read(from: keyPath).privateKey, trust: trust)
            let answer = try await signed.send(.POST, "/v1/faucet", body: Array(#"{"amount":"1"}"#.utf8))
            #expect(answer.status == 200, "\(answer.errorSummary)")
            let balance = "\((answer.json as? [String: Any])?["balance"] ?? "")"
            #expect(balance.hasPrefix("6"), "\(answer.text)")
        }
    }

    @Test("a client without the CA is refused with a certificate error that says to pass --ca-cert")
    func untrustedClient() async throws {
        try await TLSFixture.withCoordinator { port in
            let client = CoordinatorClient(baseURL: "https://localhost:\(port)", key: nil)
            let failure = await #expect(throws: CoordinatorClient.Failure.self) { try await client.send(.GET, "/ready") }
            let message = failure?.description ?? ""
            #expect(message.contains("does not trust"), "\(message)")
            #expect(message.contains("--ca-cert"), "\(message)")
            // Another CA (the self-signed certificate) does not help either.
            let wrongCA = CoordinatorClient(baseURL: "https://localhost:\(port)", key: nil,
                                            trust: try CoordinatorTrust.caCertificate(at: TLSFixture.selfSignedCertificate))
            let wrong = await #expect(throws: CoordinatorClient.Failure.self) { try await wrongCA.send(.GET, "/ready") }
            #expect(wrong?.description.contains("does not trust") == true, "\(wrong?.description ?? "")")
        }
    }

    @Test("osg audit reads a published log over https with --ca-cert, and without it says why it cannot")
    func auditOverTLS() async throws {
        try await TLSFixture.withCoordinator { port in
            let prefix = "https://localhost:\(port)/log"
            // This coordinator publishes no log files (no publisher attached): a 404 answer means
            // the TLS handshake succeeded and HTTP answered.
            let trusted = HTTPLogSource(prefix: prefix, trust: try CoordinatorTrust.caCertificate(at: TLSFixture.caCertificate))
            do throws(LogSourceError) {
                _ = try await trusted.fetch("checkpoint")
            } catch {
                #expect(error.kind == .notFound, "\(error.message)")
            }
            let untrusted = HTTPLogSource(prefix: prefix)
            do throws(LogSourceError) {
                _ = try await untrusted.fetch("checkpoint")
                Issue.record("a certificate from an unknown CA was accepted")
            } catch {
                #expect(error.message.contains("--ca-cert"), "\(error.message)")
            }
        }
    }

    @Test("plain http to the TLS port gets no answer")
    func plainHTTPRefused() async throws {
        try await TLSFixture.withCoordinator { port in
            let client = CoordinatorClient(baseURL: "http://localhost:\(port)", key: nil)
            await #expect(throws: CoordinatorClient.Failure.self) { try await client.send(.GET, "/ready", timeout: .seconds(10)) }
        }
    }

    @Test("a self-signed certificate is trusted when it is itself the --ca-cert")
    func selfSigned() async throws {
        try await TLSFixture.withCoordinator(certificate: TLSFixture.selfSignedCertificate, key: TLSFixture.otherKey) { port in
            let client = CoordinatorClient(baseURL: "https://localhost:\(port)", key: nil,
                                           trust: try CoordinatorTrust.caCertificate(at: TLSFixture.selfSignedCertificate))
            #expect(try await client.send(.GET, "/ready").status == 200)
        }
    }

    @Test("a key that is not the certificate's is refused, naming the key file")
    func mismatchedKey() throws {
        let error = #expect(throws: ServerTLSError.self) {
            try ServerTLS.load(certificatePath: TLSFixture.serverCertificate, keyPath: TLSFixture.otherKey)
        }
        #expect(error?.code == .keyMismatch)
        #expect(error?.message.contains(TLSFixture.otherKey) == true, "\(error?.message ?? "")")
    }

    @Test("unreadable files and bad PEM are refused, naming the file")
    func badFiles() throws {
        let missing = temporaryPath("missing.pem")
        let unreadable = #expect(throws: ServerTLSError.self) {
            try ServerTLS.load(certificatePath: missing, keyPath: TLSFixture.serverKey)
        }
        #expect(unreadable?.code == .unreadableFile)
        #expect(unreadable?.message.contains(missing) == true)

        let garbage = temporaryPath("garbage.pem")
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let badCertificate = #expect(throws: ServerTLSError.self) {
            try ServerTLS.load(certificatePath: garbage, keyPath: TLSFixture.serverKey)
        }
        #expect(badCertificate?.code == .badPEM)
        #expect(badCertificate?.message.contains(garbage) == true)

        // A certificate where the key should be.
        let badKey = #expect(throws: ServerTLSError.self) {
            try ServerTLS.load(certificatePath: TLSFixture.serverCertificate, keyPath: TLSFixture.caCertificate)
        }
        #expect(badKey?.code == .badPEM)
        #expect(badKey?.message.contains(TLSFixture.caCertificate) == true)
    }

    @Test("an expired certificate is refused")
    func expired() throws {
        // 2100-01-01, after the fixtures' 2081 expiry.
        let error = #expect(throws: ServerTLSError.self) {
            try ServerTLS.load(certificatePath: TLSFixture.serverCertificate, keyPath: TLSFixture.serverKey, now: 4_102_444_800)
        }
        #expect(error?.code == .expired)
    }

    @Test("serve takes both --tls-cert and --tls-key, or neither")
    func bothOrNeither() throws {
        #expect(try ServeCommand.serverTLS(certificatePath: nil, keyPath: nil) == nil)
        #expect(try ServeCommand.serverTLS(certificatePath: TLSFixture.serverCertificate, keyPath: TLSFixture.serverKey) != nil)
        let onlyCertificate = #expect(throws: ServeSettingError.self) {
            try ServeCommand.serverTLS(certificatePath: TLSFixture.serverCertificate, keyPath: nil)
        }
        #expect(onlyCertificate?.description.contains("needs --tls-key") == true)
        let onlyKey = #expect(throws: ServeSettingError.self) {
            try ServeCommand.serverTLS(certificatePath: nil, keyPath: TLSFixture.serverKey)
        }
        #expect(onlyKey?.description.contains("needs --tls-cert") == true)
        #expect(throws: ServeSettingError.self) {
            try ServeCommand.serverTLS(certificatePath: TLSFixture.serverCertificate, keyPath: TLSFixture.otherKey)
        }
    }

    @Test("--ca-cert that cannot be read or holds no certificate is refused, naming the file")
    func badCAFile() throws {
        let missing = temporaryPath("nope.pem")
        let error = #expect(throws: CoordinatorTrust.Failure.self) { try CoordinatorTrust.caCertificate(at: missing) }
        #expect(error?.description.contains(missing) == true)
        let empty = temporaryPath("empty.pem")
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(throws: CoordinatorTrust.Failure.self) { try CoordinatorTrust.caCertificate(at: empty) }
        // OSG_CA_CERT is read when --ca-cert is absent.
        let fromEnvironment = try CoordinatorTrust.resolve(caCertificatePath: nil, environment: ["OSG_CA_CERT": TLSFixture.caCertificate])
        #expect(fromEnvironment.caCertificatePath == TLSFixture.caCertificate)
        #expect(try CoordinatorTrust.resolve(caCertificatePath: nil, environment: [:]).caCertificatePath == nil)
    }
}
