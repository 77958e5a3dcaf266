import OSGDomain
import Yams

/// Reads a Kubernetes Job (`batch/v1`) or Pod (`v1`) manifest into a job spec.
///
/// The rules are in docs/PORTABILITY.md: one container's image, command, environment and
/// resource limits (or requests) become the spec's; an Indexed Job whose parallelism equals
/// its completions is a gang; `activeDeadlineSeconds` is the time limit; the
/// `openstargate.org/terms` annotation carries the market terms; every field that cannot be
/// carried is named in a warning.
public enum KubernetesManifestImporter {
    /// Kinds that run pods but are not one batch job.
    static let refusedKinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "CronJob", "JobSet", "RayJob", "PyTorchJob", "MPIJob"]

    /// The spec the manifest describes, or the reason it cannot be one.
    public static func read(_ text: String, options: ImportOptions) throws(ImportRefusal) -> ImportedSpec {
        var warnings: [String] = []
        let documents: [Node]
        do {
            documents = try Array(Yams.compose_all(yaml: text)).compactMap { $0 }
        } catch {
            throw ImportRefusal("not valid YAML: \(error)")
        }
        var chosen: (kind: String, node: Node)?
        var others: [String] = []
        for document in documents {
            let kind = document["kind"]?.string ?? "(no kind)"
            if chosen == nil, kind == "Job" || kind == "Pod" {
                chosen = (kind, document)
            } else {
                others.append(kind)
            }
        }
        guard let (kind, manifest) = chosen else {
            let kinds = others.isEmpty ? "nothing" : others.joined(separator: ", ")
            throw ImportRefusal("a \(kinds): only a Job (batch/v1) or a Pod runs as one batch job; \(others.contains { refusedKinds.contains($0) } ? "a long-running or repeated workload has no equivalent" : "nothing to import")")
        }
        for other in others { warnings.append("a \(other) in the same file is not carried") }

        var draft = SpecDraft()
        let metadata = manifest["metadata"]
        draft.name = metadata?["name"]?.string ?? metadata?["generateName"]?.string
        let podTemplate = kind == "Job" ? manifest["spec"]?["template"] : manifest
        guard let pod = podTemplate?["spec"] else { throw ImportRefusal("\(kind) has no pod spec (\(kind == "Job" ? "spec.template.spec" : "spec"))") }

        if kind == "Job", let jobSpec = manifest["spec"] {
            try readJobFields(jobSpec, into: &draft, warnings: &warnings)
        }
        if draft.maxDurationSeconds == nil, let deadline = pod["activeDeadlineSeconds"]?.int {
            draft.maxDurationSeconds = Int64(deadline)
        }
        let labels = metadata?["labels"]?.mapping
        if let queue = labels?["kueue.x-k8s.io/queue-name"]?.string {
            warnings.append("Kueue queue '\(queue)' is a hint only; the market places the job by its resources and price")
        }
        if let priority = pod["priorityClassName"]?.string {
            if PreemptibleHint.matches(priority) {
                draft.jobClass = .preemptible
                warnings.append("priorityClassName '\(priority)': read as class preemptible")
            } else {
                warnings.append("priorityClassName '\(priority)' is not carried; the market orders jobs by price and fair share")
            }
        }
        try readContainer(pod, template: podTemplate, into: &draft, warnings: &warnings)
        readScheduling(pod, into: &draft, warnings: &warnings)

        if let terms = metadata?["annotations"]?["openstargate.org/terms"]?.string {
            try MarketTerms.apply(terms, origin: "annotation openstargate.org/terms", to: &draft, warnings: &warnings)
        }
        let spec = try draft.spec(
            options: options,
            missingDuration: "no time limit: set activeDeadlineSeconds (or a duration in the openstargate.org/terms annotation)",
            warnings: &warnings)
        return ImportedSpec(spec: spec, warnings: warnings)
    }

    private static func readJobFields(_ job: Node, into draft: inout SpecDraft, warnings: inout [String]) throws(ImportRefusal) {
        let completions = job["completions"]?.int ?? 1
        let parallelism = job["parallelism"]?.int ?? 1
        let indexed = job["completionMode"]?.string == "Indexed"
        if indexed && completions == parallelism && completions > 1 {
            draft.nodes = completions
        } else if completions > 1 || parallelism > 1 {
            throw ImportRefusal("completions \(completions), parallelism \(parallelism): a work queue of pods has no equivalent; a gang is an Indexed Job with parallelism = completions, or submit one spec per work item")
        }
        if let deadline = job["activeDeadlineSeconds"]?.int { draft.maxDurationSeconds = Int64(deadline) }
        if let backoff = job["backoffLimit"]?.int {
            if backoff > JobSpec.Limits.maxRetries {
                warnings.append("backoffLimit \(backoff) is more than the \(JobSpec.Limits.maxRetries) retries a spec allows; asking for \(JobSpec.Limits.maxRetries)")
            }
            draft.retries = min(max(backoff, 0), JobSpec.Limits.maxRetries)
        }
    }

    private static func readContainer(_ pod: Node, template: Node?, into draft: inout SpecDraft, warnings: inout [String]) throws(ImportRefusal) {
        guard let containers = pod["containers"]?.sequence, !containers.isEmpty else {
            throw ImportRefusal("the pod has no containers")
        }
        let preferred = template?["metadata"]?["annotations"]?["kubectl.kubernetes.io/default-container"]?.string
        let container = containers.first { $0["name"]?.string == preferred } ?? containers[containers.startIndex]
        for other in containers where other != container {
            warnings.append("container '\(other["name"]?.string ?? "?")' is not carried: a job runs one container (its resources are not counted)")
        }
        if pod["initContainers"] != nil { warnings.append("initContainers are not carried; fetch inputs with the spec's inputs or in the command") }

        draft.image = container["image"]?.string
        let command = container["command"]?.sequence?.compactMap(\.string)
        let args = container["args"]?.sequence?.compactMap(\.string)
        if let command {
            draft.command = command + (args ?? [])
        } else if let args {
            draft.command = args
            warnings.append("args without command: the args are run as the command, in place of the image's entrypoint")
        }
        for variable in container["env"]?.sequence ?? [] {
            guard let name = variable["name"]?.string else { continue }
            if let value = variable["value"]?.string {
                draft.env.append(EnvironmentVariable(name: name, value: value))
            } else if variable["valueFrom"] != nil {
                warnings.append("env \(name) comes from a secret or reference (valueFrom) and is not carried; pass secrets to the job with osg submit --secret NAME=@FILE")
            }
        }
        if container["envFrom"] != nil { warnings.append("envFrom is not carried; list the variables under env") }
        if container["volumeMounts"] != nil || pod["volumes"] != nil {
            warnings.append("volumes and volumeMounts are not carried; the job gets a private work directory (use the spec's inputs and outputs)")
        }

        let resources = container["resources"]
        func quantity(_ key: String) throws(ImportRefusal) -> KubernetesQuantity? {
            guard let node = resources?["limits"]?[key] ?? resources?["requests"]?[key] else { return nil }
            guard let text = node.string, let value = KubernetesQuantity(text) else {
                throw ImportRefusal("resources \(key): '\(node.string ?? "?")' is not a quantity such as 2, 500m or 64Gi")
            }
            return value
        }
        let gibibyte = Int128(1) << 30
        func bounded(_ value: Int128, _ key: String, limit: Int) throws(ImportRefusal) -> Int {
            guard value <= Int128(limit) else { throw ImportRefusal("resources \(key): more than the \(limit) a spec allows") }
            return Int(value)
        }
        if let cpu = try quantity("cpu") { draft.cpu = try bounded(cpu.ceiling(in: 1), "cpu", limit: JobSpec.Limits.maxCPUCores) }
        if let memory = try quantity("memory") {
            draft.memoryGiB = max(1, try bounded(memory.ceiling(in: gibibyte), "memory", limit: JobSpec.Limits.maxMemoryGiB))
        }
        if let disk = try quantity("ephemeral-storage") {
            draft.diskGiB = try bounded(disk.ceiling(in: gibibyte), "ephemeral-storage", limit: JobSpec.Limits.maxDiskGiB)
        }
        let nvidia = try quantity("nvidia.com/gpu")
        let amd = try quantity("amd.com/gpu")
        if let gpus = nvidia ?? amd {
            draft.gpusPerNode = try bounded(gpus.ceiling(in: 1), "GPUs", limit: JobSpec.Limits.maxGPUsPerNode)
        }
    }

    private static func readScheduling(_ pod: Node, into draft: inout SpecDraft, warnings: inout [String]) {
        for (keyNode, value) in pod["nodeSelector"]?.mapping ?? [:] {
            let key = keyNode.string ?? ""
            let text = value.string ?? ""
            if key == "nvidia.com/gpu.product", let model = GPUTypeName.model(text) {
                draft.gpuSelector = .exactly(model)
            } else if key == "topology.kubernetes.io/region" {
                draft.placement.regions = [text]
            } else {
                warnings.append("nodeSelector \(key)=\(text) is not carried")
            }
        }
        if pod["affinity"] != nil { warnings.append("affinity is not carried; use the spec's placement") }
        if pod["tolerations"] != nil { warnings.append("tolerations are not carried") }
        if pod["hostNetwork"]?.bool == true { warnings.append("hostNetwork is not carried; `network: true` gives the job outbound network") }
    }
}
