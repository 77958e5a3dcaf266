import OSGCore

extension AcceptedNonce {
    /// The nonces of one append as stored: one line per nonce, `<signer> <nonce> <timestamp>\n`
    /// (signers are hex, nonces `[A-Za-z0-9_-]`, so no field holds a space or a newline).
    static func encodeBatch(_ nonces: [AcceptedNonce]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(nonces.count * 112)
        for nonce in nonces {
            bytes += nonce.signer.utf8
            bytes.append(UInt8(ascii: " "))
            bytes += nonce.nonce.utf8
            bytes.append(UInt8(ascii: " "))
            bytes += String(nonce.timestamp).utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// The nonces of a stored batch (``encodeBatch(_:)``).
    /// - Throws: ``StoreError`` `corrupt` when a line is not three fields with a whole timestamp.
    static func decodeBatch(_ bytes: some Collection<UInt8>) throws(StoreError) -> [AcceptedNonce] {
        var nonces: [AcceptedNonce] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 3, let timestamp = Int64(String(decoding: fields[2], as: UTF8.self)) else {
                throw StoreError(.corrupt, "request_nonce_batch holds a line that is not `<signer> <nonce> <timestamp>`")
            }
            nonces.append(AcceptedNonce(signer: String(decoding: fields[0], as: UTF8.self),
                                        nonce: String(decoding: fields[1], as: UTF8.self), timestamp: timestamp))
        }
        return nonces
    }
}
