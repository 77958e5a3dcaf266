import Foundation

/// The result `../shared/peers/slurm_replay.py` prints: real Slurm's queue waits on a window of
/// a pod list, in trace seconds, to print beside the simulated ones (`osg sim --calibrate-slurm
/// --peer FILE.json`).
public struct SlurmPeerResult: Hashable, Sendable {
    /// What ran (e.g. `slurm 22.05 sched/backfill, 1 node, 16 GPUs`), when the file says.
    public var peer: String?
    /// The window's first trace second and length, when the file says.
    public var windowStartSeconds: Int64?
    public var hours: Double?
    /// The time compression of the replay (one real second = `compress` trace seconds).
    public var compress: Double?
    /// Jobs submitted and jobs that completed.
    public var jobs: Int
    public var completed: Int?
    /// Wait percentiles, trace seconds.
    public var waitP50Seconds: Double
    public var waitP90Seconds: Double
    public var waitP99Seconds: Double

    /// Reads the JSON object of `data` (from `file`, for messages).
    /// - Throws: ``SimDataError`` when it is not a JSON object, or lacks `jobs` or a wait
    ///   percentile (the harness prints `null` when no job completed), or a value has the
    ///   wrong type or sign.
    public static func parse(_ data: Data, file: String) throws(SimDataError) -> SlurmPeerResult {
        /// The harness's keys; numbers may be written as integers or decimals.
        struct Raw: Decodable {
            var peer: String?
            var window_start_s: Double?
            var hours: Double?
            var compress: Double?
            var jobs: Double?
            var completed: Double?
            var wait_p50_s: Double?
            var wait_p90_s: Double?
            var wait_p99_s: Double?
        }
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SimDataError(.badRow, file: file, (key.isEmpty ? "" : "`\(key)`: ") + "\(context.debugDescription); expected the JSON object slurm_replay.py prints")
        } catch {
            throw SimDataError(.badRow, file: file, "is not the JSON object slurm_replay.py prints (\(error))")
        }
        func value(_ number: Double?, _ key: String) throws(SimDataError) -> Double {
            guard let number else {
                throw SimDataError(.missingColumn, file: file, "has no `\(key)`" + (key.hasPrefix("wait_") ? " (null when no job completed in the peer's run)" : ""))
            }
            guard number.isFinite, number >= 0, number < 1e15 else { throw SimDataError(.badRow, file: file, "`\(key)` is \(number); expected a number ≥ 0") }
            return number
        }
        let jobs = try value(raw.jobs, "jobs")
        guard jobs == jobs.rounded() else { throw SimDataError(.badRow, file: file, "`jobs` is \(jobs); expected a whole number") }
        func optional(_ number: Double?, _ key: String) throws(SimDataError) -> Double? {
            guard let number else { return nil }
            return try value(number, key)
        }
        return SlurmPeerResult(
            peer: raw.peer, windowStartSeconds: try optional(raw.window_start_s, "window_start_s").map { Int64($0) },
            hours: try optional(raw.hours, "hours"), compress: try optional(raw.compress, "compress"),
            jobs: Int(jobs), completed: try optional(raw.completed, "completed").map { Int($0) },
            waitP50Seconds: try value(raw.wait_p50_s, "wait_p50_s"), waitP90Seconds: try value(raw.wait_p90_s, "wait_p90_s"),
            waitP99Seconds: try value(raw.wait_p99_s, "wait_p99_s"))
    }

    /// What makes this result a different window from `window`, or `nil` when it is the same
    /// (or the file does not say).
    public func mismatch(with window: SlurmCalibration.Window) -> String? {
        if let windowStartSeconds, windowStartSeconds != window.startSeconds {
            return "the peer's window starts at trace second \(windowStartSeconds), this one at \(window.startSeconds) (--from-day \(window.fromDay))"
        }
        if let hours, hours != window.hours {
            return "the peer's window is \(hours) h long, this one \(window.hours) h (--hours)"
        }
        return nil
    }
}
