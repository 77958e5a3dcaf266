import Hummingbird
import OSGRequestBodies

extension APIError {
    /// The response carrying this error.
    public func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let bytes = JSONResponse.encode(body)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
