import AsyncHTTPClient
import Foundation
import OSGTransparency

/// A published log at an HTTP(S) URL prefix, e.g. `http://127.0.0.1:8080/log` (the coordinator
/// serves its log directory there; any static mirror works the same).
package struct HTTPLogSource: LogSource {
    /// The URL prefix, without a trailing slash.
    package let prefix: String
    let client: HTTPClient
    /// The certificates an https source may present.
    let trust: CoordinatorTrust

    /// The largest file fetched (a full entry bundle of 256 maximal entries is 16 MiB).
    package static let maximumBodyBytes = 17 << 20

    package init(prefix: String, trust: CoordinatorTrust = .system) {
        self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        self.trust = trust
        client = prefix.lowercased().hasPrefix("https:") ? CoordinatorTrust.httpsClient : .shared
    }

    package var location: String { prefix }

    package func fetch(_ path: String) async throws(LogSourceError) -> [UInt8] {
        let url = prefix + "/" + path
        do {
            var request = HTTPClientRequest(url: url)
            if url.lowercased().hasPrefix("https:") { request.tlsConfiguration = trust.tlsConfiguration }
            let response = try await client.execute(request, timeout: .seconds(30))
            if response.status == .notFound {
                throw LogSourceError(.notFound, path: path, "GET \(url): 404 Not Found")
            }
            guard response.status == .ok else {
                throw LogSourceError(.unreachable, path: path, "GET \(url): HTTP \(response.status.code) \(response.status.reasonPhrase)")
            }
            let body = try await response.body.collect(upTo: Self.maximumBodyBytes)
            return Array(body.readableBytesView)
        } catch let error as LogSourceError {
            throw error
        } catch {
            throw LogSourceError(.unreachable, path: path, trust.explain(error, url: prefix).map { "GET \(url): \($0)" } ?? "GET \(url): \(error)")
        }
    }
}
