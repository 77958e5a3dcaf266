import HTTPTypes

/// A refused request: an HTTP status (always 4xx for the client's mistakes), a stable code, a
/// message naming what is wrong and how to fix it, and the field concerned when there is one.
///
/// Rendered as the contract's error body (DESIGN.md §7):
///
/// ```json
/// {"error": {"code": "wrong_type", "message": "nodes must be a list of node ids", "field": "nodes"}}
/// ```
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status to answer with.
    public var status: HTTPResponse.Status
    /// A stable, machine-readable code (`snake_case`).
    public var code: String
    /// What is wrong and what to do.
    public var message: String
    /// The request field concerned (dotted path), when there is one.
    public var field: String?
    /// Extra headers for the answer (e.g. `Retry-After`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, headers: HTTPFields = [:]) {
        precondition(status.code >= 400, "an APIError is a refusal")
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" + (field.map { " (field \($0))" } ?? "") }

    /// The JSON body of this error.
    public var body: ErrorBody { ErrorBody(error: .init(code: code, message: message, field: field)) }

    /// The wire form: `{"error": {"code", "message", "field"}}`.
    public struct ErrorBody: Codable, Sendable, Equatable {
        public struct Detail: Codable, Sendable, Equatable {
            public var code: String
            public var message: String
            public var field: String?
        }
        public var error: Detail
    }
}

extension APIError {
    package static func badRequest(_ code: String, _ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code, message, field: field)
    }

    package static func notFound(_ message: String, field: String? = nil) -> APIError {
        APIError(.notFound, "not_found", message, field: field)
    }

    package static func forbidden(_ message: String, field: String? = nil) -> APIError {
        APIError(.forbidden, "not_owner", message, field: field)
    }
}
