import Foundation
import Hummingbird
import HummingbirdTesting
import OSGServer
import Testing

@Suite("The transparency-log folder is served read-only and safely")
struct LogDirectoryTests {
    @Test("files are served with their types and cache rules; traversal, hidden files and missing files are 404")
    func serving() async throws {
        let harness = try await Harness.make()
        let log = harness.dataDirectory + "/log"
        try FileManager.default.createDirectory(atPath: log + "/tile/0", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: log + "/tile/entries", withIntermediateDirectories: true)
        try Data("example.org/log\n1\nabc=\n".utf8).write(to: URL(fileURLWithPath: log + "/checkpoint"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: log + "/tile/0/000"))
        try Data([4, 5]).write(to: URL(fileURLWithPath: log + "/tile/entries/000.p"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: harness.dataDirectory + "/coordinator.key"))
        try Data("hidden".utf8).write(to: URL(fileURLWithPath: log + "/.hidden"))
        try FileManager.default.createSymbolicLink(atPath: log + "/escape", withDestinationPath: harness.dataDirectory + "/coordinator.key")
        try await harness.test { client in
            try await client.execute(uri: "/log/checkpoint", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(response.headers[.cacheControl] == "no-cache")
            }
            try await client.execute(uri: "/log/tile/0/000", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == [1, 2, 3])
                #expect(response.headers[.contentType] == "application/octet-stream")
                #expect(response.headers[.cacheControl]?.contains("immutable") == true)
            }
            try await client.execute(uri: "/log/tile/entries/000.p", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-cache", "a partial tile changes")
            }
            for path in ["/log/../coordinator.key", "/log/%2e%2e/coordinator.key", "/log/.hidden", "/log/escape", "/log/tile/1/000",
                         "/log/tile//000", "/log/"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status.code == 404, "\(path)")
                    #expect(!String(buffer: response.body).contains("secret"))
                }
            }
        }
    }
}
