import Foundation
import Testing
@testable import OSGCommands

@Suite("osg account, transfer, withdraw, shares and valuations against a live coordinator")
struct MoneyCommandTests {
    @Test("the money verbs: tables for people, --json for machines, a clear error and exit 1 on bad input",
          .enabled(if: OperatorVerbs.binary != nil, "needs the osg binary beside the tests (swift build)"))
    func moneyVerbs() async throws {
        let alice = try TestAccount(), bob = try TestAccount()
        try await LoopbackCoordinator.run(configure: {
            $0.readCopyMilliseconds = 0
            $0.publicCacheMilliseconds = 0
            $0.devnetFaucet = true
        }) { port in
            #expect(try await alice.client(port).send(.POST, "/v1/faucet", body: Array(#"{"amount":"300"}"#.utf8)).status == 200)
            try await alice.register("n1", port: port)

            var run = try await OperatorVerbs.runBinary(["transfer", bob.id, "40.25"] + alice.flags(port))
            #expect(run.status == 0 && run.stdout.contains("sent 40.25 credits to \(bob.id)") && run.stdout.contains("available now 259.75"), "\(run)")
            run = try await OperatorVerbs.runBinary(["transfer", bob.id, "1.0000001"] + alice.flags(port))
            #expect(run.status == 1 && run.stderr.contains("amount"), "more than 6 decimals: \(run)")
            run = try await OperatorVerbs.runBinary(["transfer", "nobody", "1"] + alice.flags(port))
            #expect(run.status == 1 && run.stderr.contains("unknown_account"), "\(run)")

            run = try await OperatorVerbs.runBinary(["account"] + bob.flags(port))
            #expect(run.status == 0 && run.stdout.contains("available") && run.stdout.contains("40.25"), "\(run)")
            run = try await OperatorVerbs.runBinary(["account", bob.id, "--json"] + OperatorVerbs.flags(port))
            let account = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            #expect(account?["available"] as? String == "40.25" && account?["id"] as? String == bob.id, "\(run)")

            run = try await OperatorVerbs.runBinary(["withdraw", "10", "--reference", "bank-7"] + bob.flags(port))
            #expect(run.status == 0 && run.stdout.contains("holds 10 credits"), "\(run)")
            run = try await OperatorVerbs.runBinary(["withdraw", "--list"] + bob.flags(port))
            #expect(run.status == 0 && run.stdout.contains("pending") && run.stdout.contains("bank-7"), "\(run)")
            run = try await OperatorVerbs.runBinary(["withdraw", "--pay", "wd-1"] + bob.flags(port))
            #expect(run.status == 1 && run.stderr.contains("not_governance"), "\(run)")
            run = try await OperatorVerbs.runBinary(["withdraw"] + bob.flags(port))
            #expect(run.status != 0 && run.stderr.contains("exactly one of"), "\(run)")

            run = try await OperatorVerbs.runBinary(["shares", "issue", "n1", "100"] + alice.flags(port))
            #expect(run.status == 0 && run.stdout.contains("node n1: 100 shares"), "\(run)")
            run = try await OperatorVerbs.runBinary(["shares", "transfer", "n1", bob.id, "30", "--json"] + alice.flags(port))
            let shares = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            #expect((shares?["holders"] as? [[String: Any]])?.count == 2, "\(run)")
            run = try await OperatorVerbs.runBinary(["shares", "transfer", "n1", alice.id, "31"] + bob.flags(port))
            #expect(run.status == 1 && run.stderr.contains("insufficient_shares"), "\(run)")
            run = try await OperatorVerbs.runBinary(["shares", "list", "--holder", bob.id] + OperatorVerbs.flags(port))
            #expect(run.status == 0 && run.stdout.contains("n1") && run.stdout.contains("30"), "\(run)")
            run = try await OperatorVerbs.runBinary(["valuations"] + OperatorVerbs.flags(port))
            #expect(run.status == 0 && run.stdout.contains("REV/GPU-H 7D") && run.stdout.contains("n1"), "\(run)")
        }
    }
}
