extension WorkloadModel {
    /// Mean and median GPUs and run time (seconds, capped) of the model's shapes, as the
    /// Helios summary states them for its clusters.
    public var statistics: (meanGPUs: Double, medianGPUs: Int, meanRunSeconds: Double, medianRunSeconds: Int64) {
        let gpus = shapes.map(\.gpus).sorted()
        let runs = shapes.map(\.durationSeconds).sorted()
        return (Double(gpus.reduce(0, +)) / Double(gpus.count), gpus[(gpus.count - 1) / 2],
                Double(runs.reduce(0, +)) / Double(runs.count), runs[(runs.count - 1) / 2])
    }
}
