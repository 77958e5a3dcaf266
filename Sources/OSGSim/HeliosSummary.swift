/// One cluster row of the Helios summary table (`helios_cluster_summary.csv`, Hu et al., SC'21):
/// the GPU-job statistics the simulator's workload is compared with.
public struct HeliosCluster: Hashable, Sendable {
    /// `id`: Venus, Earth, Saturn, Uranus or total.
    public var name: String
    /// `gpu_num`: GPUs of the cluster.
    public var gpus: Int
    /// `gpu_job_num`.
    public var gpuJobs: Int
    /// `avg_run_time_gpu`, `med_run_time_gpu` (seconds).
    public var meanRunSeconds: Double
    public var medianRunSeconds: Double
    /// `avg_que_time_gpu`, `med_que_time_gpu` (seconds).
    public var meanQueueSeconds: Double
    public var medianQueueSeconds: Double
    /// `avg_gpu_num`, `med_gpu_num`.
    public var meanGPUs: Double
    public var medianGPUs: Double
}

/// Reads the Helios cluster summary (HeliosArtifact, MIT; data CC BY 4.0).
public enum HeliosSummary {
    static let columns = ["id", "gpu_num", "gpu_job_num", "avg_run_time_gpu", "med_run_time_gpu", "avg_que_time_gpu",
                          "med_que_time_gpu", "avg_gpu_num", "med_gpu_num"]

    /// Parses the table.
    ///
    /// - Throws: ``SimDataError`` naming the file and line of a row with the wrong field count
    ///   or a number that does not parse, a missing column, or no row.
    public static func parse(_ text: String, file: String) throws(SimDataError) -> [HeliosCluster] {
        let lines = CSVLine.lines(text)
        guard let header = lines.first else { throw SimDataError(.empty, file: file, "the file is empty") }
        let names = try CSVLine.fields(header.text, file: file, line: header.number).map { String($0).trimmingCharacters(in: " \u{FEFF}") }
        var at: [String: Int] = [:]
        for name in columns {
            guard let position = names.firstIndex(of: name) else {
                throw SimDataError(.missingColumn, file: file, line: 1, "the header lacks column `\(name)`")
            }
            at[name] = position
        }
        var clusters: [HeliosCluster] = []
        for (number, line) in lines.dropFirst() where !line.isEmpty {
            let fields = try CSVLine.fields(line, file: file, line: number)
            guard fields.count == names.count else {
                throw SimDataError(.badRow, file: file, line: number, "has \(fields.count) fields, the header has \(names.count)")
            }
            func value(_ name: String) throws(SimDataError) -> Double {
                guard let number = Double(fields[at[name]!]), number >= 0, number.isFinite else {
                    throw SimDataError(.badRow, file: file, line: number, "`\(name)` is `\(fields[at[name]!])`; expected a number ≥ 0")
                }
                return number
            }
            clusters.append(HeliosCluster(
                name: String(fields[at["id"]!]), gpus: Int(try value("gpu_num")), gpuJobs: Int(try value("gpu_job_num")),
                meanRunSeconds: try value("avg_run_time_gpu"), medianRunSeconds: try value("med_run_time_gpu"),
                meanQueueSeconds: try value("avg_que_time_gpu"), medianQueueSeconds: try value("med_que_time_gpu"),
                meanGPUs: try value("avg_gpu_num"), medianGPUs: try value("med_gpu_num")))
        }
        guard !clusters.isEmpty else { throw SimDataError(.empty, file: file, "holds no cluster row") }
        return clusters
    }
}
