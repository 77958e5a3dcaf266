import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OSGAuth
import OSGCore
import OSGDomain
import OSGRequestBodies
import OSGServer
import OSGStore
import Synchronization
import Testing

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds: Mutex<Int64>
    init(_ start: Int64 = 1_800_000_000) { seconds = Mutex(start) }
    var now: Timestamp { Timestamp(secondsSinceEpoch: seconds.withLock { $0 }) }
    func advance(by delta: Int64) { seconds.withLock { $0 += delta } }
}

/// Where the coordinator under test keeps its log.
enum ServerStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static let postgresURL = ProcessInfo.processInfo.environment["OSG_TEST_POSTGRES_URL"]
    /// SQLite always; PostgreSQL when OSG_TEST_POSTGRES_URL is set (otherwise the PostgreSQL
    /// runs are reported by the separate, disabled `postgres` tests).
    static let available: [ServerStoreKind] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    var testDescription: String { rawValue }
}

/// One coordinator on a fresh store, with a manual clock and its governance key.
struct Harness: Sendable {
    let coordinator: Coordinator
    let clock: ManualClock
    let governance: Curve25519.Signing.PrivateKey
    let dataDirectory: String
    let kind: ServerStoreKind
    let schema: String?
    /// The store the coordinator logs to.
    let store: CoordinatorStore

    static func make(_ kind: ServerStoreKind = .sqlite, dataDirectory: String? = nil, schema: String? = nil,
                     governance: Curve25519.Signing.PrivateKey = .init(), clock: ManualClock = ManualClock(),
                     observers: [any CommandLogObserver] = [],
                     attach: ObserverFactory? = nil,
                     configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> Harness {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("osg-server-test-\(UInt64.random(in: 0..<UInt64.max))").path
        try FileManager.default.createDirectory(atPath: directory + "/log", withIntermediateDirectories: true)
        var configuration = ServerConfiguration(governanceKey: governance)
        // The tests run a devnet: the faucet is on unless a test turns it off.
        configuration.devnetFaucet = true
        configuration.dataDirectory = directory
        configuration.port = 0
        configuration.clearIntervalSeconds = 0
        // Reads take a fresh copy of the state, so a test reads another key's write at once
        // (StateReaderTests covers reused copies).
        configuration.readCopyMilliseconds = 0
        configure(&configuration)
        let store: CoordinatorStore
        var schemaName: String?
        switch kind {
        case .sqlite:
            store = try await CoordinatorStore.open(dataDirectory: directory, databaseURL: nil)
        case .postgres:
            let url = try #require(Self.postgresURLOrNil)
            let name = schema ?? "osg_server_test_\(UInt64.random(in: 0..<UInt64.max))"
            let database = try await PostgresDatabase.connect(url: url, schema: name)
            store = .postgres(PostgresCommandLogStore(database: database), database)
            schemaName = name
        }
        let attached = try await attach?.make(store, configuration) ?? []
        let coordinator = try await Coordinator.open(configuration, store: store, observers: observers + attached, clock: { clock.now })
        return Harness(coordinator: coordinator, clock: clock, governance: governance, dataDirectory: directory, kind: kind, schema: schemaName, store: store)
    }

    static var postgresURLOrNil: String? { ServerStoreKind.postgresURL }

    /// Runs `body` against the app in-process.
    func test<T>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await coordinator.application().test(.router, body)
    }
}

/// Observers opened on the harness's store before the coordinator (as `osg serve` opens the
/// transparency-log publisher).
struct ObserverFactory: Sendable {
    let make: @Sendable (CoordinatorStore, ServerConfiguration) async throws -> [any CommandLogObserver]
}

/// A participant (operator or tenant) with its key; signs requests for the test client.
struct Participant: Sendable {
    let key: Curve25519.Signing.PrivateKey
    var id: String { Identity(publicKey: key.publicKey).id }

    init(key: Curve25519.Signing.PrivateKey = .init()) { self.key = key }

    /// Signed headers for `method path` with `body` at `time`.
    /// With `signingCommand` (the default), the command the request asks for is signed too
    /// (`OSG-Command-Signature`, and a submission's `OSG-Contents-Salt`), as clients do.
    func headers(_ method: String, _ path: String, body: [UInt8] = [], time: Timestamp, nonce: String = Participant.freshNonce(),
                 contentType: String? = "application/json", for audience: RequestAudience, signingCommand: Bool = true) throws -> HTTPFields {
        let signed = try SignedRequest.sign(for: audience, method: method, path: path, body: body, timestamp: time.secondsSinceEpoch, nonce: nonce, with: key)
        var fields = HTTPFields()
        for header in signed.headers { fields[HTTPField.Name(header.name)!] = header.value }
        if signingCommand {
            let commandHeaders = try CommandSigner(audience: audience, key: key)
                .headers(method: method, path: path, body: body, timestamp: time.secondsSinceEpoch, nonce: nonce)
            for header in commandHeaders { fields[HTTPField.Name(header.name)!] = header.value }
        }
        if let contentType, !body.isEmpty { fields[.contentType] = contentType }
        return fields
    }

    static func freshNonce() -> String {
        (0..<24).map { _ in String("abcdefghijklmnopqrstuvwxyz0123456789".randomElement()!) }.joined()
    }
}

extension TestClientProtocol {
    /// Sends a signed request and returns status and decoded JSON body.
    @discardableResult
    func signed(_ participant: Participant, _ method: HTTPRequest.Method, _ path: String, json: String? = nil, at time: Timestamp,
                contentType: String = "application/json") async throws -> (status: Int, json: [String: Any]) {
        let body = Array((json ?? "").utf8)
        let headers = try participant.headers(method.rawValue, path, body: body, time: time, contentType: contentType,
                                              for: try await audience())
        return try await execute(uri: path, method: method, headers: headers, body: body.isEmpty ? nil : ByteBuffer(bytes: body)) { response in
            (Int(response.status.code), Self.object(response.body))
        }
    }

    /// Sends a signed request without a body and returns status and the raw body.
    func signedBytes(_ participant: Participant, _ method: HTTPRequest.Method, _ path: String, at time: Timestamp) async throws -> (status: Int, bytes: [UInt8]) {
        let headers = try participant.headers(method.rawValue, path, body: [], time: time, contentType: "application/json", for: try await audience())
        return try await execute(uri: path, method: method, headers: headers, body: nil) { response in
            (Int(response.status.code), Array(response.body.readableBytesView))
        }
    }

    /// The coordinator's origin and genesis, from `GET /v1/info` (what requests are signed for).
    func audience() async throws -> RequestAudience {
        let info = try await get("/v1/info").json
        return try #require(RequestAudience(origin: info["origin"] as? String ?? "", genesisHex: info["genesis"] as? String ?? ""))
    }

    /// An unsigned GET.
    func get(_ path: String) async throws -> (status: Int, json: [String: Any]) {
        try await execute(uri: path, method: .get) { response in (Int(response.status.code), Self.object(response.body)) }
    }

    static func object(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }
}

/// Request bodies used across tests.
enum Samples {
    static func node(_ id: String, gpus: Int = 8, model: String = "H100", vram: Int = 80, region: String = "eu", ask: String = "1.50") -> String {
        """
        {"id":"\(id)","gpu_model":"\(model)","gpus":\(gpus),"vram_gib":\(vram),"cpu":64,"memory_gib":512,"disk_gib":1000,\
        "region":"\(region)","jurisdiction":"DE","zone":"DE","power_source":"wind","ask_price":"\(ask)"}
        """
    }

    static func spec(name: String = "train", gpus: Int = 2, maxPrice: String = "2.10") -> String {
        """
        {"name":"\(name)","image":"ghcr.io/org/trainer:1.2","resources":{"gpu":{"model":"H100","count":\(gpus),"vram_gib":80},\
        "cpu":8,"memory_gib":64},"nodes":1,"duration":"1h","max_duration":"2h","max_price":\(maxPrice)}
        """
    }

    static let yamlSpec = """
        name: yaml-job
        image: ghcr.io/org/trainer:1.2
        resources:
          gpu: { model: H100, count: 1, vram_gib: 80 }
          cpu: 4
          memory_gib: 32
        nodes: 1
        duration: 1h
        max_duration: 2h
        max_price: 3.00
        """
}
