@testable import OSGServer
import Synchronization
import Testing

/// The watch's rules, driven with explicit instants (`fireOverdue(at:)`, what its ticker calls),
/// so the result does not depend on when a busy machine runs the ticker. That the ticker runs
/// at all is what the slow-body test checks (a stalled body gets 408).
@Suite("One deadline clock for many request bodies")
struct DeadlineWatchTests {
    /// Counts firings per key.
    final class Firings: Sendable {
        let counts = Mutex<[String: Int]>([:])
        func fire(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }
        func count(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
    }

    @Test("an overdue deadline fires once and cannot be forgotten; one forgotten in time never fires")
    func firesOnce() {
        let watch = DeadlineWatch()
        let firings = Firings()
        let start = ContinuousClock.now
        let late = watch.watch(until: start + .milliseconds(20)) { firings.fire("late") }
        let prompt = watch.watch(until: start + .seconds(3_600)) { firings.fire("prompt") }
        #expect(!watch.fireOverdue(at: start + .seconds(1)), "something is still watched")
        #expect(firings.count("late") == 1 && firings.count("prompt") == 0)
        #expect(!watch.forget(late), "a fired deadline reports that it fired")
        #expect(watch.forget(prompt), "a deadline forgotten before it passes was still watched")
        #expect(watch.fireOverdue(at: start + .seconds(7_200)), "nothing is left to watch")
        #expect(firings.count("late") == 1 && firings.count("prompt") == 0)
        #expect(watch.count == 0)
    }

    @Test("the ticker stops when nothing is watched and the next watch starts it again")
    func restarts() {
        let watch = DeadlineWatch()
        let firings = Firings()
        for round in 1...3 {
            let start = ContinuousClock.now
            _ = watch.watch(until: start + .milliseconds(10)) { firings.fire("round") }
            #expect(watch.tickerRunning)
            #expect(watch.fireOverdue(at: start + .seconds(1)))
            #expect(!watch.tickerRunning)
            #expect(firings.count("round") == round)
        }
        #expect(watch.count == 0)
    }
}
