import FuzzSupport
import OSGDomain
import OSGSpec

// Job specs (DESIGN.md §3) as a coordinator receives them from anyone who can sign a request, and
// the Slurm scripts and Kubernetes manifests `osg import` reads. Decoders:
//   0: a job spec (YAML or JSON);  1: a Slurm batch script or Kubernetes manifest.
// Properties: no crash, hang or unbounded allocation; a spec is given exactly when no problem is
// found; every problem names a field and, when it has a line, one inside the text.

let now = Timestamp(secondsSinceEpoch: 1_795_000_000)

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        let specs = try FuzzInput.projectFiles("examples", suffixes: [".yaml"])
            + FuzzInput.projectFiles("Tests/OSGSpecTests/Fixtures", suffixes: [".yaml", ".json"])
        let imports = try FuzzInput.projectFiles("Tests/OSGSpecTests/Fixtures/portability/slurm", suffixes: [".sbatch"])
            + FuzzInput.projectFiles("Tests/OSGSpecTests/Fixtures/portability/kubernetes", suffixes: [".yaml"])
        return specs.map { (name: "spec-" + $0.name, bytes: FuzzInput.seed(choice: 0, $0.bytes)) }
            + imports.map { (name: "import-" + $0.name, bytes: FuzzInput.seed(choice: 1, $0.bytes)) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let (choice, payload) = FuzzInput.split(FuzzInput.bytes(data, count), choices: 2)
    let text = FuzzInput.text(payload)
    if choice == 0 {
        let result = JobSpecReader.read(text, now: now)
        FuzzInput.require((result.spec == nil) == !result.problems.isEmpty, "a spec with problems, or no spec and no problem: \(result.problems)")
        // Lines as YAML counts them (CR LF, CR, LF, NEL, LS and PS end one; CR LF counted twice
        // here, so this is an upper bound).
        let breaks: Set<Unicode.Scalar> = ["\r", "\n", "\u{85}", "\u{2028}", "\u{2029}"]
        let lineCount = 1 + text.unicodeScalars.count { breaks.contains($0) }
        for problem in result.problems {
            FuzzInput.require(!problem.field.isEmpty || problem.line != nil, "a problem that says neither field nor line: \(problem)")
            if let line = problem.line { FuzzInput.require(line >= 1 && line <= lineCount + 1, "problem at line \(line) of a \(lineCount)-line text: \(problem)") }
        }
    } else {
        _ = try? JobImporter.read(text, options: ImportOptions(now: now, sourceName: "fuzz"))
    }
    return 0
}

@_cdecl("FuzzJobSpecs_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
