@testable import OSGServer
import Synchronization
import Testing

@Suite("One deadline clock for many request bodies")
struct DeadlineWatchTests {
    /// Counts firings per key.
    final class Firings: Sendable {
        let counts = Mutex<[String: Int]>([:])
        func fire(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }
        func count(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
    }

    /// Waits until `condition` holds, for at most a minute of wall time (the whole suite runs
    /// in parallel, and a busy machine may run the ticker late).
    func eventually(_ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + .seconds(60)
        while !condition(), ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test("an overdue deadline fires once and cannot be forgotten; one forgotten in time never fires")
    func firesOnce() async throws {
        let watch = DeadlineWatch(granularity: .milliseconds(5))
        let firings = Firings()
        let late = watch.watch(until: .now + .milliseconds(20)) { firings.fire("late") }
        let prompt = watch.watch(until: .now + .seconds(3_600)) { firings.fire("prompt") }
        try await eventually { firings.count("late") > 0 }
        #expect(firings.count("late") == 1)
        #expect(!watch.forget(late), "a fired deadline reports that it fired")
        #expect(watch.forget(prompt), "a deadline forgotten before it passes was still watched")
        try await Task.sleep(for: .milliseconds(30))
        #expect(firings.count("late") == 1 && firings.count("prompt") == 0)
        #expect(watch.count == 0)
    }

    @Test("the ticker stops when nothing is watched and starts again with the next watch")
    func restarts() async throws {
        let watch = DeadlineWatch(granularity: .milliseconds(5))
        let firings = Firings()
        for round in 0..<3 {
            _ = watch.watch(until: .now + .milliseconds(10)) { firings.fire("round") }
            try await eventually { firings.count("round") > round }
            #expect(firings.count("round") == round + 1)
            // Idle long enough for the ticker to see an empty watch and stop.
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(watch.count == 0)
    }
}
