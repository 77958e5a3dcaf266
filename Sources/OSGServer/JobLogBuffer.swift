import Synchronization

/// Log lines that agents stream for running jobs, kept in memory with bounds (lines per
/// job, bytes per line, jobs). They are not commands: they are not in the command log, do
/// not survive a restart, and the oldest job's lines are dropped first when full.
final class JobLogBuffer: Sendable {
    struct Lines {
        var lines: [String] = []
        var dropped = 0
        var touched: UInt64 = 0
    }

    let maxLinesPerJob: Int
    let maxLineBytes: Int
    let maxJobs: Int
    private let jobs = Mutex<(byJob: [String: Lines], counter: UInt64)>(([:], 0))

    init(maxLinesPerJob: Int = 1_000, maxLineBytes: Int = 4_096, maxJobs: Int = 10_000) {
        self.maxLinesPerJob = maxLinesPerJob
        self.maxLineBytes = maxLineBytes
        self.maxJobs = maxJobs
    }

    /// Appends lines for `job`, truncating long lines and keeping the newest ones.
    func append(_ lines: [String], to job: String) {
        jobs.withLock { state in
            state.counter += 1
            if state.byJob[job] == nil, state.byJob.count >= maxJobs,
               let oldest = state.byJob.min(by: { $0.value.touched < $1.value.touched })?.key {
                state.byJob[oldest] = nil
            }
            var entry = state.byJob[job] ?? Lines()
            entry.touched = state.counter
            for line in lines {
                entry.lines.append(line.utf8.count <= maxLineBytes ? line : String(decoding: line.utf8.prefix(maxLineBytes), as: UTF8.self))
            }
            if entry.lines.count > maxLinesPerJob {
                let excess = entry.lines.count - maxLinesPerJob
                entry.lines.removeFirst(excess)
                entry.dropped += excess
            }
            state.byJob[job] = entry
        }
    }

    /// The kept lines of `job` and how many older ones were dropped.
    func lines(of job: String) -> (lines: [String], dropped: Int) {
        jobs.withLock { state in
            let entry = state.byJob[job] ?? Lines()
            return (entry.lines, entry.dropped)
        }
    }
}
