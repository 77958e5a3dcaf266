/// The per-minute load of one Helios virtual cluster (`<Cluster>_<vc>_cluster_sequence.csv`,
/// Hu et al., SC'21, CC BY 4.0), reduced to what the synthetic generator can be checked
/// against: the hour-of-day profile of busy GPUs and the weight of large (≥ 8-GPU) jobs.
public struct HeliosLoad: Hashable, Sendable {
    /// Minutes read.
    public var minutes: Int
    /// Mean busy GPUs per hour of day (the file's clock), 24 values.
    public var busyGPUsByHour: [Double]
    /// Mean GPUs of the cluster over the file.
    public var meanTotalGPUs: Double
    /// Of the running GPU jobs, averaged over minutes: the share asking ≥ 8 GPUs.
    public var largeJobShare: Double
    /// Mean GPUs of a running job asking ≥ 8 GPUs.
    public var largeJobMeanGPUs: Double
}

/// Reads Helios cluster sequences.
public enum HeliosSequence {
    static let columns = ["time", "running_gpujob_num", "running_gpu_num", "total_gpu_num",
                          "running_gpu_num_noless_8", "running_job_num_noless_8"]

    /// Parses one sequence file.
    ///
    /// - Throws: ``SimDataError`` for a missing column, a bad time or count (file and line), or
    ///   no row.
    public static func parse(_ text: String, file: String) throws(SimDataError) -> HeliosLoad {
        let lines = CSVLine.lines(text)
        guard let header = lines.first else { throw SimDataError(.empty, file: file, "the file is empty") }
        let names = try CSVLine.fields(header.text, file: file, line: header.number).map { String($0).trimmingCharacters(in: " \u{FEFF}\r") }
        var at: [Int] = []
        for name in columns {
            guard let position = names.firstIndex(of: name) else {
                throw SimDataError(.missingColumn, file: file, line: 1, "the header lacks column `\(name)`")
            }
            at.append(position)
        }
        var busy = Array(repeating: 0.0, count: 24)
        var count = Array(repeating: 0, count: 24)
        var minutes = 0
        var totalGPUs = 0.0
        var runningJobs = 0.0
        var largeJobs = 0.0
        var largeGPUs = 0.0
        for (number, line) in lines.dropFirst() where !line.isEmpty {
            let fields = try CSVLine.fields(line, file: file, line: number)
            guard fields.count == names.count else {
                throw SimDataError(.badRow, file: file, line: number, "has \(fields.count) fields, the header has \(names.count)")
            }
            let time = fields[at[0]]
            // "2020-05-01 00:00:00": the hour is characters 11-12.
            guard time.count >= 13, let hour = Int(time.dropFirst(11).prefix(2)), (0..<24).contains(hour) else {
                throw SimDataError(.badRow, file: file, line: number, "`time` is `\(time)`; expected YYYY-MM-DD HH:MM:SS")
            }
            var values: [Double] = []
            for slot in 1..<columns.count {
                guard let value = Double(fields[at[slot]]), value >= 0, value.isFinite else {
                    throw SimDataError(.badRow, file: file, line: number, "`\(columns[slot])` is `\(fields[at[slot]])`; expected a number ≥ 0")
                }
                values.append(value)
            }
            busy[hour] += values[1]
            count[hour] += 1
            minutes += 1
            totalGPUs += values[2]
            runningJobs += values[0]
            largeGPUs += values[3]
            largeJobs += values[4]
        }
        guard minutes > 0 else { throw SimDataError(.empty, file: file, "holds no minute") }
        return HeliosLoad(minutes: minutes, busyGPUsByHour: (0..<24).map { count[$0] == 0 ? 0 : busy[$0] / Double(count[$0]) },
                          meanTotalGPUs: totalGPUs / Double(minutes), largeJobShare: runningJobs == 0 ? 0 : largeJobs / runningJobs,
                          largeJobMeanGPUs: largeJobs == 0 ? 0 : largeGPUs / largeJobs)
    }
}

/// Daily load profiles, to set a workload beside a measured cluster.
public enum DailyProfile {
    /// Peak-to-trough ratio of an hourly profile (max / min; infinity when the min is 0).
    public static func swing(_ profile: [Double]) -> Double {
        let low = profile.min() ?? 0
        return low == 0 ? .infinity : (profile.max() ?? 0) / low
    }

    /// The Pearson correlation of `a` with `b` rotated by the shift that maximises it (the
    /// traces' clocks are in different, partly unknown time zones), and that shift in hours.
    public static func bestCorrelation(_ a: [Double], _ b: [Double]) -> (correlation: Double, shiftHours: Int) {
        precondition(a.count == 24 && b.count == 24)
        var best = (correlation: -2.0, shiftHours: 0)
        for shift in 0..<24 {
            let rotated = (0..<24).map { b[($0 + shift) % 24] }
            let value = pearson(a, rotated)
            if value > best.correlation + 1e-12 { best = (value, shift) }
        }
        return best
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let meanA = a.reduce(0, +) / n
        let meanB = b.reduce(0, +) / n
        var cov = 0.0, varA = 0.0, varB = 0.0
        for (x, y) in zip(a, b) {
            cov += (x - meanA) * (y - meanB)
            varA += (x - meanA) * (x - meanA)
            varB += (y - meanB) * (y - meanB)
        }
        return varA == 0 || varB == 0 ? 0 : cov / (varA * varB).squareRoot()
    }
}

extension Workload {
    /// Mean GPUs the jobs would hold per hour of day if each ran from its submission
    /// (the offered load's daily shape), over `days` days.
    public func busyGPUsByHour(days: Int) -> [Double] {
        var gpuSeconds = Array(repeating: 0.0, count: 24)
        for job in jobs {
            var from = job.submitSeconds
            let end = job.submitSeconds + job.durationSeconds
            while from < end {
                let hourEnd = (from / 3600 + 1) * 3600
                let until = min(end, hourEnd)
                gpuSeconds[Int((from / 3600) % 24)] += Double(job.gpus) * Double(until - from)
                from = until
            }
        }
        return gpuSeconds.map { $0 / 3600 / Double(max(1, days)) }
    }

    /// Of the running jobs, weighted by run time: the share asking ≥ 8 GPUs and their mean GPUs
    /// (as Helios' per-minute tables give them).
    public var largeJobRunningShare: (share: Double, meanGPUs: Double) {
        var all = 0.0, large = 0.0, largeGPUs = 0.0
        for job in jobs {
            all += Double(job.durationSeconds)
            if job.gpus >= 8 {
                large += Double(job.durationSeconds)
                largeGPUs += Double(job.gpus) * Double(job.durationSeconds)
            }
        }
        return (all == 0 ? 0 : large / all, large == 0 ? 0 : largeGPUs / large)
    }
}
