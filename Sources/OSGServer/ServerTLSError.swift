import OSGDomain

/// Why a TLS certificate or key cannot be used (``ServerTLS/load(certificatePath:keyPath:now:)``);
/// the message names the file and the fix.
public typealias ServerTLSError = CodedError<ServerTLSErrorCode>

/// Stable codes of ``ServerTLSError``.
public enum ServerTLSErrorCode: String, Hashable, Sendable {
    /// The file does not exist or cannot be read.
    case unreadableFile = "unreadable_file"
    /// The file is not a PEM certificate chain, or not an unencrypted PEM private key.
    case badPEM = "bad_pem"
    /// The key is not the certificate's.
    case keyMismatch = "key_mismatch"
    /// The certificate's validity has ended.
    case expired
}
