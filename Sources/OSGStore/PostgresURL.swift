import Foundation
import NIOSSL
import OSGCore
import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=…]` URL, parsed
/// into where the database is, who connects and how the connection is protected.
///
/// `sslmode` has libpq's meaning (default `prefer`):
///
/// | sslmode | TLS | certificate checked |
/// |---|---|---|
/// | `disable` | never | – |
/// | `prefer` | if the server offers it, else plain | no (chain only, when `sslrootcert` is given) |
/// | `require` | always | no (chain only, when `sslrootcert` is given) |
/// | `verify-ca` | always | chain, against `sslrootcert` or the system roots |
/// | `verify-full` | always | chain and host name (or IP address) |
///
/// `sslrootcert` is a PEM file of trusted CA certificates, or `system` for the system roots.
/// TLS 1.2 is the least accepted.
///
/// ```swift
/// let url = try PostgresURL("postgres://osg@db.internal/osg?sslmode=verify-full&sslrootcert=/etc/osg/db-ca.pem")
/// ```
public struct PostgresURL: Sendable, CustomStringConvertible {
    /// libpq's `sslmode` values that OpenStargate understands (`allow` is not one: it never
    /// protects anything `prefer` does not).
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    /// The database name; `nil`: the server's default (the user's name).
    public var database: String?
    public var sslMode: SSLMode
    /// `sslrootcert`: a PEM file of CA certificates, or `system`.
    public var sslRootCert: String?

    /// Query parameters this parser understands; any other is refused rather than ignored.
    public static let parameters = ["sslmode", "sslrootcert"]

    /// Parses `text`.
    ///
    /// - Throws: ``StoreError`` with code `io` naming what is wrong (scheme, host, user, an
    ///   unknown `sslmode` or query parameter) and the URL with its password hidden.
    public init(_ text: String) throws(StoreError) {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else {
            throw StoreError(.io, "'\(Self.redacted(text))' is not a URL of the form postgres://user@host:port/database")
        }
        self.host = host
        port = components.port ?? 5432
        self.user = user
        password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : path
        var mode = SSLMode.prefer
        var rootCert: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let parsed = SSLMode(rawValue: value) else {
                    throw StoreError(.io, "sslmode=\(item.value ?? "") in '\(Self.redacted(text))' must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                mode = parsed
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else {
                    throw StoreError(.io, "sslrootcert in '\(Self.redacted(text))' must name a PEM file of CA certificates (or be `system`)")
                }
                rootCert = value
            default:
                throw StoreError(.io, "'\(item.name)' in '\(Self.redacted(text))' is not a supported parameter; supported: \(Self.parameters.joined(separator: ", "))")
            }
        }
        sslMode = mode
        sslRootCert = rootCert
    }

    /// Whether `text` is a URL that carries a password (`postgres://user:password@…`).
    public static func containsPassword(_ text: String) -> Bool {
        URLComponents(string: text)?.password != nil
    }

    /// `text` with its password set to `password` (percent-encoded as a URL needs).
    ///
    /// - Throws: ``StoreError`` with code `io` when `text` is not a URL.
    public static func replacingPassword(in text: String, with password: String) throws(StoreError) -> String {
        guard var components = URLComponents(string: text), components.user != nil, let _ = components.host else {
            throw StoreError(.io, "'\(redacted(text))' is not a URL of the form postgres://user@host:port/database")
        }
        components.password = password
        guard let joined = components.string else {
            throw StoreError(.io, "cannot put the password into '\(redacted(text))'")
        }
        return joined
    }

    /// `text` with its password replaced by `***`, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "postgres://…"
    }

    /// The pool's configuration: address, credentials and TLS as ``sslMode`` says.
    ///
    /// - Throws: ``StoreError`` with code `io` when `sslrootcert` cannot be read or holds no
    ///   PEM certificate.
    public func clientConfiguration() throws(StoreError) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch try tlsPolicy() {
        case .disable: tls = .disable
        case .prefer(let configuration): tls = .prefer(configuration)
        case .require(let configuration): tls = .require(configuration)
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// One connection's configuration (the writer lock's), with the same TLS policy.
    ///
    /// - Throws: ``StoreError`` with code `io` when `sslrootcert` is unusable.
    public func connectionConfiguration() throws(StoreError) -> PostgresConnection.Configuration {
        let policy = try tlsPolicy()
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch policy {
            case .disable: tls = .disable
            case .prefer(let configuration): tls = .prefer(try NIOSSLContext(configuration: configuration))
            case .require(let configuration): tls = .require(try NIOSSLContext(configuration: configuration))
            }
        } catch {
            throw StoreError(.io, "cannot set up TLS for '\(description)': \(error)")
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// Whether to use TLS, and how to check the server.
    enum TLSPolicy {
        case disable
        case prefer(TLSConfiguration)
        case require(TLSConfiguration)
    }

    /// The TLS policy for ``sslMode`` and ``sslRootCert``.
    func tlsPolicy() throws(StoreError) -> TLSPolicy {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let sslRootCert, sslRootCert != "system", sslMode != .disable {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(sslRootCert)
            } catch {
                throw StoreError(.io, "sslrootcert=\(sslRootCert): cannot read it as PEM CA certificates: \(error)")
            }
            guard !certificates.isEmpty else {
                throw StoreError(.io, "sslrootcert=\(sslRootCert) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            configuration.trustRoots = .certificates(certificates)
        }
        switch sslMode {
        case .disable:
            return .disable
        case .prefer, .require:
            // libpq: encryption without authentication, unless a root certificate is named.
            configuration.certificateVerification = sslRootCert == nil ? .none : .noHostnameVerification
            return sslMode == .prefer ? .prefer(configuration) : .require(configuration)
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return .require(configuration)
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return .require(configuration)
        }
    }

    /// The URL again, without its password (for messages).
    public var description: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = user
        components.password = password == nil ? nil : "***"
        components.host = host
        components.port = port
        components.path = "/" + (database ?? "")
        var items = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
        if let sslRootCert { items.append(URLQueryItem(name: "sslrootcert", value: sslRootCert)) }
        components.queryItems = items
        return components.string ?? "postgres://\(host)"
    }
}
