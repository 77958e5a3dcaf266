import ArgumentParser
import Foundation
import HummingbirdTesting
import OSGAuditTool
import OSGDomain
import OSGServer
import OSGStore
import Testing
@testable import OSGCommands

/// A key of a test coordinator's participant (an operator or a holder): its file and its id.
struct TestAccount {
    let keyPath: String
    let id: String

    init() throws {
        let file = KeyFile.generate()
        keyPath = temporaryPath("account.key")
        try file.write(to: keyPath)
        id = file.identity.id
    }

    /// The flags of a verb this account runs against the test coordinator on `port`.
    func flags(_ port: Int) -> [String] {
        OperatorVerbs.flags(port) + ["--key", keyPath]
    }

    /// A client of the coordinator on `port` that signs as this account.
    func client(_ port: Int) throws -> CoordinatorClient {
        OperatorVerbs.publicClient(port).signing(with: try KeyFile.read(from: keyPath).privateKey)
    }

    /// Registers a node of this operator in region eu, zone DE, asking 1.5.
    func register(_ nodeID: String, port: Int, model: String = "H100", gpus: Int = 8, simulated: Bool = false) async throws {
        let body = """
            {"id":"\(nodeID)","gpu_model":"\(model)","gpus":\(gpus),"vram_gib":80,"cpu":64,"memory_gib":512,"disk_gib":1000,\
            "region":"eu","jurisdiction":"DE","zone":"DE","ask_price":"1.5","simulated":\(simulated)}
            """
        let answer = try await client(port).send(.POST, "/v1/nodes", body: Array(body.utf8))
        try #require(answer.status == 201, "\(answer.errorSummary)")
    }
}

/// Runs the operator verbs against a coordinator on loopback: in process, and as the `osg`
/// binary where it is built beside the tests.
enum OperatorVerbs {
    /// A devnet coordinator on 127.0.0.1 (plain HTTP, port 0, a fresh SQLite store, no market
    /// timer) whose reads are never older than its last write (no reused state copies or public
    /// views), so a test reads what a verb did at once; `body` gets its port.
    static func withCoordinator<T: Sendable>(_ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        try await LoopbackCoordinator.run(configure: {
            $0.readCopyMilliseconds = 0
            $0.publicCacheMilliseconds = 0
        }, body)
    }

    static func flags(_ port: Int) -> [String] {
        ["--coordinator", "http://127.0.0.1:\(port)"]
    }

    static func publicClient(_ port: Int) -> CoordinatorClient {
        CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", key: nil)
    }

    /// An unsigned GET: its status and JSON object.
    static func get(_ path: String, port: Int) async throws -> (status: Int, json: [String: Any]) {
        let answer = try await publicClient(port).send(.GET, path)
        return (answer.status, answer.json as? [String: Any] ?? [:])
    }

    /// `osg ARGUMENTS` parsed as the binary parses them, as the subcommand `T`.
    static func parse<T: ParsableCommand>(_ arguments: [String], as _: T.Type) throws -> T {
        try #require(try OSGCommand.parseAsRoot(arguments) as? T, "osg \(arguments.joined(separator: " ")) is not \(T.self)")
    }

    /// The message and exit status `osg ARGUMENTS` fails to parse with (nil when it parses).
    static func parseFailure(_ arguments: [String]) -> (message: String, status: Int32)? {
        do {
            _ = try OSGCommand.parseAsRoot(arguments)
            return nil
        } catch {
            return (OSGCommand.message(for: error), OSGCommand.exitCode(for: error).rawValue)
        }
    }

    /// The `osg` binary `swift build` put beside the test bundle, if it is there.
    static let binary: String? = {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("osg").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    /// Runs the `osg` binary to its end on a thread of its own (the cooperative pool serves
    /// the in-process coordinator meanwhile).
    static func runBinary(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let path = try #require(binary)
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: path)
                process.arguments = arguments
                let output = Pipe(), errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                // Both are small: read one to its end, then the other, then reap.
                let stdout = output.fileHandleForReading.readDataToEndOfFile()
                let stderr = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self)))
            }.start()
        }
    }
}

@Suite("osg nodes: an operator's nodes, their ask, withdrawal")
struct NodesCommandTests {
    @Test("osg nodes lists only the key's nodes as a table and as JSON; --all lists every operator's without a key")
    func listsOwnNodes() async throws {
        let alice = try TestAccount(), bob = try TestAccount(), carol = try TestAccount()
        try await OperatorVerbs.withCoordinator { port in
            try await alice.register("a1", port: port)
            try await alice.register("a2", port: port, model: "A100", gpus: 4, simulated: true)
            try await bob.register("b1", port: port)
            let lockup = #"{"node":"a1","gpus":2,"holder":"\#(bob.id)","until":"2099-01-01T00:00:00Z"}"#
            #expect(try await alice.client(port).send(.POST, "/v1/lockups", body: Array(lockup.utf8)).status == 201)

            // `osg nodes` is `osg nodes list`.
            let table = try await OperatorVerbs.parse(["nodes"] + alice.flags(port), as: NodesCommand.List.self).output()
            let lines = table.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(table)")
            #expect(lines[0].hasPrefix("NODE  GPUS"), "\(table)")
            for column in ["SIMULATED", "ONLINE", "ALLOCATED/LOCKED", "ASK/GPU-H", "REGION/ZONE", "LAST HEARTBEAT"] {
                #expect(lines[0].contains(column), "\(column): \(lines[0])")
            }
            #expect(!lines[0].contains("OPERATOR"))
            let a1 = lines[1].split(separator: " ").map(String.init), a2 = lines[2].split(separator: " ").map(String.init)
            #expect(Array(a1.prefix(7)) == ["a1", "H100×8", "no", "yes", "0/2", "1.5", "eu/DE"], "\(table)")
            #expect(Array(a2.prefix(7)) == ["a2", "A100×4", "yes", "yes", "0/0", "1.5", "eu/DE"], "\(table)")
            #expect(a1.last?.hasSuffix("Z") == true, "the last heartbeat, RFC 3339: \(table)")
            #expect(!table.contains("b1"))

            let json = try await OperatorVerbs.parse(["nodes", "list", "--json"] + alice.flags(port), as: NodesCommand.List.self).output()
            let nodes = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["nodes"] as? [[String: Any]])
            #expect(nodes.map { $0["id"] as? String } == ["a1", "a2"])
            #expect(nodes.allSatisfy { $0["operator"] as? String == alice.id })
            #expect(nodes.first?["locked_gpus"] as? Int == 2)
            // Booleans stay booleans when the filtered list is written again.
            #expect(json.contains(#""online":true"#) && json.contains(#""simulated":true"#) && json.contains(#""simulated":false"#), "\(json)")

            // --all reads no key: a key file that does not exist is never opened.
            let everyone = ["nodes", "--all", "--key", temporaryPath("absent.key")] + OperatorVerbs.flags(port)
            let all = try await OperatorVerbs.parse(everyone, as: NodesCommand.List.self).output()
            #expect(all.split(separator: "\n").count == 4 && all.contains("b1") && all.contains("OPERATOR"), "\(all)")
            #expect(all.contains(String(bob.id.prefix(16)) + "…"), "\(all)")
            let allJSON = try await OperatorVerbs.parse(everyone + ["--json"], as: NodesCommand.List.self).output()
            #expect(allJSON.contains(#""id":"b1""#), "\(allJSON)")

            let none = try await OperatorVerbs.parse(["nodes"] + carol.flags(port), as: NodesCommand.List.self).output()
            #expect(none == "no nodes registered by \(carol.id) (osg nodes --all lists every operator's)")
        }
    }

    @Test("set-ask changes the node's ask and withdraw removes the node with its lockups")
    func setAskAndWithdraw() async throws {
        let alice = try TestAccount()
        try await OperatorVerbs.withCoordinator { port in
            try await alice.register("a1", port: port)
            try await alice.register("a2", port: port)
            #expect(try await AuditCommandTests.exitStatus(["nodes", "set-ask", "a1", "2.250"] + alice.flags(port)) == 0)
            #expect(try await OperatorVerbs.get("/v1/nodes/a1", port: port).json["ask_price"] as? String == "2.25")
            #expect(try await AuditCommandTests.exitStatus(["nodes", "set-ask", "a1", "3", "--json"] + alice.flags(port)) == 0)
            #expect(try await OperatorVerbs.get("/v1/nodes/a1", port: port).json["ask_price"] as? String == "3")

            let lockup = #"{"node":"a2","gpus":1,"holder":"h","until":"2099-01-01T00:00:00Z"}"#
            #expect(try await alice.client(port).send(.POST, "/v1/lockups", body: Array(lockup.utf8)).status == 201)
            #expect(try await AuditCommandTests.exitStatus(["nodes", "withdraw", "a2"] + alice.flags(port)) == 0)
            #expect(try await OperatorVerbs.get("/v1/nodes/a2", port: port).status == 404)
            #expect((try await OperatorVerbs.get("/v1/lockups", port: port).json["lockups"] as? [Any])?.isEmpty == true)
            #expect(try await OperatorVerbs.get("/v1/nodes/a1", port: port).status == 200)
        }
    }

    @Test("another operator's node or an unknown one: the coordinator's refusal, exit 1, nothing changed")
    func refusals() async throws {
        let alice = try TestAccount(), bob = try TestAccount()
        try await OperatorVerbs.withCoordinator { port in
            try await alice.register("a1", port: port)
            #expect(try await AuditCommandTests.exitStatus(["nodes", "set-ask", "a1", "9"] + bob.flags(port)) == 1)
            #expect(try await AuditCommandTests.exitStatus(["nodes", "withdraw", "a1"] + bob.flags(port)) == 1)
            #expect(try await AuditCommandTests.exitStatus(["nodes", "withdraw", "nope"] + alice.flags(port)) == 1)
            #expect(try await OperatorVerbs.get("/v1/nodes/a1", port: port).json["ask_price"] as? String == "1.5")
            // Without a key file: exit 1 before any request.
            #expect(try await AuditCommandTests.exitStatus(["nodes", "--key", temporaryPath("absent.key")] + OperatorVerbs.flags(port)) == 1)

            guard OperatorVerbs.binary != nil else { return }
            let refused = try await OperatorVerbs.runBinary(["nodes", "set-ask", "a1", "9"] + bob.flags(port))
            #expect(refused.status == 1)
            #expect(refused.stderr.hasPrefix("error: not_owner: node a1 belongs to another operator"), "\(refused.stderr)")
            #expect(refused.stdout.isEmpty)
        }
    }

    @Test("a bad price is refused naming <price>, with the usage exit status, before any request",
          arguments: ["0", "0.000000", "abc", "1.5credits", "1.1234567", "10000.000001", "99999999999999999999"])
    func badPrice(_ price: String) throws {
        // No coordinator listens on port 9: a request would fail differently.
        let failure = try #require(OperatorVerbs.parseFailure(["nodes", "set-ask", "a1", price, "--coordinator", "http://127.0.0.1:9"]))
        #expect(failure.message.contains("<price>"), "\(failure.message)")
        #expect(failure.status == ExitCode.validationFailure.rawValue)
    }

    @Test("the ask's bounds are inclusive: 1 micro-credit and 10,000 credits per GPU-hour")
    func askBounds() throws {
        #expect(try NodesCommand.SetAsk.ask("10000") == ComputeNode.Limits.maxAskPerGPUHour)
        #expect(try NodesCommand.SetAsk.ask("0.000001").rawValue == 1)
        #expect(try NodesCommand.SetAsk.ask("2.10").description == "2.1")
    }

    @Test("each verb has --help and takes --json")
    func helpAndJSON() throws {
        let help = OSGCommand.helpMessage(for: NodesCommand.self)
        for word in ["list", "set-ask", "withdraw", "--all"] { #expect(help.contains(word), "\(word): \(help)") }
        #expect(OSGCommand.helpMessage(for: NodesCommand.List.self).contains("--json"))
        #expect(try OperatorVerbs.parse(["nodes", "--json"], as: NodesCommand.List.self).options.json)
        #expect(try OperatorVerbs.parse(["nodes", "set-ask", "n", "1", "--json"], as: NodesCommand.SetAsk.self).options.json)
        #expect(try OperatorVerbs.parse(["nodes", "withdraw", "n", "--json"], as: NodesCommand.Withdraw.self).options.json)
    }

    @Test("the table of an empty list, and of a coordinator that does not report simulated nodes")
    func tableEdges() {
        #expect(NodesCommand.List.table([], operatorID: nil) == "no nodes")
        let old: [String: Any] = ["id": "n", "operator": String(repeating: "ab", count: 32), "gpu_model": "T4", "gpus": 1, "online": false,
                                  "allocated_gpus": 0, "locked_gpus": 0, "ask_price": "0.5", "region": "us", "zone": "US-CA",
                                  "last_heartbeat": "2026-12-01T00:00:00Z"]
        #expect(NodesCommand.List.table([old], operatorID: nil).split(separator: "\n").last
            == "n     abababababababab…  T4×1  no         no      0/0               0.5        us/US-CA     2026-12-01T00:00:00Z")
    }
}
