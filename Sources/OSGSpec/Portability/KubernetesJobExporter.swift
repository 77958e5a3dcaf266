import OSGDomain

/// Writes a job spec as a Kubernetes Job for a Kueue-managed cluster, and that
/// ``KubernetesManifestImporter`` reads back to the same spec.
///
/// Per-node resources become the container's requests and limits (`nvidia.com/gpu`, `cpu`,
/// `memory`, `ephemeral-storage`); a gang is an Indexed Job with parallelism = completions
/// (Kueue admits it whole); `activeDeadlineSeconds` is the hard limit, `backoffLimit` the
/// retries; the market terms ride in the `openstargate.org/terms` annotation.
public enum KubernetesJobExporter {
    /// The image a command-only spec runs in, where the caller names none.
    public static let defaultImage = "docker.io/library/python:3.12-slim"

    /// The manifest, and a warning for each part of the spec the cluster will not enforce.
    public static func manifest(_ spec: JobSpec, queue: String, image commandImage: String = defaultImage) -> (text: String, warnings: [String]) {
        var warnings: [String] = []
        if spec.inputs != nil || spec.outputs != nil {
            warnings.append("inputs and outputs are not carried: stage the input files and collect the results the way your cluster does")
        }
        if let secrets = spec.secrets, !secrets.isEmpty {
            warnings.append("secrets are not carried (they are sealed to the OpenStargate coordinator): give the job \(secrets.map(\.name).joined(separator: ", ")) as a Kubernetes Secret mounted into the pod")
        }
        var terms = JobSpecWriter.marketTerms(
            spec, carriedElsewhere: spec.durationSeconds == spec.maxDurationSeconds ? ["duration", "max_duration", "retries"] : ["max_duration", "retries"])
        let image: String
        if let specImage = spec.image {
            image = specImage
        } else {
            image = commandImage
            terms.append("image: null")
            warnings.append("the spec runs a command without an image; Kubernetes needs one, so it runs in \(commandImage) (osg import drops it again)")
        }
        if case .exactly(let model) = spec.resources.gpu.selector {
            warnings.append("GPU model \(model.name) is in the annotation only; add the nodeSelector your cluster labels GPUs with (e.g. nvidia.com/gpu.product)")
        }
        warnings.append("carbon, price and placement terms are kept in the openstargate.org/terms annotation; Kubernetes does not act on them")
        var lines = [
            "# Exported from the OpenStargate job spec '\(spec.name)' by `osg export --to kubernetes`;",
            "# `osg import` reads it back (the openstargate.org/terms annotation carries the market terms).",
            "apiVersion: batch/v1",
            "kind: Job",
            "metadata:",
            "  name: \(spec.name)",
            "  labels:",
            "    kueue.x-k8s.io/queue-name: \(JobSpecWriter.quoted(queue))",
            "  annotations:",
            "    openstargate.org/terms: |",
        ]
        lines += terms.map { "      \($0)" }
        lines += [
            "spec:",
            "  suspend: true",
            "  backoffLimit: \(spec.retryLimit)",
            "  activeDeadlineSeconds: \(spec.maxDurationSeconds)",
        ]
        if spec.nodeCount > 1 {
            lines += ["  completionMode: Indexed", "  completions: \(spec.nodeCount)", "  parallelism: \(spec.nodeCount)"]
        }
        lines += [
            "  template:",
            "    spec:",
            "      restartPolicy: Never",
            "      containers:",
            "        - name: main",
            "          image: \(JobSpecWriter.quoted(image))",
        ]
        if let command = spec.command { lines.append("          command: \(JobSpecWriter.list(command))") }
        if !spec.environment.isEmpty {
            lines.append("          env:")
            for variable in spec.environment {
                lines += ["            - name: \(variable.name)", "              value: \(JobSpecWriter.quoted(variable.value))"]
            }
        }
        let resources = spec.resources
        var quantities = [
            "cpu: \"\(resources.cpuCores)\"",
            "memory: \"\(resources.memoryGiB)Gi\"",
            "nvidia.com/gpu: \"\(resources.gpu.countPerNode)\"",
        ]
        if resources.diskGiB > 0 { quantities.append("ephemeral-storage: \"\(resources.diskGiB)Gi\"") }
        lines += ["          resources:", "            requests: { \(quantities.joined(separator: ", ")) }",
                  "            limits: { \(quantities.joined(separator: ", ")) }"]
        return (lines.joined(separator: "\n") + "\n", warnings)
    }
}
