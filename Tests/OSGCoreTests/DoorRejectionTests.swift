import OSGCore
import OSGDomain
import Testing

@Suite("Refusals at the door: a governance command from anyone else is refused before it is logged, as apply would refuse it")
struct DoorRejectionTests {
    static let governanceCommands: [Command] = [
        .definePool(SetAsidePool(name: "students", sharePPM: 100_000, pricePerGPUHour: MicroCredits(500_000))),
        .grantSetAside(SetAsideGrant(pool: "students", tenantID: "t1", quotaGPUSeconds: 3_600, expires: t0.adding(seconds: 86_400))),
        .clear,
        .deposit(tenantID: "t1", amount: MicroCredits(1_000_000)),
        .recordCarbonSeries(zone: "NO", firstHour: 500_000, milligramsPerKWh: [20_000]),
        .fundPool(name: "students", amount: MicroCredits(1_000_000)),
    ]

    @Test("each governance command from a stranger: the door's refusal is apply's, code and message; governance passes the door")
    func governanceOnly() throws {
        for command in Self.governanceCommands {
            var driver = Driver()
            let door = try #require(driver.state.rejection(of: command, actor: "mallory", at: driver.time), "\(command)")
            let applied = try driver.run(command, by: "mallory")
            guard case .rejected(let refusal) = applied.first else {
                Issue.record("\(command) from a stranger was applied: \(applied)")
                continue
            }
            #expect(door == refusal, "\(command)")
            #expect(door.code == .notGovernance)
            #expect(driver.state.rejection(of: command, actor: governance, at: driver.time) == nil, "\(command)")
        }
        // A tick has no door check (anyone's tick only applies the published timeouts).
        #expect(Driver().state.rejection(of: .tick, actor: "mallory", at: t0) == nil)
    }
}
