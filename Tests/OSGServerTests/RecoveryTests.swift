import Foundation
import HummingbirdTesting
import OSGServer
import OSGStore
import Testing

@Suite("Graceful stop records the state digest; a start replays the log and checks it")
struct RecoveryTests {
    struct Record: Codable {
        var sequence: UInt64
        var digest: String
    }

    @Test("a clean stop records the digest; a shorter log or another digest stops the next start")
    func digestCheck() async throws {
        let harness = try await Harness.make()
        let user = Participant()
        let clock = harness.clock
        try await harness.test { client in
            let deposit = try await client.signed(user, .post, "/v1/faucet", json: #"{"amount":"5"}"#, at: clock.now)
            #expect(deposit.status == 200)
            let submit = try await client.signed(user, .post, "/v1/jobs", json: Samples.spec(), at: clock.now)
            #expect(submit.status == 201)
        }
        // The test framework stops the application gracefully when the closure returns.
        let path = harness.dataDirectory + "/state-digest.json"
        let record = try JSONDecoder().decode(Record.self, from: try #require(FileManager.default.contents(atPath: path)))
        #expect(record.sequence == 2)
        #expect(record.digest == (await harness.coordinator.writer.read { $0.digest }))

        // The same log and the recorded digest: the start succeeds with the same state.
        let reopened = try await Harness.make(dataDirectory: harness.dataDirectory, governance: harness.governance, clock: clock)
        #expect(await reopened.coordinator.writer.logLength == 2)

        // A record claiming more entries than the log holds: acknowledged commands are missing.
        try JSONEncoder().encode(Record(sequence: 3, digest: record.digest)).write(to: URL(fileURLWithPath: path))
        await #expect(throws: StoreError.self) {
            _ = try await Harness.make(dataDirectory: harness.dataDirectory, governance: harness.governance, clock: clock)
        }
        // Another digest at the same length: the replay does not give the recorded state.
        try JSONEncoder().encode(Record(sequence: 2, digest: String(repeating: "0", count: 64))).write(to: URL(fileURLWithPath: path))
        await #expect(throws: StoreError.self) {
            _ = try await Harness.make(dataDirectory: harness.dataDirectory, governance: harness.governance, clock: clock)
        }
    }
}
