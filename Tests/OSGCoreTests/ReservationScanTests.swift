@testable import OSGCore
import OSGDomain
import Testing

/// The head's reservation stops reading nodes as soon as an order could start now (there is
/// nothing to reserve then). Stopping early must never change the answer: for the orders of
/// generated logs (each taken as if it were the head), at many points of the logs, the early
/// scan gives what reading every node gives.
@Suite("The reservation's early stop never changes its answer")
struct ReservationScanTests {
    @Test("early and full scans agree for every order taken as the head", arguments: [UInt64(1), 2, 3])
    func earlyStopAgrees(seed: UInt64) {
        var workload = CommandLogWorkload(seed: seed, operators: 2, nodesPerOperator: 2, tenants: 40)
        var compared = 0
        var startableNow = 0
        for _ in 0..<24 {
            _ = workload.entries(count: 250)
            let state = workload.state
            guard let time = state.lastTime else { continue }
            let fleet = state.fleet.view
            let occupancy = state.baseOccupancy(now: time)
            // Gangs and single-node orders of every class, submitted so far.
            for orderID in state.orders.keys.sorted().suffix(40) {
                guard let order = state.orders[orderID] else { continue }
                let early = state.reservation(for: order, occupancy: occupancy, fleet: fleet, at: time)
                let full = state.reservation(for: order, occupancy: occupancy, fleet: fleet, at: time, stopsEarly: false)
                #expect(early == full, "seed \(seed), order \(orderID) at \(time): \(String(describing: early)) against \(String(describing: full))")
                compared += 1
                if full == nil { startableNow += 1 }
            }
        }
        #expect(compared > 500, "seed \(seed): the logs have orders")
        #expect(startableNow > 0 && startableNow < compared, "seed \(seed): both answers occur (\(startableNow) of \(compared) without a reservation)")
    }
}
