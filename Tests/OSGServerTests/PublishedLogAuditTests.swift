import Foundation
import HummingbirdTesting
import OSGCore
import OSGServer
import OSGTransparency
import Synchronization
import Testing

/// The publisher a test harness opened, kept so the test can wait for its background checkpoint.
final class PublisherBox: Sendable {
    let publisher = Mutex<TransparencyLogPublisher?>(nil)
}

@Suite("The coordinator's published log passes an independent audit")
struct PublishedLogAuditTests {
    /// Opens the publisher on the harness's store, as `osg serve` does.
    static func publisher(origin: String, box: PublisherBox = PublisherBox()) -> ObserverFactory {
        ObserverFactory { store, configuration in
            try await store.initialize(genesis: configuration.genesis)
            let publisher = try await TransparencyLogPublisher.open(
                directory: configuration.logDirectory, origin: origin, seed: Array(configuration.governanceKey.rawRepresentation),
                store: store, checkpointInterval: .zero)
            box.publisher.withLock { $0 = publisher }
            return [publisher]
        }
    }

    @Test("writes through the API are checkpointed, served under /log/, and replay to the published state", arguments: ServerStoreKind.available)
    func auditAfterWrites(kind: ServerStoreKind) async throws {
        let origin = "test.openstargate/\(kind.rawValue)"
        let box = PublisherBox()
        let harness = try await Harness.make(kind, attach: Self.publisher(origin: origin, box: box)) {
            $0.publicCacheMilliseconds = 0
            $0.origin = origin
        }
        let provider = Participant(), tenant = Participant()
        let clock = harness.clock
        try await harness.test { client in
            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now).status == 201)
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"1000"}"#, at: clock.now).status == 200)
            #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now).status == 201)
            // Concurrent submissions: checkpoints are written in the background while later
            // batches are appended.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let response = try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(name: "j\(index)"), at: clock.now)
                        #expect(response.status == 201)
                    }
                }
                try await group.waitForAll()
            }
            clock.advance(by: 5)
            await harness.coordinator.governanceRound()
            try await client.execute(uri: "/log/checkpoint", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix(origin + "\n"))
            }
        }
        // As `osg serve` does at a clean stop: wait for the background checkpoint, publish the rest.
        let publisher = try #require(box.publisher.withLock { $0 })
        try await publisher.publish(state: await harness.coordinator.currentState())
        #expect(await publisher.publishedTreeSize == (await harness.coordinator.currentState()).nextSequence)
        let trust = FileManager.default.temporaryDirectory.appendingPathComponent("osg-audit-\(UInt64.random(in: 0..<UInt64.max))").path
        let report = await LogAuditor(source: DirectoryLogSource(directory: harness.dataDirectory + "/log"), trustStore: AuditTrustStore(directory: trust)).audit()
        #expect(report.verdict == .verified, "\(report.code): \(report.reason)")
        let state = await harness.coordinator.currentState()
        #expect(report.entriesReplayed == Int(state.nextSequence))
        // Every participant's write carries its signed proof; only ticks and clearings do not.
        #expect(report.proofsRequired == true)
        #expect(report.entriesWithProofs == 43, "a node, a faucet drip and 41 jobs")

        // Editing one published entry bundle is caught.
        let bundle = harness.dataDirectory + "/log/tile/entries/000.p/" + String(state.nextSequence)
        let path = FileManager.default.fileExists(atPath: bundle) ? bundle : harness.dataDirectory + "/log/tile/entries/000"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let tampered = await LogAuditor(source: DirectoryLogSource(directory: harness.dataDirectory + "/log"), trustStore: AuditTrustStore(directory: trust)).audit()
        #expect(tampered.verdict != .verified)
        await harness.coordinator.shutdownStoreForTests(dropSchema: kind == .postgres)
    }
}
