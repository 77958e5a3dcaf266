import Foundation
import OSGRequestBodies
import OSGServer
import Testing

/// The bodies of the API's writes, checked without a server (what Fuzz/FuzzRequestBodies drives).
@Suite("Request bodies by route")
struct RequestBodyKindTests {
    @Test("every route's example body is accepted", arguments: RequestBodyKind.allCases)
    func exampleAccepted(_ kind: RequestBodyKind) {
        #expect(throws: Never.self, "\(kind.rawValue)") { try kind.check(Array(kind.example.utf8)) }
    }

    @Test("a body the route accepts asks for a command, as the client's signer builds it (none for job logs and secrets)",
          arguments: RequestBodyKind.allCases)
    func bodyMakesCommand(_ kind: RequestBodyKind) {
        let command = RequestCommand.command(method: kind.method, path: kind.examplePath, body: Array(kind.example.utf8),
                                             signer: String(repeating: "ab", count: 32), contentsSalt: nil, now: .init(secondsSinceEpoch: 1_795_000_000))
        #expect((command != nil) == kind.logsCommand, "\(kind.rawValue): \(String(describing: command))")
    }

    @Test("an empty body, a non-object, an unknown field and a missing field are each a 400 naming what is wrong",
          arguments: RequestBodyKind.allCases)
    func refusals(_ kind: RequestBodyKind) throws {
        func refusal(_ body: String) -> APIError? {
            do { try kind.check(Array(body.utf8)); return nil } catch { return error }
        }
        #expect(refusal("")?.code == "missing_body")
        #expect(refusal("[1, 2]")?.status.code == 400)
        #expect(refusal("{\"a\": ")?.code == "malformed_json")
        let example = kind.example
        let unknown = refusal(String(example.dropLast()) + #", "surprise": 1}"#)
        #expect(unknown?.code == "unknown_field" && unknown?.field == "surprise", "\(String(describing: unknown))")
        // Dropping the first field of the example: a required field is named as missing.
        let object = try #require(JSONSerialization.jsonObject(with: Data(example.utf8)) as? [String: Any])
        for key in object.keys.sorted() {
            var spoiled = object
            spoiled[key] = nil
            let body = String(decoding: try JSONSerialization.data(withJSONObject: spoiled), as: UTF8.self)
            if let error = refusal(body), error.code == "missing_field" {
                #expect(error.status.code == 400 && error.field == key, "\(kind.rawValue) without \(key): \(error)")
            }
        }
    }

    @Test("ids are printable ASCII without spaces: anything else is a 400 invalid_id naming the field")
    func asciiIDs() {
        for id in ["nöde-1", "node 1", "node\u{7F}", "gpu\u{200B}node", "ｎｏｄｅ"] {
            let body = RequestBodyKind.nodeRegistration.example.replacingOccurrences(of: #""id": "gpu-node-1""#, with: #""id": "\#(id)""#)
            do {
                try RequestBodyKind.nodeRegistration.check(Array(body.utf8))
                Issue.record("node id \(id.debugDescription) was accepted")
            } catch {
                #expect(error.code == "invalid_id" && error.field == "id" && error.status.code == 400, "\(id.debugDescription): \(error)")
            }
        }
        let holder = RequestBodyKind.lockup.example.replacingOccurrences(of: "lab-7", with: "läb-7")
        #expect(throws: APIError.self) { try RequestBodyKind.lockup.check(Array(holder.utf8)) }
        let heartbeat = RequestBodyKind.heartbeats.example.replacingOccurrences(of: "gpu-node-2", with: "gpu node 2")
        #expect(throws: APIError.self) { try RequestBodyKind.heartbeats.check(Array(heartbeat.utf8)) }
    }

    @Test("the routes are exactly the JSON-body writes of openapi.json (POST /v1/jobs takes a job spec)")
    func matchesOpenAPI() throws {
        let document = try #require(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths {
            for (method, operation) in operations {
                guard let body = (operation as? [String: Any])?["requestBody"] as? [String: Any],
                      let content = body["content"] as? [String: Any], content["application/json"] != nil,
                      path != "/v1/jobs" else { continue }
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        #expect(Set(RequestBodyKind.allCases.map(\.rawValue)) == documented)
    }
}
