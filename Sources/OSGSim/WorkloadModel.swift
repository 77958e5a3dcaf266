import OSGDomain

/// The statistics a synthetic workload copies from a trace: the joint distribution of
/// (GPUs, run time, flexibility) and the hour-of-day profile of arrivals.
public struct WorkloadModel: Hashable, Sendable {
    /// One job shape observed in the trace.
    public struct Shape: Hashable, Sendable {
        public var gpus: Int
        public var durationSeconds: Int64
        public var flexible: Bool
        /// CPU cores and memory (GiB) the pod asked.
        public var cpus: Int = 0
        public var memoryGiB: Int = 0
    }

    /// Every observed shape (bootstrap sampling draws from these uniformly).
    public var shapes: [Shape]
    /// Arrivals per hour of day (24 weights, at least one positive).
    public var hourWeights: [Int]

    /// Run times are capped at this (DESIGN.md §10 calibration: 24 h).
    public static let durationCapSeconds: Int64 = 86_400

    /// Builds the model from trace pods (run time capped at 24 h, at least 1 s).
    public init(pods: [TracePod]) {
        precondition(!pods.isEmpty, "a workload model needs at least one pod")
        shapes = pods.map {
            Shape(gpus: $0.gpus, durationSeconds: min(max($0.runSeconds, 1), Self.durationCapSeconds), flexible: $0.qos == "BE",
                  cpus: $0.cores, memoryGiB: $0.memoryGiB)
        }
        var hours = Array(repeating: 0, count: 24)
        for pod in pods { hours[Int((pod.creationSeconds / 3600) % 24)] += 1 }
        hourWeights = hours.map { max($0, 1) }
    }

    /// Mean GPU-seconds of a shape.
    public var meanGPUSeconds: Double {
        Double(shapes.reduce(Int64(0)) { $0 + Int64($1.gpus) * $1.durationSeconds }) / Double(shapes.count)
    }

    /// Mean GPU-seconds of a generated job when `largeJobs` are mixed in.
    public func meanGPUSeconds(largeJobs: LargeJobs?) -> Double {
        guard let largeJobs else { return meanGPUSeconds }
        let large = shapes.filter { $0.gpus >= 8 }
        let largeRun = large.isEmpty ? Double(shapes.reduce(Int64(0)) { $0 + $1.durationSeconds }) / Double(shapes.count)
            : Double(large.reduce(Int64(0)) { $0 + $1.durationSeconds }) / Double(large.count)
        let share = Double(largeJobs.permille) / 1000
        return (1 - share) * meanGPUSeconds + share * largeJobs.meanGPUs * largeRun
    }
}
