import HTTPTypes
import Hummingbird
import NIOCore
import OSGRequestBodies

/// A request budget per source address, beside the per-key one: keys are free, so a single
/// host signing under fresh keys would otherwise get a fresh per-key budget with every key.
/// Every request from an address is charged, signed or not, before any signature work, so a
/// flood from one host is refused for the cost of a table lookup.
///
/// Behind a reverse proxy every request comes from the proxy: list it in `trustedProxies` and
/// the budget is charged to the address the proxy reports as the client (the right-most entry
/// of `X-Forwarded-For`, the one the proxy added).
struct SourceAddressBudget<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let limiter: RateLimiter
    /// Addresses (as `SocketAddress.ipAddress` prints them) of proxies whose
    /// `X-Forwarded-For` is believed.
    let trustedProxies: Set<String>
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // No peer (an in-process test): nothing to charge.
        guard let address = Self.source(of: request, peer: context.remoteAddress, trusting: trustedProxies) else {
            return try await next(request, context)
        }
        if case .failure(let retry) = limiter.admit(address) {
            metrics.rateLimited.increment()
            throw APIError(.tooManyRequests, "address_rate_limited",
                           "too many requests from \(address) (\(Int(limiter.perSecond)) per second, burst \(Int(limiter.burst))); retry in \(retry.seconds) s",
                           headers: [.retryAfter: String(retry.seconds)])
        }
        return try await next(request, context)
    }

    /// The address a request is charged to: the peer, or for a trusted proxy the client it
    /// forwarded for.
    static func source(of request: Request, peer: SocketAddress?, trusting proxies: Set<String>) -> String? {
        guard let ip = peer?.ipAddress else { return nil }
        guard proxies.contains(ip), let forwarded = request.headers[.xForwardedFor] else { return ip }
        let last = forwarded.split(separator: ",").last.map { $0.trimmingASCIISpaces() } ?? ""
        return last.isEmpty ? ip : String(last.prefix(64))
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
