/// How a job ended, as the supervisor writes it in `status`: one line.
enum SandboxExitStatus {
    /// Reads a `status` line: `exited <code>`, `signalled <signal>`, `oom`, `timedout`,
    /// `stopped`, or `fault <reason>`. Anything else is a node fault naming the line.
    static func parse(_ line: String) -> JobExit {
        let line = line.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("exited", 2): if let code = Int32(parts[1]) { return .exited(code: code) }
        case ("signalled", 2): if let signal = Int32(parts[1]) { return .signalled(signal: signal) }
        case ("oom", 1): return .outOfMemory
        case ("timedout", 1): return .timedOut
        case ("stopped", 1): return .stopped
        case ("fault", 2): return .nodeFault(parts[1])
        default: break
        }
        return .nodeFault("the supervisor wrote an unreadable status: \(line.prefix(200).debugDescription)")
    }
}
