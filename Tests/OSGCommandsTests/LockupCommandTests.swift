import ArgumentParser
import Foundation
import OSGAuditTool
import OSGDomain
import Testing
@testable import OSGCommands

@Suite("osg lockup: record and list public exclusive lockups")
struct LockupCommandTests {
    @Test("osg lockup NODE records a lockup and prints its id; --json adds it to the answer; osg lockup list shows both")
    func createAndList() async throws {
        let alice = try TestAccount(), bob = try TestAccount()
        try await OperatorVerbs.withCoordinator { port in
            try await alice.register("n1", port: port)
            let before = WallClock.now()
            // `osg lockup NODE …` is `osg lockup create NODE …`.
            let first = try OperatorVerbs.parse(["lockup", "n1", "--gpus", "3", "--holder", bob.id, "--until", "2h"] + alice.flags(port),
                                                as: LockupCommand.Create.self)
            let id = try await first.output()
            #expect(id.wholeMatch(of: /lockup-[0-9]+/) != nil, "\(id)")

            let until = "2099-01-31T00:00:00Z"
            let second = try OperatorVerbs.parse(["lockup", "create", "n1", "--gpus", "2", "--holder", "h2", "--until", until, "--json"] + alice.flags(port),
                                                 as: LockupCommand.Create.self)
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(try await second.output().utf8)) as? [String: Any])
            let secondID = try #require(answer["lockup"] as? String)
            #expect(secondID != id && (answer["events"] as? [String])?.contains("lockup_recorded") == true, "\(answer)")

            let published = try #require(try await OperatorVerbs.get("/v1/lockups", port: port).json["lockups"] as? [[String: Any]])
            let recorded = try #require(published.first { $0["id"] as? String == id })
            #expect(recorded["node"] as? String == "n1" && recorded["gpus"] as? Int == 3 && recorded["holder"] as? String == bob.id)
            #expect(recorded["operator"] as? String == alice.id)
            let end = try #require(Timestamp(rfc3339: recorded["until"] as? String ?? ""))
            #expect((7_200...7_260).contains(before.seconds(until: end)), "2h from now: \(end)")
            #expect(published.first { $0["id"] as? String == secondID }?["until"] as? String == until)
            // The node shows the GPUs as locked.
            #expect(try await OperatorVerbs.get("/v1/nodes/n1", port: port).json["locked_gpus"] as? Int == 5)

            let table = try await OperatorVerbs.parse(["lockup", "list"] + OperatorVerbs.flags(port), as: LockupCommand.List.self).output()
            let lines = table.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(lines.first == ["LOCKUP", "NODE", "GPUS", "HOLDER", "OPERATOR", "SINCE", "UNTIL"], "\(table)")
            let rows: [[String]] = lines.dropFirst().map { Array($0.prefix(4)) }
            let expected: [[String]] = [[id, "n1", "3", TextTable.abbreviated(bob.id)], [secondID, "n1", "2", "h2"]]
            #expect(Set(rows) == Set(expected), "\(table)")
            #expect(lines.dropFirst().allSatisfy { $0[4] == String(alice.id.prefix(16)) + "…" }, "\(table)")

            let json = try await OperatorVerbs.parse(["lockup", "list", "--json"] + OperatorVerbs.flags(port), as: LockupCommand.List.self).output()
            let listed = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["lockups"] as? [[String: Any]]
            #expect(Set(listed?.compactMap { $0["id"] as? String } ?? []) == [id, secondID], "\(json)")
        }
    }

    @Test("lockup list with none, and the binary prints the id on standard output")
    func emptyListAndBinary() async throws {
        let alice = try TestAccount()
        try await OperatorVerbs.withCoordinator { port in
            let empty = try await OperatorVerbs.parse(["lockup", "list"] + OperatorVerbs.flags(port), as: LockupCommand.List.self).output()
            #expect(empty == "no lockups")
            guard OperatorVerbs.binary != nil else { return }
            try await alice.register("n1", port: port)
            let run = try await OperatorVerbs.runBinary(["lockup", "n1", "--gpus", "1", "--holder", "h", "--until", "1d"] + alice.flags(port))
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.wholeMatch(of: /lockup-[0-9]+\n/) != nil, "\(run.stdout)")
        }
    }

    @Test("--until is an RFC 3339 time or a duration from now",
          arguments: [("2h", 7_200), ("1d12h", 129_600), ("90m", 5_400), ("2026-12-01T01:00:00Z", 3_600),
                      ("2026-12-01T03:00:00+01:00", 7_200), ("2027-12-01T00:00:00Z", 31_536_000)] as [(String, Int64)])
    func untilForms(_ text: String, _ seconds: Int64) throws {
        let now = try #require(Timestamp(rfc3339: "2026-12-01T00:00:00Z"))
        #expect(try LockupCommand.Create.end(text, now: now) == now.adding(seconds: seconds))
    }

    @Test("bad input is refused naming the flag, with the usage exit status, before any request",
          arguments: [
              (["--gpus", "0", "--holder", "h", "--until", "1h"], "--gpus"),
              (["--gpus", "65", "--holder", "h", "--until", "1h"], "--gpus"),
              (["--gpus", "-1", "--holder", "h", "--until", "1h"], "--gpus"),
              (["--gpus", "two", "--holder", "h", "--until", "1h"], "--gpus"),
              (["--holder", "h", "--until", "1h"], "--gpus"),
              (["--gpus", "1", "--holder", "", "--until", "1h"], "--holder"),
              (["--gpus", "1", "--holder", "h", "--until", "tomorrow"], "--until"),
              (["--gpus", "1", "--holder", "h", "--until", "12"], "--until"),
              (["--gpus", "1", "--holder", "h", "--until", "0s"], "--until"),
              (["--gpus", "1", "--holder", "h", "--until", "2020-01-01T00:00:00Z"], "--until"),
              (["--gpus", "1", "--holder", "h", "--until", "2027-02-30T00:00:00Z"], "--until"),
              (["--gpus", "1", "--holder", "h", "--until", "99999999999d"], "--until"),
              (["--gpus", "1", "--holder", "h", "--until", "10000-01-01T00:00:00Z"], "--until"),
          ] as [([String], String)])
    func badInput(_ flags: [String], _ named: String) throws {
        // No coordinator listens on port 9: a request would fail differently.
        let failure = try #require(OperatorVerbs.parseFailure(["lockup", "n1"] + flags + ["--coordinator", "http://127.0.0.1:9"]))
        #expect(failure.message.contains(named), "\(failure.message)")
        #expect(failure.status == ExitCode.validationFailure.rawValue)
    }

    @Test("the coordinator's refusals exit 1 and record nothing; the binary prints code, message and field")
    func refusals() async throws {
        let alice = try TestAccount(), bob = try TestAccount()
        try await OperatorVerbs.withCoordinator { port in
            try await alice.register("n1", port: port)
            let lockup = ["lockup", "n1", "--until", "1d"]
            // Another operator's node; more GPUs than the node has; a holder too long for an id.
            #expect(try await AuditCommandTests.exitStatus(lockup + ["--gpus", "1", "--holder", "h"] + bob.flags(port)) == 1)
            #expect(try await AuditCommandTests.exitStatus(lockup + ["--gpus", "9", "--holder", "h"] + alice.flags(port)) == 1)
            let longHolder = String(repeating: "h", count: 129)
            #expect(try await AuditCommandTests.exitStatus(lockup + ["--gpus", "1", "--holder", longHolder] + alice.flags(port)) == 1)
            #expect(try await AuditCommandTests.exitStatus(["lockup", "nope", "--gpus", "1", "--holder", "h", "--until", "1d"] + alice.flags(port)) == 1)
            #expect((try await OperatorVerbs.get("/v1/lockups", port: port).json["lockups"] as? [Any])?.isEmpty == true)

            guard OperatorVerbs.binary != nil else { return }
            let refused = try await OperatorVerbs.runBinary(lockup + ["--gpus", "1", "--holder", longHolder, "--json"] + alice.flags(port))
            #expect(refused.status == 1)
            #expect(refused.stderr == "error: out_of_range: holder must be 1-128 bytes (field holder)\n", "\(refused.stderr)")
            #expect(refused.stdout.isEmpty, "\(refused.stdout)")
            let tooMany = try await OperatorVerbs.runBinary(lockup + ["--gpus", "9", "--holder", "h"] + alice.flags(port))
            #expect(tooMany.status == 1 && tooMany.stderr.hasPrefix("error: invalid_lockup: "), "\(tooMany.stderr)")
            // Bad input never reaches the coordinator: nothing is recorded, whatever else is right.
            let bad = try await OperatorVerbs.runBinary(lockup + ["--gpus", "65", "--holder", "h"] + alice.flags(port))
            #expect(bad.status == ExitCode.validationFailure.rawValue && bad.stderr.contains("--gpus must be between 1 and 64"), "\(bad.stderr)")
            #expect((try await OperatorVerbs.get("/v1/lockups", port: port).json["lockups"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("each verb has --help and takes --json; the help says create is the default")
    func helpAndJSON() throws {
        let help = OSGCommand.helpMessage(for: LockupCommand.self)
        for word in ["create", "list", "default", "--gpus"] { #expect(help.contains(word), "\(word): \(help)") }
        #expect(OSGCommand.helpMessage(for: LockupCommand.Create.self).contains("--until"))
        #expect(try OperatorVerbs.parse(["lockup", "list", "--json"], as: LockupCommand.List.self).options.json)
        let create = try OperatorVerbs.parse(["lockup", "n", "--gpus", "1", "--holder", "h", "--until", "1h", "--json"], as: LockupCommand.Create.self)
        #expect(create.options.json)
    }

    @Test("the id of an accepted lockup: the answer's, else lockup-<sequence>")
    func lockupID() throws {
        #expect(try LockupCommand.Create.lockupID(in: ["sequence": 41, "events": ["lockup_recorded"]]) == "lockup-41")
        #expect(try LockupCommand.Create.lockupID(in: ["lockup": "lk-7", "sequence": 41]) == "lk-7")
    }
}
