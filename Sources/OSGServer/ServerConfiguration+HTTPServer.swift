import HummingbirdCore
import HummingbirdTLS

extension ServerConfiguration {
    /// The coordinator's HTTP/1.1 server (idle connections closed after
    /// ``idleTimeoutSeconds``), behind TLS when ``tls`` is set.
    var httpServer: HTTPServerBuilder {
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(idleTimeoutSeconds)))
        guard let tls else { return http1 }
        // `.tls` only declares `throws`: the TLS context is made when the server starts, and
        // ServerTLS.load already made one from this very configuration.
        do {
            return try .tls(http1, tlsConfiguration: tls.configuration)
        } catch {
            preconditionFailure("HTTPServerBuilder.tls threw before building anything: \(error)")
        }
    }
}
