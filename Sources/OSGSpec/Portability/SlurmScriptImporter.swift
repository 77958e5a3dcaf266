import OSGDomain

/// Reads a Slurm batch script (`#SBATCH` directives and a body) into a job spec.
///
/// The rules, option by option, are in docs/PORTABILITY.md: GPUs, nodes, tasks, cores,
/// memory, local disk and time limits map to the spec's resources and durations; partition
/// and QOS are hints (a preemptible-sounding one makes the job preemptible); `#OSG` lines carry
/// the market terms; array jobs are refused; every other option is dropped with a warning.
public enum SlurmScriptImporter {
    /// The spec the script describes, or the reason it cannot be one.
    public static func read(_ text: String, options: ImportOptions) throws(ImportRefusal) -> ImportedSpec {
        var warnings: [String] = []
        let lines = TextLines.split(text)
        var directives: [String] = []
        var terms: [Substring] = []
        var bodyStart = lines.count
        for (index, line) in lines.enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("#SBATCH") {
                directives += Self.directiveWords(trimmed.dropFirst("#SBATCH".count), line: index + 1)
            } else if trimmed.hasPrefix("#OSG ") {
                terms.append(trimmed.dropFirst("#OSG ".count))
            } else if !trimmed.isEmpty && !trimmed.hasPrefix("#") {
                bodyStart = index
                break
            }
        }
        let body = Array(lines[bodyStart...])
        for (offset, line) in body.enumerated() where line.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("#SBATCH") {
            warnings.append("line \(bodyStart + offset + 1): #SBATCH after the first command is ignored, as sbatch ignores it")
        }

        var draft = SpecDraft()
        var slurm = SlurmOptions()
        try slurm.read(directives, warnings: &warnings)
        try slurm.apply(to: &draft, warnings: &warnings)
        try readBody(body, into: &draft, warnings: &warnings)
        if !terms.isEmpty {
            try MarketTerms.apply(terms.joined(separator: "\n"), origin: "#OSG", to: &draft, warnings: &warnings)
        }
        let missingDuration = slurm.values["time"].map {
            "--time=\($0): an unlimited run has no bound on its cost; give a limit such as --time=24:00:00"
        } ?? "no time limit: add #SBATCH --time=HH:MM:SS"
        let spec = try draft.spec(options: options, missingDuration: missingDuration, warnings: &warnings)
        return ImportedSpec(spec: spec, warnings: warnings)
    }

    /// The option words of one directive line; text after an unquoted ` #` is a comment.
    static func directiveWords(_ text: Substring, line: Int) -> [String] {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let end = words.firstIndex { $0.hasPrefix("#") } ?? words.count
        return Array(words[..<end])
    }

    // MARK: The body

    private static func readBody(_ body: [Substring], into draft: inout SpecDraft, warnings: inout [String]) throws(ImportRefusal) {
        func isCode(_ line: Substring) -> Bool {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }
        // Leading `export NAME=value` lines (blank and comment lines between them skipped) are
        // the job's environment.
        var start = 0
        for (index, line) in body.enumerated() where isCode(line) {
            guard let words = ShellWords.split(line), words.first == "export", words.count > 1,
                  let assignments = environmentAssignments(words.dropFirst()) else { break }
            draft.env += assignments
            start = index + 1
        }
        let rest = Array(body[start...])
        let code = rest.filter(isCode)
        guard !code.isEmpty else {
            if draft.image == nil { throw ImportRefusal("the script runs nothing: no command after the #SBATCH lines") }
            return
        }
        if let words = ShellWords.split(Substring(rest.joined(separator: "\n"))), !words.isEmpty {
            var command = words
            if command.first == "srun" {
                command = Self.droppingSrun(command)
                warnings.append("srun dropped: the agent starts the command once on each node of the lease (OSG_RANK and OSG_WORLD_SIZE tell it which)")
            }
            if let (image, inner) = Self.container(command) {
                draft.image = image
                draft.command = inner.isEmpty ? nil : inner
            } else {
                draft.command = command
            }
            return
        }
        // Anything more than one simple command runs as a shell script.
        let script = rest.joined(separator: "\n").trimmingASCIIWhitespace()
        draft.command = ["bash", "-c", String(script)]
    }

    private static func environmentAssignments(_ words: ArraySlice<String>) -> [EnvironmentVariable]? {
        var variables: [EnvironmentVariable] = []
        for word in words {
            guard let equals = word.firstIndex(of: "=") else { return nil }
            let name = String(word[..<equals])
            guard JobSpec.isValidEnvironmentName(name) else { return nil }
            variables.append(EnvironmentVariable(name: name, value: String(word[word.index(after: equals)...])))
        }
        return variables
    }

    /// srun's options that take the next word as their value.
    static let srunOptionsWithValue: Set<String> = [
        "-n", "-N", "-c", "-G", "-t", "-p", "-J", "-o", "-e", "-w", "-x", "-m", "-D", "-A", "-q",
        "--ntasks", "--nodes", "--cpus-per-task", "--gpus", "--time", "--partition", "--job-name", "--output",
        "--error", "--nodelist", "--exclude", "--distribution", "--chdir", "--account", "--qos",
        "--ntasks-per-node", "--gpus-per-task", "--gpus-per-node", "--mpi", "--cpu-bind", "--gpu-bind", "--export",
    ]

    static func droppingSrun(_ words: [String]) -> [String] {
        var index = 1
        while index < words.count, words[index].hasPrefix("-") {
            if words[index] == "--" { index += 1; break }
            index += srunOptionsWithValue.contains(words[index]) ? 2 : 1
        }
        return Array(words[min(index, words.count)...])
    }

    /// apptainer's and singularity's options that take the next word as their value.
    static let containerOptionsWithValue: Set<String> = [
        "-B", "--bind", "--env", "--env-file", "-H", "--home", "--pwd", "-W", "--workdir", "-o", "--overlay", "--mount",
    ]

    /// `apptainer|singularity exec|run [options] docker://IMAGE [command…]`: the image and the command.
    static func container(_ words: [String]) -> (image: String, command: [String])? {
        guard words.count >= 3, ["apptainer", "singularity"].contains(words[0]), ["exec", "run"].contains(words[1]) else { return nil }
        var index = 2
        while index < words.count, words[index].hasPrefix("-") {
            index += containerOptionsWithValue.contains(words[index]) ? 2 : 1
        }
        guard index < words.count, words[index].hasPrefix("docker://") else { return nil }
        let image = String(words[index].dropFirst("docker://".count))
        guard !image.isEmpty else { return nil }
        return (image, Array(words[(index + 1)...]))
    }
}
