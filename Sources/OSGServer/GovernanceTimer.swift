import Logging
import OSGCore
import ServiceLifecycle

/// Issues the coordinator's own commands on a timer, under its governance key: a `tick`
/// (liveness, overdue leases, lapsed lockups) then a `clear` (one market clearing).
struct GovernanceTimer: Service {
    let coordinator: Coordinator
    let intervalSeconds: Double

    func run() async throws {
        let interval = Duration.milliseconds(Int64(intervalSeconds * 1_000))
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            if Task.isShuttingDownGracefully { return }
            await coordinator.governanceRound()
        }
    }
}

extension Coordinator {
    /// One tick and one clearing, logged like any command.
    public func governanceRound() async {
        for command in [Command.tick, .clear] {
            do {
                _ = try await writer.submit(command, actor: governanceID)
            } catch {
                logger.warning("governance command not logged", metadata: ["command": "\(command)", "error": "\(error)"])
            }
        }
    }
}

/// Waits for shutdown, then wakes long-polls and records the state digest for the next
/// start's recovery check.
struct ShutdownRecorder: Service {
    let coordinator: Coordinator

    func run() async throws {
        try? await gracefulShutdown()
        await coordinator.writer.wakeAll()
        await coordinator.recordStateDigest()
        await coordinator.store.close()
    }
}
