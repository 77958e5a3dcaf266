import Foundation
import Testing

/// `osg import` and `osg export` as a user runs them: the binary, its streams and exit status.
@Suite("osg import and osg export, the binary")
struct PortabilityCommandTests {
    @Test("import prints a spec that export and import give back byte for byte; warnings go to standard error",
          .enabled(if: OperatorVerbs.binary != nil))
    func importExportImport() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-port-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("train.sbatch")
        try """
            #!/bin/bash
            #SBATCH --job-name=Train_GPT
            #SBATCH -N 2 --gres=gpu:a100:4 -c 16 --mem=128G -t 1-00:00:00
            #SBATCH --mail-user=someone@example.org
            srun python train.py --epochs 3
            """.write(to: script, atomically: true, encoding: .utf8)
        let imported = try await OperatorVerbs.runBinary(["import", script.path, "--max-price", "2.25"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("name: train-gpt\n"), "\(imported.stdout)")
        #expect(imported.stderr.contains("warning: --mail-user"), "\(imported.stderr)")
        let spec = directory.appendingPathComponent("train.yaml")
        try imported.stdout.write(to: spec, atomically: true, encoding: .utf8)

        for target in ["slurm", "kubernetes"] {
            let exported = try await OperatorVerbs.runBinary(["export", "--to", target, spec.path, "--queue", "research"])
            #expect(exported.status == 0, "\(exported.stderr)")
            let file = directory.appendingPathComponent("exported-\(target)")
            try exported.stdout.write(to: file, atomically: true, encoding: .utf8)
            let again = try await OperatorVerbs.runBinary(["import", file.path])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout == imported.stdout, "\(target):\n\(exported.stdout)")
        }
        let json = try await OperatorVerbs.runBinary(["import", script.path, "--max-price", "2.25", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == true)
        #expect((object["spec"] as? [String: Any])?["nodes"] as? Int == 2)
        #expect((object["warnings"] as? [String])?.contains { $0.contains("--mail-user") } == true)
    }

    @Test("a file that cannot become a spec: exit 1, the reason on standard error, nothing on standard output",
          .enabled(if: OperatorVerbs.binary != nil))
    func refusals() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-port-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let arrayJob = try file("sweep.sbatch", "#!/bin/bash\n#SBATCH --array=0-9 --gres=gpu:1 -t 10\npython sweep.py\n")
        let array = try await OperatorVerbs.runBinary(["import", arrayJob, "--max-price", "2"])
        #expect(array.status == 1 && array.stdout.isEmpty)
        #expect(array.stderr.contains("array jobs are not carried"), "\(array.stderr)")
        let deploymentFile = try file("serve.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: vllm}\nspec: {}\n")
        let deployment = try await OperatorVerbs.runBinary(["import", deploymentFile, "--max-price", "2"])
        #expect(deployment.status == 1 && deployment.stderr.contains("Deployment"), "\(deployment.stderr)")
        let unpriced = try file("one.sbatch", "#!/bin/bash\n#SBATCH --gres=gpu:1 -t 10\npython one.py\n")
        let noPrice = try await OperatorVerbs.runBinary(["import", unpriced])
        #expect(noPrice.status == 1 && noPrice.stderr.contains("--max-price"), "\(noPrice.stderr)")
        let missing = try await OperatorVerbs.runBinary(["import", "/nonexistent/job.sbatch"])
        #expect(missing.status == 1 && missing.stderr.contains("no such file"), "\(missing.stderr)")
        let badFlag = try await OperatorVerbs.runBinary(["import", unpriced, "--max-price", "two"])
        #expect(badFlag.status != 0 && badFlag.stderr.contains("--max-price"), "\(badFlag.stderr)")
        let badTarget = try await OperatorVerbs.runBinary(["export", "--to", "nomad", unpriced])
        #expect(badTarget.status != 0 && badTarget.stderr.contains("nomad"), "\(badTarget.stderr)")
    }
}
