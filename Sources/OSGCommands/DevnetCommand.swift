import ArgumentParser
import Foundation
import Logging
import OSGAuditTool
import Synchronization

/// `osg devnet`: the whole network on this machine, in one command (DESIGN.md §9).
struct DevnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet",
        abstract: "Run a whole network here: a coordinator, agents with simulated GPUs running real sandboxed jobs, a funded tenant, a set-aside pool, live carbon data.",
        discussion: """
            Everything is kept in --data (default osg-devnet): starting again there resumes the same network \
            (its log, accounts, nodes and jobs); --reset starts over. Logs go to DATA/devnet.log. \
            Jobs run in bubblewrap sandboxes (apt-get install bubblewrap). No network access is needed: \
            the carbon series are the package's own. Ctrl-C stops the coordinator and the agents; jobs \
            still running finish in their sandboxes and are reported at the next start.
            """
    )

    @Option(name: .long, help: "The devnet's folder.")
    var data = "osg-devnet"

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on; 0 picks a free port.")
    var port = 7070

    @Option(name: .long, help: "How many agents, each with one simulated node (1-\(DevnetNode.all.count)).")
    var agents = 4

    @Flag(name: .long, help: "Submit a stream of sample jobs of every kind: single, gang, set-aside, preemptible, carbon-flexible.")
    var demo = false

    @Option(name: .long, help: "Seconds between two demo jobs.")
    var demoInterval: Double = 15

    @Option(name: .long, help: "Seconds between market clearings.")
    var clearInterval: Double = 2

    @Flag(name: .long, help: "Remove the devnet's folder first (its jobs are stopped) and start a new network.")
    var reset = false

    @Option(name: .long, help: "Level of DATA/devnet.log: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    @Flag(name: .long, help: "Print one JSON object once the network runs (URLs, keys, nodes) instead of text.")
    var json = false

    func validate() throws {
        guard (1...DevnetNode.all.count).contains(agents) else { throw ValidationError("--agents must be 1 to \(DevnetNode.all.count); got \(agents)") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0-65535; got \(port)") }
        guard demoInterval >= 0.5, demoInterval <= 3_600 else { throw ValidationError("--demo-interval must be 0.5-3600 seconds; got \(demoInterval)") }
        guard clearInterval > 0, clearInterval <= 3_600 else { throw ValidationError("--clear-interval must be above 0 and at most 3600 seconds; got \(clearInterval)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning or error; got \(logLevel)") }
    }

    func run() async throws {
        let layout = DevnetLayout(data)
        umask(0o077)
        do {
            if reset, layout.exists {
                let lock = try layout.lock()
                await Devnet.killLeftoverJobs(in: layout, logger: Logger(label: "osg.devnet", factory: { _ in SwiftLogNoOpLogHandler() }))
                try layout.reset()
                close(lock)
                if !json { Self.say("removed \(layout.root.path)") }
            } else if reset {
                try layout.reset()
            }
            try layout.prepare(now: WallClock.now().description)
        } catch {
            throw CleanExit.failure("\(error)")
        }
        let lock: Int32
        do { lock = try layout.lock() } catch { throw CleanExit.failure("\(error)") }
        defer { close(lock) }
        let logger = try Self.fileLoggers(layout.logFile, level: Logger.Level(rawValue: logLevel) ?? .info)

        var options = Devnet.Options()
        options.nodes = Array(DevnetNode.all.prefix(agents))
        options.host = host
        options.port = port
        options.clearIntervalSeconds = clearInterval
        options.demoIntervalSeconds = demo ? demoInterval : nil
        let quiet = json
        if !json { Self.say("starting a devnet in \(layout.root.path) …") }
        let devnet: Devnet
        let progress = ProgressIndicator("starting the coordinator and \(agents) agents", enabled: !json && ProgressIndicator.isEnabled)
        defer { progress.finish() }
        do {
            devnet = try await Devnet.start(in: layout, options: options, logger: logger) { turn in
                guard !quiet, case .submitted(let kind, let job) = turn else { return }
                Self.say("demo: submitted \(job) (\(kind.rawValue))")
            }
        } catch {
            throw CleanExit.failure("the devnet did not start: \(error) (details in \(layout.logFile.path))")
        }
        progress.finish()
        let guide = DevnetGuide(
            url: devnet.url, folder: data, nodes: options.nodes, tenantID: devnet.tenantID, newcomerID: devnet.newcomerID,
            resumedEntries: devnet.resumed ? await devnet.coordinator.coordinator.currentState().nextSequence : nil,
            demoIntervalSeconds: options.demoIntervalSeconds, osg: Self.invocation())
        Self.say(json ? JSONOutput.string(guide.object) : guide.text)

        let failure = await Self.waitForSignalOrFailure(devnet)
        if !json { Self.say(failure.map { "stopping: \($0)" } ?? "stopping …") }
        await devnet.stop()
        if !json { Self.say("stopped. `\(guide.osg) devnet` resumes this network; `\(guide.osg) devnet --reset` starts over.") }
        if let failure { throw CleanExit.failure(failure) }
    }

    /// Loggers writing JSON lines to `file` (appended), one label per part.
    private static func fileLoggers(_ file: URL, level: Logger.Level) throws -> @Sendable (String) -> Logger {
        if !FileManager.default.fileExists(atPath: file.path) { FileManager.default.createFile(atPath: file.path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: file.path) else { throw CleanExit.failure("cannot write \(file.path)") }
        handle.seekToEndOfFile()
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label, output: handle)
            handler.logLevel = level
            return handler
        }
        return { Logger(label: $0) }
    }

    /// Blocks until SIGINT or SIGTERM, or until a part of the devnet stops by itself (returned).
    private static func waitForSignalOrFailure(_ devnet: Devnet) async -> String? {
        let signalled = Mutex(false)
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { signalled.withLock { $0 = true } }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        while !signalled.withLock({ $0 }) {
            if let failure = devnet.coordinator.failure { return "the coordinator stopped: \(failure)" }
            if let failure = devnet.agentFailure { return failure }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    /// Writes a line to standard output at once (a devnet runs for long: its lines must reach a
    /// pipe or a file as they happen, not when a buffer fills).
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// How the user ran this binary: `swift run osg` from a build folder, else `osg`.
    private static func invocation() -> String {
        CommandLine.arguments.first.map { $0.contains("/.build/") } == true ? "swift run osg" : "osg"
    }
}
