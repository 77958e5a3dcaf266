#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HummingbirdTesting
import OSGServer
import Testing

/// A raw TCP client, for requests no HTTP client library will send (truncated, trickled).
struct RawConnection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(descriptor); throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything the server sends until it closes or goes quiet for the receive timeout.
    func receive() -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer[0..<count]
            if String(decoding: data, as: UTF8.self).contains("}}") { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// ``receive()`` on a thread of its own: a blocking read on the cooperative pool (two
    /// threads on a two-core machine) would starve the in-process server it waits for.
    func receiveOffPool() async -> String {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.receive()) }.start()
        }
    }

    func shutdownWrite() { shutdown(descriptor, Int32(SHUT_WR)) }
    func closeConnection() { close(descriptor) }
}

@Suite("Slow and truncated bodies neither hang nor crash the coordinator")
struct SlowAndTruncatedBodyTests {
    @Test("a body that stops arriving gets 408; a truncated body is dropped; the server keeps serving")
    func slowAndTruncated() async throws {
        let harness = try await Harness.make { $0.bodyDeadlineMilliseconds = 500 }
        let user = Participant()
        let clock = harness.clock
        try await harness.coordinator.application().test(.live) { client in
            let port = try #require(client.port)
            let body = #"{"amount":"1"}"#
            let headers = try user.headers("POST", "/v1/faucet", body: Array(body.utf8), time: clock.now, for: harness.coordinator.audience)
            var head = "POST /v1/faucet HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n"
            for field in headers { head += "\(field.name.rawName): \(field.value)\r\n" }
            head += "\r\n"

            // Slow: half the body, then nothing.
            let slow = try RawConnection(port: port)
            slow.send(head + String(body.prefix(5)))
            let answer = await slow.receiveOffPool()
            slow.closeConnection()
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(answer.contains("request_timeout"))

            // Truncated: half the body, then the client hangs up.
            let truncated = try RawConnection(port: port)
            truncated.send(head + String(body.prefix(5)))
            truncated.closeConnection()

            // Still serving, and nothing was logged for either request.
            #expect(try await client.get("/health").status == 200)
            #expect(await harness.coordinator.writer.logLength == 0)
        }
    }
}
