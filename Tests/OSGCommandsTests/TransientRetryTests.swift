import Synchronization
import Testing
@testable import OSGCommands

/// The agent asks again for a job's contents or secrets after a transient failure (no
/// answer, 429, 5xx), a bounded number of times, and takes a refusal at once.
@Suite("Agent: transient failures of contents and secrets are retried")
struct TransientRetryTests {
    enum Step { case unreachable, status(Int) }

    /// Runs the retry loop over `steps` (one per attempt); the final answer's status (or
    /// `nil` when it threw) and the attempts made.
    static func run(_ steps: [Step], pauses: Int) async -> (status: Int?, attempts: Int) {
        let attempts = Mutex(0)
        let answer = try? await HTTPAgentCoordinator.retryingTransientFailures(pauses: Array(repeating: .zero, count: pauses)) {
            let index = attempts.withLock { count in
                count += 1
                return count - 1
            }
            switch steps[min(index, steps.count - 1)] {
            case .unreachable: throw CoordinatorClient.Failure(description: "cannot reach the coordinator")
            case .status(let status): return CoordinatorClient.Answer(status: status, body: [])
            }
        }
        return (answer?.status, attempts.withLock { $0 })
    }

    @Test("no answer, then 503, then 200: the third attempt's answer")
    func recovers() async {
        let result = await Self.run([.unreachable, .status(503), .status(200)], pauses: 4)
        #expect(result.status == 200 && result.attempts == 3)
    }

    @Test("a refusal is not asked again")
    func refusal() async {
        let result = await Self.run([.status(404)], pauses: 4)
        #expect(result.status == 404 && result.attempts == 1)
        let conflict = await Self.run([.status(409)], pauses: 4)
        #expect(conflict.status == 409 && conflict.attempts == 1)
    }

    @Test("a failure that lasts: one attempt per pause and one more, then the last answer or error")
    func bounded() async {
        let busy = await Self.run([.status(503)], pauses: 4)
        #expect(busy.status == 503 && busy.attempts == 5)
        let limited = await Self.run([.status(429)], pauses: 2)
        #expect(limited.status == 429 && limited.attempts == 3)
        let gone = await Self.run([.unreachable], pauses: 4)
        #expect(gone.status == nil && gone.attempts == 5)
    }
}
