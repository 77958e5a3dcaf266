import Foundation
import Hummingbird
import OSGServer
import Testing

@Suite("The OpenAPI document and the router agree")
struct OpenAPIRoutesTests {
    /// `METHOD /path/{param}` for every route the router serves.
    static func routerOperations() async throws -> Set<String> {
        let harness = try await Harness.make()
        return Set(harness.coordinator.router().routes.map { route in
            let path = route.path.description.replacingOccurrences(of: "/**", with: "/{path}")
            return "\(route.method.rawValue) \(path)"
        })
    }

    /// `METHOD /path/{param}` for every operation of the served document.
    static func documentOperations() throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any]
        let paths = try #require(object?["paths"] as? [String: [String: Any]])
        var operations: Set<String> = []
        for (path, methods) in paths {
            for method in methods.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test("every route is documented and every documented operation is routed")
    func agree() async throws {
        let routed = try await Self.routerOperations()
        let documented = try Self.documentOperations()
        #expect(routed.subtracting(documented).sorted() == [], "routes missing from openapi.json")
        #expect(documented.subtracting(routed).sorted() == [], "documented operations with no route")
        #expect(routed.count > 20)
    }

    @Test("the served document is OpenAPI 3.1 and the one in the repository")
    func servedDocument() async throws {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any]
        #expect(object?["openapi"] as? String == "3.1.0")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("openapi/openapi.json")
        if let file = FileManager.default.contents(atPath: repository.path) {
            #expect(Array(file) == OpenAPIDocument.bytes)
        }
        let harness = try await Harness.make()
        try await harness.test { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == OpenAPIDocument.bytes)
            }
        }
    }
}
