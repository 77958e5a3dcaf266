@testable import OSGServer
import Synchronization
import Testing

@Suite("Public views are computed once per key at a time")
struct PublicViewCacheTests {
    @Test("many concurrent first requests share one computation; fresh entries are reused")
    func singleFlight() async throws {
        let cache = PublicViewCache(maxAgeNanoseconds: 60_000_000_000)
        let computations = Counter()
        let answers = await withTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<50 {
                group.addTask {
                    await cache.bytes(for: "stats") {
                        computations.value.withLock { $0 += 1 }
                        try? await Task.sleep(for: .milliseconds(50))
                        return [42]
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0 == [42] })
        #expect(computations.value.withLock { $0 } == 1)
        let again = await cache.bytes(for: "stats") { [0] }
        #expect(again == [42], "a fresh entry is reused")
        #expect(await cache.bytes(for: "market") { [7] } == [7], "keys are separate")
    }

    @Test("after an idle spell longer than twice the maximum age, the first answer is computed afresh, not the old one")
    func boundedStaleness() async throws {
        let cache = PublicViewCache(maxAgeNanoseconds: 50_000_000)
        #expect(await cache.bytes(for: "pools") { [1] } == [1])
        try await Task.sleep(for: .milliseconds(300))
        #expect(await cache.bytes(for: "pools") { [2] } == [2], "an answer 300 ms old is not served for a 50 ms view")
    }
}

final class Counter: Sendable {
    let value = Mutex(0)
}
