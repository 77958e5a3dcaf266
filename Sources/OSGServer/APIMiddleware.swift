import Hummingbird
import Logging
import OSGRequestBodies

/// Wraps every route (and the not-found answer): turns every error into the contract's JSON
/// error body, records request metrics, and logs requests that failed on the server's side.
///
/// A thrown ``APIError`` keeps its status. Hummingbird's own errors keep theirs with a code
/// derived from it. Anything else is a bug: answered 500 with code `internal`, logged with
/// the error, never with the request body.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    /// The methods of every route: a known path asked with another method is answered 405.
    var routeMethods: RouteMethods? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response()
        } catch let error as HTTPResponseError {
            if error.status == .notFound, let allowed = routeMethods?.allowed(for: request.uri.path), !allowed.isEmpty {
                response = Self.methodNotAllowed(request.method.rawValue, allowed: allowed).response()
            } else {
                response = Self.apiError(for: error.status).response()
            }
        } catch {
            context.logger.error("request failed with an unexpected error", metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)",
            ])
            response = APIError.internalError.response()
        }
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code,
                              nanoseconds: (ContinuousClock.now - start).nanoseconds)
        return response
    }

    /// The answer to a known path asked with a method it does not answer.
    static func methodNotAllowed(_ method: String, allowed: [String]) -> APIError {
        APIError(.methodNotAllowed, "method_not_allowed", "\(method.prefix(16)) is not allowed on this path; use \(allowed.joined(separator: ", "))",
                 headers: [.allow: allowed.joined(separator: ", ")])
    }

    static func apiError(for status: HTTPResponse.Status) -> APIError {
        switch status {
        case .notFound: .notFound("no such resource; see /openapi.json for the routes")
        case .methodNotAllowed: APIError(.methodNotAllowed, "method_not_allowed", "this method is not allowed here")
        case .contentTooLarge: APIError(.contentTooLarge, "body_too_large", "the body is too large")
        case .requestTimeout: APIError(.requestTimeout, "request_timeout", "the request took too long to arrive")
        case .badRequest: .badRequest("bad_request", "the request is malformed")
        default:
            status.code >= 400 && status.code < 500
                ? APIError(status, "http_\(status.code)", status.reasonPhrase)
                : APIError.internalError
        }
    }
}

extension APIError {
    /// A server-side bug; the message hides details (they go to the log).
    static let internalError = APIError(.internalServerError, "internal", "the coordinator failed to handle this request; this is a bug, please report it")
}
