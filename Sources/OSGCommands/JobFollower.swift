import ArgumentParser
import Foundation
import OSGAuditTool

/// Follows one job through the public API: its status and its output lines, polled once a
/// second, for `osg submit --wait` and `osg logs --follow`.
struct JobFollower {
    let options: ClientOptions
    let client: CoordinatorClient
    let job: String
    /// Output lines already printed, counted from the job's first (dropped lines included).
    private(set) var printedLines = 0
    /// The spinner while ``follow(narrate:maxSeconds:)`` waits (a terminal only).
    private var progress: ProgressIndicator?

    init(options: ClientOptions, client: CoordinatorClient, job: String) {
        self.options = options
        self.client = client
        self.job = job
    }

    /// The statuses after which nothing more happens to a job.
    static let finalStatuses: Set<String> = ["completed", "failed", "cancelled"]

    /// Prints the output lines not printed yet. The coordinator keeps each job's newest 1,000
    /// lines: lines that scrolled out between two polls are reported as skipped.
    mutating func printNewLines() async throws {
        let answer = try await options.quiet.call(client, .GET, "/v1/jobs/\(pathSegment(job))/logs")
        let lines = answer["lines"] as? [String] ?? []
        let dropped = answer["dropped_lines"] as? Int ?? 0
        // Written unbuffered: a follower piped into another program shows each line as it comes.
        var text = ""
        if dropped > printedLines { text += "(\(dropped - printedLines) lines skipped: the coordinator keeps the newest 1,000)\n" }
        for (index, line) in lines.enumerated() where dropped + index >= printedLines { text += line + "\n" }
        if !text.isEmpty {
            progress?.clear()
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        printedLines = max(printedLines, dropped + lines.count)
    }

    /// The job's status view.
    func status() async throws -> [String: Any] {
        try await options.quiet.call(client, .GET, "/v1/jobs/\(pathSegment(job))")
    }

    /// Polls until the job is final (printing its output and each change of status or waiting
    /// reason on standard error when `narrate`), and returns its last status view. Bounded
    /// by `maxSeconds`.
    mutating func follow(narrate: Bool, maxSeconds: Double) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(maxSeconds)
        var said = ""
        let progress = ProgressIndicator("\(job): waiting", enabled: narrate && ProgressIndicator.isEnabled)
        self.progress = progress
        defer {
            progress.finish()
            self.progress = nil
        }
        while true {
            let view = try await status()
            let state = view["status"] as? String ?? "?"
            let detail = (view["waiting_reason"] as? String).map { " (\($0))" } ?? (view["queue_position"].map { " (queue #\($0))" } ?? "")
            // Output first: the lines a job printed come before the status that ends it.
            try await printNewLines()
            if narrate, "\(state)\(detail)" != said {
                said = "\(state)\(detail)"
                progress.clear()
                FileHandle.standardError.write(Data("\(job): \(said)\n".utf8))
                progress.update("\(job): \(said)")
            }
            if Self.finalStatuses.contains(state) {
                try await printNewLines()
                return view
            }
            guard Date() < deadline else { throw CleanExit.failure("\(job) is still \(state) after \(Int(maxSeconds)) s (--timeout); it goes on without us") }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
