import Foundation

/// What the host offers that the sandbox may show the job: which system directories are
/// symlinks (merged `/usr`), which `/etc` files and GPU device nodes exist. Read once per start,
/// so ``SandboxArguments`` stays a pure function of it.
struct SandboxHostLayout: Sendable {
    /// Top-level system directories: name (`bin`) and, if the host's is a symlink, its target.
    var systemDirectories: [(name: String, symlinkTarget: String?)]
    /// Paths of this host that exist (among the `/etc` files and device nodes we might bind).
    var existingPaths: Set<String>

    /// This host's layout.
    static func current() -> SandboxHostLayout {
        var directories: [(String, String?)] = []
        for name in ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
            let path = "/" + name
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                directories.append((name, target))
            } else if SandboxFiles.exists(URL(fileURLWithPath: path)) {
                directories.append((name, nil))
            }
        }
        let candidates = SandboxArguments.systemEtcFiles + SandboxArguments.networkEtcFiles
            + SandboxArguments.sharedGPUDevices + (0..<64).map { "/dev/nvidia\($0)" }
        let existing = Set(candidates.filter { SandboxFiles.exists(URL(fileURLWithPath: $0)) })
        return SandboxHostLayout(systemDirectories: directories, existingPaths: existing)
    }
}
