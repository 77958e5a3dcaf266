import Foundation
import HummingbirdTesting
import OSGCore
import OSGServer
import OSGTransparency
import Testing

@Suite("The coordinator's published log passes an independent audit")
struct PublishedLogAuditTests {
    /// Opens the publisher on the harness's store, as `osg serve` does.
    static func publisher(origin: String) -> ObserverFactory {
        ObserverFactory { store, configuration in
            try await store.initialize(genesis: configuration.genesis)
            return [try await TransparencyLogPublisher.open(
                directory: configuration.logDirectory, origin: origin, seed: Array(configuration.governanceKey.rawRepresentation),
                store: store, checkpointInterval: .zero)]
        }
    }

    @Test("writes through the API are checkpointed, served under /log/, and replay to the published state", arguments: ServerStoreKind.available)
    func auditAfterWrites(kind: ServerStoreKind) async throws {
        let origin = "test.openstargate/\(kind.rawValue)"
        let harness = try await Harness.make(kind, attach: Self.publisher(origin: origin)) { $0.publicCacheMilliseconds = 0 }
        let provider = Participant(), tenant = Participant()
        let clock = harness.clock
        try await harness.test { client in
            #expect(try await client.signed(provider, .post, "/v1/nodes", json: Samples.node("n1"), at: clock.now).status == 201)
            #expect(try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"100"}"#, at: clock.now).status == 200)
            #expect(try await client.signed(tenant, .post, "/v1/jobs", json: Samples.spec(), at: clock.now).status == 201)
            clock.advance(by: 5)
            await harness.coordinator.governanceRound()
            try await client.execute(uri: "/log/checkpoint", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix(origin + "\n"))
            }
        }
        let trust = FileManager.default.temporaryDirectory.appendingPathComponent("osg-audit-\(UInt64.random(in: 0..<UInt64.max))").path
        let report = await LogAuditor(source: DirectoryLogSource(directory: harness.dataDirectory + "/log"), trustStore: AuditTrustStore(directory: trust)).audit()
        #expect(report.verdict == .verified, "\(report.code): \(report.reason)")
        let state = await harness.coordinator.currentState()
        #expect(report.entriesReplayed == Int(state.nextSequence))

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
