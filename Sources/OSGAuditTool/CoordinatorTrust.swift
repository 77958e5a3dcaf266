import AsyncHTTPClient
import Foundation
import NIOSSL

/// Which certificates the CLI accepts from an `https://` coordinator: by default those that
/// chain to the system's trust roots; with `--ca-cert FILE` (or `OSG_CA_CERT`), only those
/// that chain to the CA certificates in that PEM file (a private CA, or the coordinator's own
/// self-signed certificate). Either way the host name is checked and TLS 1.2 is the least
/// accepted. There is deliberately no way to turn verification off.
package struct CoordinatorTrust: Sendable {
    /// Why a `--ca-cert` file cannot be trusted: the file and what is wrong with it.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// The client TLS configuration requests to an `https://` coordinator use.
    package let tlsConfiguration: TLSConfiguration
    /// The `--ca-cert` file, when one is trusted instead of the system roots.
    package let caCertificatePath: String?

    /// The system's trust roots.
    package static let system = CoordinatorTrust(trustRoots: .default, caCertificatePath: nil)

    private init(trustRoots: NIOSSLTrustRoots, caCertificatePath: String?) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        configuration.trustRoots = trustRoots
        tlsConfiguration = configuration
        self.caCertificatePath = caCertificatePath
    }

    /// Trusts only the CA certificates in the PEM file at `path`.
    ///
    /// - Throws: ``Failure`` naming the file when it cannot be read or holds
    ///   no PEM certificate.
    package static func caCertificate(at path: String) throws -> CoordinatorTrust {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "cannot read --ca-cert \(path): no such file, or not readable by this user")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(Array(data))
        } catch {
            throw Failure(description: "--ca-cert \(path) is not a PEM certificate file (-----BEGIN CERTIFICATE-----): \(error)")
        }
        guard !certificates.isEmpty else {
            throw Failure(description: "--ca-cert \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return CoordinatorTrust(trustRoots: .certificates(certificates), caCertificatePath: path)
    }

    /// The HTTP client for `https://` coordinators: like `HTTPClient.shared`, except that a
    /// connection that cannot be established (an untrusted certificate above all) fails the
    /// request at once instead of being retried until the request's deadline. Lives as long as
    /// the process, like `shared`.
    package static let httpsClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// `--ca-cert` if given, else `OSG_CA_CERT` if set, else the system roots.
    package static func resolve(caCertificatePath: String?, environment: [String: String]) throws -> CoordinatorTrust {
        guard let path = caCertificatePath ?? environment["OSG_CA_CERT"].flatMap({ $0.isEmpty ? nil : $0 }) else { return .system }
        return try caCertificate(at: path)
    }

    /// A sentence for a failed request whose cause was the TLS handshake; `nil` for others.
    package func explain(_ error: any Error, url: String) -> String? {
        let text = String(describing: error)
        let rejected = text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("failedToValidateHostname")
            || text.contains("certificate verify failed")
        if rejected {
            let fix = caCertificatePath.map { "it does not chain to --ca-cert \($0) or does not name this host" }
                ?? "if it is self-signed or from a private CA, pass --ca-cert FILE (or set OSG_CA_CERT)"
            return "the coordinator at \(url) presented a TLS certificate this client does not trust (\(text)); \(fix)"
        }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            return "the TLS handshake with the coordinator at \(url) failed (\(text)); is it serving https with TLS 1.2 or newer?"
        }
        return nil
    }
}
