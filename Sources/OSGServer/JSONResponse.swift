import Foundation
import Hummingbird

/// JSON answers: snake_case keys, sorted for stable output, no escaped slashes.
enum JSONResponse {
    /// `JSONEncoder` is `Sendable` and safe to share for encoding.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The JSON bytes of `value`. Encoding the project's own response types cannot fail
    /// (no floating point, no non-string keys); a failure is a programming error.
    static func encode(_ value: some Encodable) -> [UInt8] {
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("response types always encode: \(error)")
        }
    }

    /// A `200 OK` (or `status`) answer with `value` as JSON.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        response(bytes: encode(value), status: status, headers: headers)
    }

    /// An answer with already encoded JSON.
    static func response(bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
