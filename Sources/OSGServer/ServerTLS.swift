import Foundation
import NIOSSL
import OSGDomain

/// The coordinator's TLS identity (`osg serve --tls-cert FILE --tls-key FILE`): a PEM
/// certificate chain and its private key, checked when loaded so a bad file stops the start
/// with a message that names it, not the first handshake.
///
/// ```swift
/// configuration.tls = try ServerTLS.load(certificatePath: "cert.pem", keyPath: "key.pem")
/// ```
///
/// The server speaks TLS 1.2 or newer only.
public struct ServerTLS: Sendable {
    /// The server's TLS configuration: the chain, the key, TLS 1.2 at least, HTTP/1.1 by ALPN.
    public let configuration: TLSConfiguration
    /// The leaf certificate's expiry, in seconds since 1970.
    public let notValidAfterSeconds: Int64

    /// Reads and checks a certificate chain (leaf first) and its private key, both PEM.
    ///
    /// - Parameters:
    ///   - certificatePath: the PEM certificate chain, the server's own certificate first.
    ///   - keyPath: the PEM private key of that certificate (unencrypted).
    ///   - now: the current time in seconds since 1970 (an expired certificate is refused).
    /// - Throws: ``ServerTLSError`` naming the file: unreadable, not PEM, a key that is not the
    ///   certificate's, or an expired certificate.
    public static func load(certificatePath: String, keyPath: String,
                            now: Int64 = Int64(Date().timeIntervalSince1970)) throws(ServerTLSError) -> ServerTLS {
        let certificateBytes = try read(certificatePath, what: "--tls-cert")
        let keyBytes = try read(keyPath, what: "--tls-key")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            throw ServerTLSError(.badPEM, "--tls-cert \(certificatePath) is not a PEM certificate chain (-----BEGIN CERTIFICATE-----): \(error)")
        }
        guard let leaf = chain.first else {
            throw ServerTLSError(.badPEM, "--tls-cert \(certificatePath) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw ServerTLSError(.badPEM, "--tls-key \(keyPath) is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----): \(error)")
        }
        let expiry = Int64(leaf.notValidAfter)
        guard expiry > now else {
            throw ServerTLSError(.expired, "--tls-cert \(certificatePath) expired at \(Date(timeIntervalSince1970: TimeInterval(expiry))) (unix \(expiry)); renew it")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        // BoringSSL checks that the key belongs to the leaf when a context is made: make one
        // now, so a mismatch fails the start and names both files.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ServerTLSError(.keyMismatch, "--tls-key \(keyPath) is not the private key of --tls-cert \(certificatePath) (or the pair cannot be used): \(error)")
        }
        return ServerTLS(configuration: configuration, notValidAfterSeconds: expiry)
    }

    private static func read(_ path: String, what: String) throws(ServerTLSError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerTLSError(.unreadableFile, "cannot read \(what) \(path): no such file, or not readable by this user")
        }
        return Array(data)
    }
}
