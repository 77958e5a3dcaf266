import Foundation
import Testing

@testable import OSGAgent

@Suite("What the Slurm executor hands sbatch: arguments, environment, batch script; output read back by line")
struct SlurmSubmissionTests {
    static let state = URL(fileURLWithPath: "/var/lib/osg/slurm")
    static let directory = SlurmLeaseDirectory(stateDirectory: state, leaseID: "L1")

    static func work(gpus: [Int] = [], seconds: Int64 = 3600, environment: [String: String] = [:], image: String? = nil) -> LeaseWork {
        LeaseWork(
            leaseID: "L1", jobID: "J1", jobName: "fine tune, v2", command: ["python3", "-c", "print('it''s')"], image: image,
            cpuCores: 4, memoryGiB: 16, gpuIndices: gpus, environment: environment, maxDurationSeconds: seconds
        )
    }

    static func submission(_ work: LeaseWork, partition: String? = nil) throws -> SlurmSubmission {
        try SlurmSubmission(work: work, directory: directory, partition: partition, baseEnvironment: ["PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C"])
    }

    @Test("the sbatch arguments: resources, limits, paths; --gres only with GPUs, --partition only when set")
    func arguments() throws {
        let plain = try Self.submission(Self.work())
        #expect(plain.arguments == [
            "--parsable", "--job-name=osg-L1", "--output=/var/lib/osg/slurm/leases/L1/output.log", "--no-requeue",
            "--open-mode=append", "--nodes=1", "--ntasks=1", "--cpus-per-task=4", "--mem=16G", "--time=60",
            "--chdir=/var/lib/osg/slurm/leases/L1/work", "--export=ALL", "/var/lib/osg/slurm/leases/L1/job.sh",
        ])
        let gpu = try Self.submission(Self.work(gpus: [1, 3]), partition: "gpu")
        #expect(gpu.arguments.contains("--gres=gpu:2"))
        #expect(gpu.arguments.contains("--partition=gpu"))
        #expect(gpu.arguments.last == "/var/lib/osg/slurm/leases/L1/job.sh")
    }

    @Test("--time is the hard limit in whole minutes, rounded up", arguments: [
        (1, 1), (59, 1), (60, 1), (61, 2), (3600, 60), (3601, 61), (86_400 * 7, 10_080),
    ] as [(Int64, Int64)])
    func timeLimit(seconds: Int64, minutes: Int64) {
        #expect(SlurmSubmission.timeLimitMinutes(maxDurationSeconds: seconds) == minutes)
    }

    @Test("sbatch gets a clean environment: minimal, OSG_*, no GPUs visible without GPUs; the tenant's go in the script")
    func environment() throws {
        let plain = try Self.submission(Self.work(environment: ["SECRET": "a,b c"]))
        #expect(plain.environment["OSG_LEASE_ID"] == "L1")
        #expect(plain.environment["OSG_JOB_NAME"] == "fine tune, v2")
        #expect(plain.environment["OSG_RANK"] == "0" && plain.environment["OSG_WORLD_SIZE"] == "1")
        #expect(plain.environment["HOME"] == "/var/lib/osg/slurm/leases/L1/work")
        #expect(plain.environment["LANG"] == "C.UTF-8" && plain.environment["LC_ALL"] == nil)
        #expect(plain.environment["CUDA_VISIBLE_DEVICES"] == "")
        #expect(plain.environment["SECRET"] == nil)
        #expect(plain.script.contains("export SECRET='a,b c'\n"))
        let gpu = try Self.submission(Self.work(gpus: [0]))
        #expect(gpu.environment["CUDA_VISIBLE_DEVICES"] == nil)
    }

    @Test("the batch script quotes every word, records start and status, and tags stderr")
    func script() throws {
        let script = try Self.submission(Self.work()).script
        #expect(script.hasPrefix("#!/bin/bash\n"))
        #expect(script.contains(#"'python3' '-c' 'print('\''it'\'''\''s'\'')'"#))
        #expect(script.contains(#"lease_dir='/var/lib/osg/slurm/leases/L1'"#))
        #expect(script.contains(#"printf '%s\n' "$SLURM_JOB_ID" > "$lease_dir/started.tmp""#))
        #expect(script.contains(#"printf '\037%s\n' "$line""#))
        #expect(script.hasSuffix("exit \"$status\"\n"))
    }

    @Test("refused before sbatch: an image, an unsafe lease id, bad resources, a bad variable name")
    func refused() throws {
        #expect(throws: ExecutorError.self) { try Self.submission(Self.work(image: "ghcr.io/x/y:1")) }
        do {
            _ = try Self.submission(Self.work(image: "ghcr.io/x/y:1"))
        } catch let error as ExecutorError {
            #expect(error.code == "image_unsupported")
        }
        for id in ["", "../x", ".hidden", "a/b", "a b", String(repeating: "x", count: 129)] {
            #expect(!SlurmSubmission.isSafeLeaseID(id), "\(id)")
        }
        #expect(SlurmSubmission.isSafeLeaseID("lease_01.a-B"))
        var work = Self.work()
        work.memoryGiB = 0
        #expect(throws: ExecutorError("invalid_work", "lease L1: memoryGiB is 0: at least 1")) { try Self.submission(work) }
        #expect(throws: ExecutorError.self) { try Self.submission(Self.work(environment: ["1BAD": "x"])) }
        #expect(throws: ExecutorError.self) { try Self.submission(Self.work(environment: ["A-B": "x"])) }
    }

    @Test("output.log read by line: stderr tag, held-back last line, long lines cut, offsets stable")
    func outputLines() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("osg-slurm-output-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: file) }
        let long = String(repeating: "x", count: SlurmOutputReader.maxLineBytes + 10)
        try Data("one\n\u{1F}two\n\n\(long)\nthree".utf8).write(to: file)
        let reader = SlurmOutputReader(file: file)

        let running = try reader.read(from: 0, limit: 100, includeUnterminatedLastLine: false)
        #expect(running.lines.map(\.stream) == [.stdout, .stderr, .stdout, .stdout, .stdout])
        #expect(running.lines.map(\.text.count) == [3, 3, 0, SlurmOutputReader.maxLineBytes, 10])
        #expect(running.lines[1].text == "two")
        #expect(running.next == 5)

        let ended = try reader.read(from: running.next, limit: 100, includeUnterminatedLastLine: true)
        #expect(ended.lines == [OutputLine(stream: .stdout, text: "three")])
        #expect(ended.next == 6)

        // Pages of one line give the same lines, from a cold reader and from a warm one.
        var paged: [OutputLine] = []
        var offset = 0
        for _ in 0..<10 {
            let page = try reader.read(from: offset, limit: 1, includeUnterminatedLastLine: true)
            paged += page.lines
            offset = page.next
            if page.lines.isEmpty { break }
        }
        #expect(paged == running.lines + ended.lines)
        let cold = try SlurmOutputReader(file: file).read(from: 1, limit: 1, includeUnterminatedLastLine: true)
        #expect(cold.lines == [OutputLine(stream: .stderr, text: "two")] && cold.next == 2)
        #expect(try reader.read(from: 1, limit: 0, includeUnterminatedLastLine: true).lines.isEmpty)
        #expect(try SlurmOutputReader(file: file.appendingPathExtension("missing")).read(from: 0, limit: 5, includeUnterminatedLastLine: true) == ([], 0))
    }
}
