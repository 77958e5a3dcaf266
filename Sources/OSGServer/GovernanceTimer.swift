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
    /// The carbon feed's top-up (if any), then one tick and one clearing, logged like any command.
    public func governanceRound() async {
        await recordCarbonAhead()
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

extension Coordinator {
    /// Records the carbon feed's hours up to a week ahead of now, where a zone has fewer than
    /// three days ahead (nothing without a feed, or when every zone is far enough ahead).
    public func recordCarbonAhead() async {
        guard let feed = configuration.carbonFeed else { return }
        let nowHour = clock().secondsSinceEpoch / 3_600
        let commands = feed.commands(recordedEnds: await writer.recordedCarbonEnds(), nowHour: nowHour)
        for command in commands {
            do {
                _ = try await writer.submit(command, actor: governanceID)
            } catch {
                logger.warning("carbon series not logged", metadata: ["error": "\(error)"])
                return
            }
        }
        if !commands.isEmpty {
            logger.info("carbon series recorded ahead", metadata: ["windows": "\(commands.count)", "zones": "\(feed.seriesByZone.count)"])
        }
    }
}
