import OSGDomain

/// Writes a job spec as a Slurm batch script that runs the same work on a Slurm cluster, and
/// that ``SlurmScriptImporter`` reads back to the same spec.
///
/// Resources become `#SBATCH` directives (one task per node with all the node's cores,
/// `--gres=gpu[:model]:N`, `--mem`, `--tmp`, `--time`, `--time-min`, `--deadline`); the market
/// terms Slurm has no words for ride as `#OSG` comment lines, which sbatch ignores. A container
/// image runs through `apptainer exec --nv docker://…`; a gang starts the command on every
/// node with `srun`.
public enum SlurmScriptExporter {
    /// The script, and a warning for each part of the spec a Slurm cluster will not enforce.
    public static func script(_ spec: JobSpec) -> (text: String, warnings: [String]) {
        var warnings: [String] = []
        if spec.inputs != nil || spec.outputs != nil {
            warnings.append("inputs and outputs are not carried: stage the input files and collect the results the way your cluster does")
        }
        if let secrets = spec.secrets, !secrets.isEmpty {
            warnings.append("secrets are not carried (they are sealed to the OpenStargate coordinator): give the job \(secrets.map(\.name).joined(separator: ", ")) as files readable by the job only")
        }
        var lines = [
            "#!/bin/bash",
            "# Exported from the OpenStargate job spec '\(spec.name)' by `osg export --to slurm`;",
            "# `osg import` reads it back (the #OSG lines carry what Slurm has no option for).",
        ]
        let resources = spec.resources
        var directives = [
            "--job-name=\(spec.name)",
            "--nodes=\(spec.nodeCount)",
            "--ntasks-per-node=1",
            "--cpus-per-task=\(resources.cpuCores)",
            "--mem=\(resources.memoryGiB)G",
        ]
        var carried: Set<String> = ["duration", "max_duration"]
        switch resources.gpu.selector {
        case .exactly(let model):
            directives.append("--gres=gpu:\(model.name.lowercased()):\(resources.gpu.countPerNode)")
            carried.insert("gpu_model")
            warnings.append("--gres=gpu:\(model.name.lowercased()):…: the cluster's gres.conf must name its GPUs with that type")
        case .any, .atLeast:
            directives.append("--gres=gpu:\(resources.gpu.countPerNode)")
        }
        if resources.diskGiB > 0 { directives.append("--tmp=\(resources.diskGiB)G") }
        directives.append("--time=\(time(spec.maxDurationSeconds))")
        if spec.durationSeconds != spec.maxDurationSeconds { directives.append("--time-min=\(time(spec.durationSeconds))") }
        if let deadline = spec.deadline {
            directives.append("--deadline=\(String(deadline.description.dropLast()))")
            carried.insert("deadline")
        }
        lines += directives.map { "#SBATCH \($0)" }
        lines += JobSpecWriter.marketTerms(spec, carriedElsewhere: carried).map { "#OSG \($0)" }
        warnings.append("network: a Slurm job has whatever network the cluster's nodes have (an OpenStargate sandbox has none unless the spec says network: true)")
        lines.append("")
        lines += spec.environment.map { "export \($0.name)=\(ShellWords.quoted($0.value))" }

        var command = spec.command ?? []
        if let image = spec.image {
            command = (command.isEmpty ? ["apptainer", "run", "--nv"] : ["apptainer", "exec", "--nv"]) + ["docker://\(image)"] + command
        }
        if spec.nodeCount > 1 { command = ["srun", "--ntasks-per-node=1"] + (command.first?.hasPrefix("-") == true ? ["--"] : []) + command }
        if let script = verbatimScript(command) {
            lines.append(script)
        } else {
            lines.append(ShellWords.line(command))
        }
        return (lines.joined(separator: "\n") + "\n", warnings)
    }

    /// The script of a `bash -c SCRIPT` command, to write as the body itself when reading the
    /// body back gives the same command (several lines of code, none of them a leading export).
    static func verbatimScript(_ command: [String]) -> String? {
        guard command.count == 3, command[0] == "bash", command[1] == "-c" else { return nil }
        let script = command[2]
        guard script.trimmingASCIIWhitespace() == script else { return nil }
        let code = TextLines.split(script).filter { line in
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }
        // The first line must be code: comments before it would be read as the script's header.
        guard code.count > 1, let first = code.first, first == TextLines.split(script).first else { return nil }
        if let words = ShellWords.split(first), words.first == "export" { return nil }
        return script
    }

    /// Seconds as Slurm's `D-HH:MM:SS`.
    static func time(_ seconds: Int64) -> String {
        func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let days = seconds / 86_400, rest = seconds % 86_400
        return "\(days)-\(pad(rest / 3600)):\(pad(rest % 3600 / 60)):\(pad(rest % 60))"
    }
}
