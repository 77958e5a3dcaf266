import HTTPTypes
import HummingbirdTesting
import OSGServer
import Testing

@Suite("A known path asked with another method answers 405 with Allow")
struct MethodNotAllowedTests {
    @Test("405, the Allow header and the JSON error; unknown paths stay 404", arguments: [
        ("PUT", "/v1/nodes", "GET, POST"),
        ("GET", "/v1/nodes/n1/benchmark", "POST"),
        ("DELETE", "/v1/leases/lease-1-0/usage", "POST"),
        ("POST", "/v1/stats", "GET"),
        ("PUT", "/v1/nodes/n1", "DELETE, GET, PATCH"),
        ("DELETE", "/log/checkpoint", "GET"),
        ("POST", "/", "GET"),
    ])
    func methodNotAllowed(method: String, path: String, allow: String) async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            try await client.execute(uri: path, method: HTTPRequest.Method(method)!) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == allow)
                #expect(response.headers[.contentType] == "application/json")
                let error = TestClient.object(response.body)["error"] as? [String: Any]
                #expect(error?["code"] as? String == "method_not_allowed")
                #expect((error?["message"] as? String)?.contains(allow) == true)
            }
            for unknown in ["/v1/nope", "/v1/nodes/n1/benchmark/extra", "/index.html"] {
                try await client.execute(uri: unknown, method: .put) { response in
                    #expect(response.status == .notFound, "\(unknown)")
                }
            }
        }
    }
}
