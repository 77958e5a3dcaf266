import Foundation
import Testing

@testable import OSGAgent

/// Writes an executable shell script standing in for `nvidia-smi` and returns its path.
private func fakeNvidiaSMI(_ body: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osg-fake-nvidia-smi-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("nvidia-smi").path
    try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return path
}

private func removeFake(_ path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

@Suite("nvidia-smi runner")
struct DiscoveryRunnerTests {
    @Test("the runner passes the query's arguments and returns output, error text and exit status")
    func runsTheQuery() async throws {
        let path = try fakeNvidiaSMI(
            """
            [ "$1" = "\(NvidiaSMIOutput.arguments[0])" ] && [ "$2" = "\(NvidiaSMIOutput.arguments[1])" ] || exit 2
            echo "0, GPU-1, NVIDIA L4, 23034, 72.00, 535.183.01, 00000000:00:03.0"
            echo "Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error" >&2
            exit 15
            """
        )
        defer { removeFake(path) }
        let output = try await NvidiaSMIRunner(executablePath: path).run()
        #expect(output.exitStatus == 15)
        #expect(output.stderr.contains("GPU0000:3B:00.0"))
        let inventory = try output.inventory()
        #expect(inventory.gpus.map { $0.model?.name } == ["L4"])
        #expect(inventory.warnings.map(\.code) == [.gpuLost])
    }

    @Test("a busy program file is recognised however Foundation wraps ETXTBSY, and nothing else is")
    func textFileBusy() {
        let posix = NSError(domain: NSPOSIXErrorDomain, code: Int(ETXTBSY))
        let wrapped = NSError(domain: NSCocoaErrorDomain, code: 256, userInfo: [NSUnderlyingErrorKey: posix])
        #expect(isTextFileBusy(posix))
        #expect(isTextFileBusy(wrapped))
        #expect(!isTextFileBusy(NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))))
        #expect(!isTextFileBusy(NSError(domain: NSCocoaErrorDomain, code: 256, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOENT))])))
    }

    @Test("a missing program is nvidia_smi_not_found, whose message suggests --simulate")
    func notFound() async {
        do {
            _ = try await NvidiaSMIRunner(executablePath: "/nonexistent/nvidia-smi").run()
            Issue.record("expected an error")
        } catch let error as DiscoveryError {
            #expect(error.code == .nvidiaSMINotFound)
            #expect(error.message.contains("--simulate NxMODEL"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a program that hangs is stopped at the time limit: nvidia_smi_timed_out")
    func hangs() async throws {
        let path = try fakeNvidiaSMI("exec sleep 30")
        defer { removeFake(path) }
        do {
            _ = try await NvidiaSMIRunner(executablePath: path, timeoutSeconds: 1).run()
            Issue.record("expected an error")
        } catch let error as DiscoveryError {
            #expect(error.code == .nvidiaSMITimedOut, "\(error.message)")
        }
    }
}
