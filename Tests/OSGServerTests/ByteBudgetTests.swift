import Foundation
import HummingbirdTesting
import OSGServer
import Synchronization
import Testing

@Suite("Per-key body-byte budget")
struct ByteBudgetTests {
    /// The seconds to wait, or `nil` when admitted.
    static func wait(_ result: Result<Void, RateLimiter.RetryAfter>) -> Int? {
        if case .failure(let retry) = result { retry.seconds } else { nil }
    }

    @Test("a token bucket charged by cost: the burst, then refill at the rate, with the wait to retry")
    func costs() {
        let now = Mutex<Int64>(0)
        let limiter = RateLimiter(perSecond: 100, burst: 1_000, clock: { now.withLock { $0 } })
        #expect(Self.wait(limiter.admit("a", cost: 600)) == nil)
        #expect(Self.wait(limiter.admit("a", cost: 400)) == nil)
        #expect(Self.wait(limiter.admit("a", cost: 250)) == 3)
        #expect(Self.wait(limiter.admit("b", cost: 1_000)) == nil, "budgets are per key")
        now.withLock { $0 = 2_500_000_000 }  // 2.5 s: 250 bytes back
        #expect(Self.wait(limiter.admit("a", cost: 250)) == nil)
        #expect(Self.wait(limiter.admit("a", cost: 1)) == 1)
        #expect(Self.wait(limiter.admit("a")) == 1, "one request is a cost of 1")
    }

    @Test("a key past its byte budget gets 429 byte_budget_exceeded even for a small request; another key does not; one oversized body still gets 413")
    func budget() async throws {
        let harness = try await Harness.make { configuration in
            configuration.maxBodyBytes = 1_024
            configuration.bodyBytesPerSecondPerKey = 0.01  // no refill during the test
            configuration.bodyBytesBurstPerKey = 1_793  // two 894-byte bodies and 5 bytes
        }
        let clock = harness.clock
        let user = Participant(), other = Participant()
        let body = "{\"lines\":[\"" + String(repeating: "x", count: 880) + "\"]}"
        #expect(body.utf8.count == 894)
        try await harness.test { client in
            var codes: [String?] = []
            var statuses: [Int] = []
            for _ in 0..<3 {
                let response = try await client.signed(user, .post, "/v1/leases/lease-1/logs", json: body, at: clock.now)
                statuses.append(response.status)
                codes.append(AuthenticationTests.errorCode(response.json))
            }
            #expect(statuses[0] != 429 && statuses[1] != 429, "two bodies fit in the burst")
            #expect(statuses[2] == 429 && codes[2] == "byte_budget_exceeded")
            // 5 bytes are left: a 16-byte request is refused too.
            let small = try await client.signed(user, .post, "/v1/faucet", json: #"{"amount":"1"}"#, at: clock.now)
            #expect(small.status == 429)
            #expect(try await client.signed(other, .post, "/v1/faucet", json: #"{"amount":"1"}"#, at: clock.now).status == 200)
            let big = "{\"lines\":[\"" + String(repeating: "x", count: 4_000) + "\"]}"
            let oversized = try await client.signed(other, .post, "/v1/leases/lease-1/logs", json: big, at: clock.now)
            #expect(oversized.status == 413 && AuthenticationTests.errorCode(oversized.json) == "body_too_large")
        }
    }
}
