@testable import OSGCore
import OSGDomain
import Testing

@Suite("A tenant's order is never placed on its own nodes")
struct SelfDealingTests {
    /// Alice operates n1 and is also a tenant; Bob operates n2. Alice and Carol are funded.
    func market() throws -> Driver {
        var driver = Driver()
        try driver.run(.registerNode(hostNode("n1", operator: "alice", gpus: 1)), by: "alice")
        try driver.run(.registerNode(hostNode("n2", operator: "bob", gpus: 1)), by: "bob")
        for tenant in ["alice", "carol"] {
            try driver.run(.deposit(tenantID: tenant, amount: MicroCredits(1_000 * MicroCredits.perCredit)), by: governance)
        }
        return driver
    }

    @Test("a 2-node gang that would need its tenant's own node waits (one node is left for it); an honest job gets a node")
    func gangOverOwnNode() throws {
        var driver = try market()
        let gang = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("gang", gpus: 1, nodes: 2), pool: nil), by: "alice")))
        let honest = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("honest", gpus: 1), pool: nil), by: "carol",
                                                          after: 1)))
        let started = leaseStarts(try driver.run(.clear, by: governance))
        #expect(started.map(\.orderID) == [honest], "the honest job is not kept waiting by a gang that can never start")
        // Only n2 passes every filter for Alice, and a gang needs two in one region.
        #expect(driver.state.waitingReasons[gang] == "gang_no_region_with_enough_nodes")
        #expect(driver.state.availableFunds(of: "alice") == MicroCredits(1_000 * MicroCredits.perCredit), "nothing held for the gang")
    }

    @Test("a single job of an operator-tenant goes to someone else's node, never its own")
    func singleJobAvoidsOwnNode() throws {
        var driver = try market()
        try driver.run(.submitJob(spec: hostSpec("own", gpus: 1), pool: nil), by: "alice")
        let lease = try #require(leaseStarts(try driver.run(.clear, by: governance)).first)
        #expect(lease.allocations.map(\.nodeID) == ["n2"])
        // With n2 taken, a second job of Alice waits rather than land on n1.
        let second = try #require(queuedID(try driver.run(.submitJob(spec: hostSpec("own-2", gpus: 1), pool: nil), by: "alice", after: 1)))
        #expect(leaseStarts(try driver.run(.clear, by: governance)).isEmpty)
        #expect(driver.state.waitingReasons[second] == "excluded_operator", "only her own node has a GPU free")
        #expect(driver.state.runningLeaseOfOrder[second] == nil)
    }
}
