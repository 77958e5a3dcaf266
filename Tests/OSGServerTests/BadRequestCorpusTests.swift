import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OSGServer
import Testing

/// One request of the corpus in Fixtures/bad-requests.json.
struct BadRequestCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Repeat: Decodable, Sendable {
        var prefix: String
        var text: String
        var count: Int
        var suffix: String
    }
    var name: String
    var method: String
    var path: String
    var expect: Int
    var code: String?
    var field: String?
    var body: String?
    var bodyBase64: String?
    var bodyRepeat: Repeat?
    var contentType: String?
    var sign: Bool?
    var headers: [String: String]?

    enum CodingKeys: String, CodingKey {
        case name, method, path, expect, code, field, body, headers, sign
        case bodyBase64 = "body_base64", bodyRepeat = "body_repeat", contentType = "content_type"
    }

    var testDescription: String { name }

    var bodyBytes: [UInt8] {
        if let bodyBase64 { return Array(Data(base64Encoded: bodyBase64) ?? Data()) }
        if let bodyRepeat {
            return Array(bodyRepeat.prefix.utf8) + Array(String(repeating: bodyRepeat.text, count: bodyRepeat.count).utf8) + Array(bodyRepeat.suffix.utf8)
        }
        return Array((body ?? "").utf8)
    }

    static let all: [BadRequestCase] = {
        guard let url = Bundle.module.url(forResource: "Fixtures/bad-requests", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let file = try? JSONDecoder().decode(File.self, from: data)
        else { preconditionFailure("Fixtures/bad-requests.json is a resource of OSGServerTests and decodes") }
        return file.cases
    }()

    struct File: Decodable { var cases: [BadRequestCase] }
}

@Suite("Bad input never crashes the coordinator and never gets a 5xx")
struct BadRequestCorpusTests {
    @Test("every request of the corpus gets its 4xx and a JSON error naming the problem", arguments: BadRequestCase.all)
    func corpus(_ item: BadRequestCase) async throws {
        let harness = try await Harness.make()
        let signer = Participant()
        let clock = harness.clock
        try await harness.test { client in
            let body = item.bodyBytes
            var headers = HTTPFields()
            if item.sign ?? true {
                headers = try signer.headers(item.method, item.path, body: body, time: clock.now, contentType: nil, for: harness.coordinator.audience)
            }
            for (name, value) in item.headers ?? [:] {
                headers[HTTPField.Name(name)!] = value.replacingOccurrences(of: "SIGNER", with: signer.id)
            }
            if let contentType = item.contentType { headers[.contentType] = contentType }
            try await client.execute(uri: item.path, method: HTTPRequest.Method(item.method)!, headers: headers,
                                     body: body.isEmpty ? nil : ByteBuffer(bytes: body)) { response in
                let object = TestClient.object(response.body)
                let error = object["error"] as? [String: Any]
                #expect(response.status.code < 500, "never a server error")
                #expect(Int(response.status.code) == item.expect, "\(String(buffer: response.body))")
                #expect(response.headers[.contentType] == "application/json")
                #expect((error?["message"] as? String)?.isEmpty == false, "the error says what is wrong")
                if let code = item.code { #expect(error?["code"] as? String == code, "\(String(buffer: response.body))") }
                if let field = item.field { #expect(error?["field"] as? String == field, "\(String(buffer: response.body))") }
            }
            // The coordinator still answers afterwards.
            #expect(try await client.get("/health").status == 200)
        }
    }
}
