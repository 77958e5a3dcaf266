import ArgumentParser
import Foundation
import OSGCore
import OSGDomain
import OSGServer
import Testing
@testable import OSGCommands

@Suite("osg governance: propose, sign offline, submit; a quorum governs, one signature short does not")
struct GovernanceQuorumCommandTests {
    static func run(_ arguments: [String]) async throws {
        var command = try OSGCommand.parseAsRoot(arguments) as! AsyncParsableCommand
        try await command.run()
    }

    @Test("a 2-of-3 quorum defines a pool and rotates itself to 1-of-1; short, replayed, ungovernable and damaged proposals are refused")
    func quorumFlow() async throws {
        let members = (0..<3).map { _ in KeyFile.generate() }
        let paths = try members.enumerated().map { index, key in
            let path = temporaryPath("member-\(index).key")
            try key.write(to: path)
            return path
        }
        let submitterPath = temporaryPath("submitter.key")
        try KeyFile.generate().write(to: submitterPath)
        let ids = members.map { Identity(publicKey: $0.privateKey.publicKey).id }
        let proposal = temporaryPath("pool.json")
        try await LoopbackCoordinator.run(configure: {
            $0.governanceRules = GovernanceRules(keys: ids, quorum: 2)
            $0.publicCacheMilliseconds = 0
            $0.readCopyMilliseconds = 0
        }) { port in
            let url = "http://127.0.0.1:\(port)"
            let coordinator = ["--coordinator", url]
            try await Self.run(["governance", "show"] + coordinator)
            try await Self.run(["governance", "propose", "POST", "/v1/pools", "--body", #"{"name":"students","share_ppm":100000,"price":"0.50"}"#,
                                "--out", proposal] + coordinator)
            try await Self.run(["governance", "sign", proposal, "--key", paths[0]])
            await #expect(throws: (any Error).self, "one approval of two") {
                try await Self.run(["governance", "submit", proposal, "--key", submitterPath] + coordinator)
            }
            try await Self.run(["governance", "sign", proposal, "--key", paths[0]])
            #expect(try GovernanceProposal.read(from: proposal).approvals.count == 1, "signing twice with one key keeps one approval")
            try await Self.run(["governance", "sign", proposal, "--key", paths[2], "--json"])
            let signed = try GovernanceProposal.read(from: proposal)
            let report = try GovernanceCommand.Sign.report(signed, file: proposal, signer: ids[2])
            #expect(report["command"] as? String == "definePool" && report["signer"] as? String == ids[2]
                    && report["counter"] as? UInt64 == signed.counter
                    && report["approvals"] as? [String] == [ids[0], ids[2]].sorted(), "\(report)")
            try await Self.run(["governance", "submit", proposal, "--key", submitterPath] + coordinator)
            await #expect(throws: (any Error).self, "the same approvals again") {
                try await Self.run(["governance", "submit", proposal, "--key", submitterPath] + coordinator)
            }
            let client = CoordinatorClient(baseURL: url, key: nil)
            let pools = try #require((try await client.send(.GET, "/v1/set-asides").json as? [String: Any])?["pools"] as? [[String: Any]])
            #expect(pools.map { $0["name"] as? String } == ["students"])

            // Rotation to member 2 alone, approved by members 0 and 1; then member 2 governs alone.
            let rotation = temporaryPath("rotate.json")
            try await Self.run(["governance", "propose", "--rotate-key", ids[2], "--rotate-quorum", "1", "--out", rotation] + coordinator)
            for path in paths[0...1] { try await Self.run(["governance", "sign", rotation, "--key", path]) }
            try await Self.run(["governance", "submit", rotation, "--key", submitterPath] + coordinator)
            let deposit = temporaryPath("deposit.json")
            try await Self.run(["governance", "propose", "POST", "/v1/deposits", "--body", #"{"tenant":"\#(ids[0])","amount":"25"}"#, "--out", deposit] + coordinator)
            try await Self.run(["governance", "sign", deposit, "--key", paths[2]])
            try await Self.run(["governance", "submit", deposit, "--key", submitterPath] + coordinator)
            let view = try #require(try await client.send(.GET, "/v1/governance").json as? [String: Any])
            #expect(view["counter"] as? Int == 3 && view["keys"] as? [String] == [ids[2]] && view["quorum"] as? Int == 1, "\(view)")
            let account = try #require(try await client.send(.GET, "/v1/accounts/\(ids[0])").json as? [String: Any])
            #expect(account["available"] as? String == "25", "\(account)")

            // Bad input: named, nothing written or sent.
            let ignored = temporaryPath("ignored.json")
            await #expect(throws: (any Error).self, "a transfer is no governance command") {
                try await Self.run(["governance", "propose", "POST", "/v1/transfers", "--body", #"{"to":"\#(ids[1])","amount":"1"}"#, "--out", ignored] + coordinator)
            }
            await #expect(throws: (any Error).self, "a body that does not decode") {
                try await Self.run(["governance", "propose", "POST", "/v1/pools", "--body", "{", "--out", ignored] + coordinator)
            }
            await #expect(throws: (any Error).self, "a rotation to a quorum above its keys") {
                try await Self.run(["governance", "propose", "--rotate-key", ids[0], "--rotate-quorum", "2", "--out", ignored] + coordinator)
            }
            #expect(!FileManager.default.fileExists(atPath: ignored))
            try "{\"scheme\":\"OSG-GOVERNANCE-V1\",\"genesis_sha256\":\"00\",\"counter\":0,\"command\":\"07\",\"description\":\"\",\"approvals\":[]}"
                .write(toFile: ignored, atomically: true, encoding: .utf8)
            await #expect(throws: (any Error).self, "a damaged proposal is not signed") {
                try await Self.run(["governance", "sign", ignored, "--key", paths[2]])
            }
        }
    }

    @Test("osg serve's governance flags: a majority by default, bad keys and a quorum above the keys named")
    func serveFlags() throws {
        let keys = (0..<3).map { _ in Identity(publicKey: KeyFile.generate().privateKey.publicKey).id }
        func rules(_ arguments: [String]) throws -> GovernanceRules? {
            let serve = try ServeCommand.parse(arguments)
            return try serve.governanceRules(coordinatorID: keys[0])
        }
        #expect(try rules([]) == nil)
        #expect(try rules(keys.flatMap { ["--governance-key", $0] })?.quorum == 2)
        #expect(try rules(keys.flatMap { ["--governance-key", $0] } + ["--carbon-feed-key", "coordinator"])?.carbonFeeds == [keys[0]])
        #expect(throws: (any Error).self) { try rules(["--governance-key", "abc"]) }
        #expect(throws: (any Error).self) { try rules(["--governance-key", keys[0], "--governance-quorum", "2"]) }
        #expect(throws: (any Error).self) { try rules(["--governance-quorum", "1"]) }
    }
}
