import ArgumentParser
import Foundation
import OSGDomain
import OSGSpec

/// `osg import FILE`: a Slurm batch script or a Kubernetes Job/Pod manifest as a job spec.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a Slurm batch script or a Kubernetes Job/Pod manifest into a job spec.",
        discussion: """
            Prints the job spec (YAML) on standard output and a warning on standard error for \
            every option it cannot carry; exits 1 with the reason when the file cannot become a \
            spec (an array job, no GPU, no time limit, a Deployment, ...). The rules are in \
            docs/PORTABILITY.md. Example: osg import train.sbatch --max-price 2.5 > train.yaml
            """
    )

    @Argument(help: "The sbatch script or Kubernetes manifest, or - for standard input.")
    var file: String

    @Option(name: .customLong("max-price"), help: "Credits per GPU-hour to accept, when the file carries no #OSG max_price.")
    var maxPrice: String?

    @Option(name: .long, help: "Expected and longest run time (e.g. 6h), when the file gives no time limit.")
    var duration: String?

    @Option(name: .long, help: "Check deadlines against this RFC 3339 time instead of the clock.")
    var now: String?

    @Flag(name: .long, help: "Print one JSON object: the spec (in its JSON form) and the warnings.")
    var json = false

    func run() throws {
        let options = ImportOptions(
            maxPrice: try maxPrice.map { text in
                do { return try MicroCredits(decimal: text) } catch let error as MicroCredits.ParseError { throw ValidationError("--max-price '\(text)': \(error.description)") }
            },
            durationSeconds: try duration.map { text in
                do { return try DurationText.seconds(text) } catch let error as DurationText.ParseError { throw ValidationError("--duration '\(text)': \(error.description)") }
            },
            now: try PortabilityTime.now(now),
            sourceName: file == "-" ? "job" : URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)
        let text: String
        do {
            text = try InputFile.readText(file)
        } catch {
            FileHandle.standardError.write(Data("osg import: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        let imported: ImportedSpec
        do {
            imported = try JobImporter.read(text, options: options)
        } catch let error as ImportRefusal {
            if json {
                JSONOutput.print(["ok": false, "file": file, "reason": error.reason] as [String: Any])
            } else {
                FileHandle.standardError.write(Data("osg import: \(file): \(error.reason)\n".utf8))
            }
            throw ExitCode(1)
        }
        if json {
            let specObject = try JSONSerialization.jsonObject(with: Data(JobSpecWriter.json(imported.spec).utf8))
            JSONOutput.print(["ok": true, "file": file, "spec": specObject, "warnings": imported.warnings] as [String: Any])
        } else {
            for warning in imported.warnings {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
            print(JobSpecWriter.yaml(imported.spec), terminator: "")
        }
    }
}

/// `osg export --to slurm|kubernetes SPEC`: a job spec as an sbatch script or a Kubernetes Job.
struct ExportCommand: ParsableCommand {
    enum Target: String, ExpressibleByArgument, CaseIterable {
        case slurm, kubernetes
    }

    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a job spec as a Slurm batch script or a Kubernetes Job (for Kueue).",
        discussion: """
            Prints the script or manifest on standard output, and on standard error a warning for \
            each part of the spec the other system will not enforce. What Slurm and Kubernetes have \
            no words for (price bound, placement, carbon, class, ...) is kept in #OSG lines or the \
            openstargate.org/terms annotation, so `osg import` gives back the same spec.
            """
    )

    @Option(name: .long, help: "The format to write: slurm or kubernetes.")
    var to: Target

    @Argument(help: "The job spec (YAML or JSON), or - for standard input.")
    var spec: String

    @Option(name: .long, help: "Kubernetes: the Kueue LocalQueue (label kueue.x-k8s.io/queue-name).")
    var queue = "default"

    @Option(name: .long, help: "Kubernetes: the image a command-only spec runs in.")
    var image = KubernetesJobExporter.defaultImage

    @Option(name: .long, help: "Check deadlines against this RFC 3339 time instead of the clock.")
    var now: String?

    @Flag(name: .long, help: "Print one JSON object: the format, the text and the warnings.")
    var json = false

    func run() throws {
        let text: String
        do {
            text = try InputFile.readText(spec)
        } catch {
            FileHandle.standardError.write(Data("osg export: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        let read = JobSpecReader.read(text, now: try PortabilityTime.now(now))
        guard let jobSpec = read.spec else {
            for problem in read.problems { FileHandle.standardError.write(Data("\(spec):\(problem)\n".utf8)) }
            throw ExitCode(1)
        }
        let (output, warnings) = switch to {
        case .slurm: SlurmScriptExporter.script(jobSpec)
        case .kubernetes: KubernetesJobExporter.manifest(jobSpec, queue: queue, image: image)
        }
        if json {
            JSONOutput.print(["format": to.rawValue, "text": output, "warnings": warnings] as [String: Any])
        } else {
            for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            print(output, terminator: "")
        }
    }
}

/// `--now` of the verbs that check a spec (validate, import, export).
enum PortabilityTime {
    /// `--now`, or the clock.
    static func now(_ text: String?) throws -> Timestamp {
        guard let text else { return WallClock.now() }
        guard let time = Timestamp(rfc3339: text) else {
            throw ValidationError("--now '\(text)' is not an RFC 3339 time such as 2026-12-01T00:00:00Z")
        }
        return time
    }
}
