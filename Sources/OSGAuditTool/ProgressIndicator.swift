import Foundation
import Synchronization

/// A one-line spinner on standard error for a wait of more than a second (`osg submit --wait`,
/// `osg logs -f`, `osg audit`, `osg devnet` starting): `⠋ job-7: pending (queue #2) · 12 s`.
/// Drawn only when standard error is a terminal; pipes and logs get nothing from it.
package final class ProgressIndicator: Sendable {
    private struct Line {
        var message: String
        var since: ContinuousClock.Instant
        var frame = 0
        var drawn = false
    }

    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
    private final class Shared: Sendable {
        let line: Mutex<Line>
        init(_ line: Line) { self.line = Mutex(line) }
    }

    private let shared: Shared
    private let ticker: Task<Void, Never>?

    /// Whether standard error is a terminal (and `TERM` is not `dumb`).
    package static var isEnabled: Bool { isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }

    package init(_ message: String, enabled: Bool = ProgressIndicator.isEnabled) {
        let shared = Shared(Line(message: message, since: .now))
        self.shared = shared
        ticker = enabled ? Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                shared.line.withLock { line in
                    let elapsed = ContinuousClock.now - line.since
                    guard elapsed >= .seconds(1), !Task.isCancelled else { return }
                    line.frame = (line.frame + 1) % Self.frames.count
                    line.drawn = true
                    Self.write("\r\u{1B}[K\(Self.frames[line.frame]) \(line.message) · \(elapsed.components.seconds) s")
                }
            }
        } : nil
    }

    /// Shows `message` from now on (the elapsed time counts from the first message).
    package func update(_ message: String) {
        shared.line.withLock { $0.message = message }
    }

    /// Erases the line, so that other output starts on a clean line; the next tick draws it again.
    package func clear() {
        shared.line.withLock { line in
            if line.drawn { Self.write("\r\u{1B}[K") }
            line.drawn = false
        }
    }

    /// Stops and erases the indicator.
    package func finish() {
        ticker?.cancel()
        clear()
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
