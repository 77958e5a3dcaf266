import OSGDomain

/// A job spec read from another system's job description (`osg import`), with a warning for
/// every option it could not carry.
public struct ImportedSpec: Sendable, Hashable {
    /// The spec, valid at the time the import ran.
    public var spec: JobSpec
    /// One sentence per option that was dropped or read with a caveat, in the order met.
    public var warnings: [String]
}

/// Why a job description cannot become a job spec: the whole reason, naming the option.
public struct ImportRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong and, where there is one, how to fix it.
    public var reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}

/// What the caller supplies that a job description may not say.
public struct ImportOptions: Sendable, Hashable {
    /// The price bound to use when the description carries none (`--max-price`).
    public var maxPrice: MicroCredits?
    /// The expected and longest run time to use when the description gives none (`--duration`).
    public var durationSeconds: Int64?
    /// The time the spec is checked at (deadlines must be in the future).
    public var now: Timestamp
    /// The file's name without its extension: the job's name when the description has none.
    public var sourceName: String

    public init(maxPrice: MicroCredits? = nil, durationSeconds: Int64? = nil, now: Timestamp, sourceName: String) {
        self.maxPrice = maxPrice
        self.durationSeconds = durationSeconds
        self.now = now
        self.sourceName = sourceName
    }
}

/// Reads a Slurm batch script or a Kubernetes Job/Pod manifest, whichever `text` is.
public enum JobImporter {
    /// The spec `text` describes; throws the reason when it cannot be one.
    public static func read(_ text: String, options: ImportOptions) throws(ImportRefusal) -> ImportedSpec {
        if looksLikeSlurm(text) { return try SlurmScriptImporter.read(text, options: options) }
        if looksLikeKubernetes(text) { return try KubernetesManifestImporter.read(text, options: options) }
        throw ImportRefusal("not a Slurm batch script (no #! line or #SBATCH directive) nor a Kubernetes manifest (no apiVersion and kind)")
    }

    static func looksLikeSlurm(_ text: String) -> Bool {
        text.hasPrefix("#!") || TextLines.split(text).contains { $0.hasPrefix("#SBATCH") }
    }

    static func looksLikeKubernetes(_ text: String) -> Bool {
        let lines = TextLines.split(text)
        return lines.contains { $0.hasPrefix("apiVersion:") } && lines.contains { $0.hasPrefix("kind:") }
    }
}
