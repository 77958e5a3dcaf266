import OSGServer

extension ServeCommand {
    /// The TLS identity from `--tls-cert`/`--tls-key` (or `OSG_TLS_CERT`/`OSG_TLS_KEY`):
    /// both or neither.
    ///
    /// - Returns: `nil` when neither is given (plain HTTP).
    /// - Throws: ``ServeSettingError`` when only one is given, or the files cannot be used
    ///   (the message names the file).
    static func serverTLS(certificatePath: String?, keyPath: String?) throws(ServeSettingError) -> ServerTLS? {
        switch (certificatePath, keyPath) {
        case (nil, nil):
            return nil
        case (let certificate?, nil):
            throw ServeSettingError("--tls-cert \(certificate) needs --tls-key FILE (or OSG_TLS_KEY), its private key: give both to serve https, or neither to serve http")
        case (nil, let key?):
            throw ServeSettingError("--tls-key \(key) needs --tls-cert FILE (or OSG_TLS_CERT), its certificate chain: give both to serve https, or neither to serve http")
        case (let certificate?, let key?):
            do {
                return try ServerTLS.load(certificatePath: certificate, keyPath: key)
            } catch {
                throw ServeSettingError((error as? ServerTLSError)?.message ?? "\(error)")
            }
        }
    }
}
