import Foundation
import OSGCore
import OSGDomain
import OSGRequestBodies
import Synchronization
import Testing
@testable import OSGServer

/// Records what the writer shows it.
final class RecordingObserver: CommandLogObserver {
    let seen = Mutex<[UInt64]>([])
    func didAppend(_ entries: [LogEntry], state: CoordinatorState) async throws {
        precondition(state.nextSequence == entries.last!.sequence + 1, "the state includes the entries")
        seen.withLock { $0 += entries.map(\.sequence) }
    }
}

@Suite("The single writer: group commit and the log observer")
struct WriterTests {
    @Test("concurrent commands share store appends; each is answered after the observer saw it, in log order")
    func groupCommitAndObserver() async throws {
        let observer = RecordingObserver()
        let harness = try await Harness.make(observers: [observer])
        let writer = harness.coordinator.writer
        let tenants = (0..<200).map { _ in Participant().id }
        let outcomes = try await withThrowingTaskGroup(of: (UInt64, Bool).self) { group in
            for tenant in tenants {
                group.addTask {
                    let outcome = try await writer.submit(.deposit(tenantID: tenant, amount: MicroCredits(1_000_000)), actor: harness.coordinator.governanceID)
                    // Answered only after the observer saw this entry.
                    return (outcome.entry.sequence, observer.seen.withLock { $0.contains(outcome.entry.sequence) })
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0.1 })
        #expect(Set(outcomes.map(\.0)) == Set(0..<200))
        #expect(observer.seen.withLock { $0 } == Array(0..<200), "the observer sees every entry once, in order")
        let text = String(decoding: harness.coordinator.metrics.render(), as: UTF8.self)
        let appends = text.split(separator: "\n").first { $0.hasPrefix("osg_store_appends_total") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Int($0) }
        let count = try #require(appends)
        #expect(count >= 1 && count < 200, "200 concurrent commands took \(count) store appends")
        for tenant in tenants.prefix(3) {
            #expect(await writer.read { $0.availableFunds(of: tenant) } == MicroCredits(1_000_000))
        }
    }

    @Test("a command too large for a log entry is refused with 413 before anything is logged")
    func oversizedCommand() async throws {
        let harness = try await Harness.make()
        let writer = harness.coordinator.writer
        let before = await writer.logLength
        let huge: Command = .deposit(tenantID: String(repeating: "t", count: 70_000), amount: MicroCredits(1))
        do {
            _ = try await writer.submit(huge, actor: harness.coordinator.governanceID)
            Issue.record("an oversized command was logged")
        } catch let error as APIError {
            #expect(error.status.code == 413 && error.code == "entry_too_large", "\(error)")
        }
        #expect(await writer.logLength == before)
        #expect(await writer.failed == nil, "the store keeps accepting writes")
        let outcome = try await writer.submit(.deposit(tenantID: "t1", amount: MicroCredits(1)), actor: harness.coordinator.governanceID)
        #expect(outcome.entry.sequence == before)
    }
}
