import Foundation

/// The folder of one `osg devnet`: everything it keeps, so that starting again resumes it.
///
/// ```
/// DIR/devnet.json              marks the folder as a devnet's (and `--reset` removes only such a folder)
/// DIR/devnet.lock              held while a devnet runs here
/// DIR/devnet.log               the coordinator's and the agents' logs, one JSON object per line
/// DIR/coordinator/             the coordinator's data (`osg serve --data`): SQLite store, key, log/
/// DIR/hello.yaml              a job to submit by hand
/// DIR/keys/tenant.key          the funded demo tenant
/// DIR/keys/newcomer.key        a newcomer granted GPU-hours in the set-aside pool
/// DIR/agents/<node>/agent.yaml each agent's configuration, its operator.key and its state/
/// ```
struct DevnetLayout: Sendable {
    let root: URL

    init(_ path: String) {
        root = URL(fileURLWithPath: path).standardizedFileURL
    }

    var marker: URL { root.appendingPathComponent("devnet.json") }
    var lockFile: URL { root.appendingPathComponent("devnet.lock") }
    var logFile: URL { root.appendingPathComponent("devnet.log") }
    var coordinatorData: URL { root.appendingPathComponent("coordinator") }
    var coordinatorKey: URL { coordinatorData.appendingPathComponent("coordinator.key") }
    var keys: URL { root.appendingPathComponent("keys") }
    var helloSpec: URL { root.appendingPathComponent("hello.yaml") }
    var tenantKey: URL { keys.appendingPathComponent("tenant.key") }
    /// The devnet's governance key: one key, quorum 1, apart from the coordinator's.
    var governanceKey: URL { keys.appendingPathComponent("governance.key") }
    var newcomerKey: URL { keys.appendingPathComponent("newcomer.key") }
    /// The devnet's witness: its key and what it cosigned and audited.
    var witness: URL { root.appendingPathComponent("witness") }
    var witnessKey: URL { witness.appendingPathComponent("witness.key") }
    func agentFolder(_ node: String) -> URL { root.appendingPathComponent("agents").appendingPathComponent(node) }
    func agentConfiguration(_ node: String) -> URL { agentFolder(node).appendingPathComponent("agent.yaml") }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Whether a devnet was started here before.
    var exists: Bool { FileManager.default.fileExists(atPath: marker.path) }

    /// Creates the folders (private to their owner, as `osg serve`'s data) and the marker; a
    /// folder that holds other files and no marker is refused, so that a typo cannot make a
    /// devnet (or its `--reset`) out of someone's home folder.
    func prepare(now: String) throws {
        let files = FileManager.default
        if !exists, let entries = try? files.contentsOfDirectory(atPath: root.path), !entries.isEmpty {
            throw Failure(description: "\(root.path) holds other files and is not a devnet's folder (no devnet.json): choose another --data")
        }
        do {
            try files.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // The marker first: a start cut short leaves a folder the next start still knows.
            if !exists {
                let text = JSONOutput.string(["devnet": 1, "created": now]) + "\n"
                try Data(text.utf8).write(to: marker, options: .atomic)
            }
            for folder in [coordinatorData, keys, root.appendingPathComponent("agents")] {
                try files.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            // The sandbox's job users must pass through to their leases' work folders below.
            try files.setAttributes([.posixPermissions: 0o711], ofItemAtPath: root.path)
            try files.setAttributes([.posixPermissions: 0o711], ofItemAtPath: root.appendingPathComponent("agents").path)
            if !files.fileExists(atPath: helloSpec.path) { try Data(Self.hello.utf8).write(to: helloSpec, options: .atomic) }
        } catch {
            throw Failure(description: "cannot prepare the devnet folder \(root.path): \(error.localizedDescription)")
        }
    }

    /// A small job any devnet node runs: `osg submit DIR/hello.yaml --wait`.
    static let hello = """
        # A first job: runs in a sandbox on one of the devnet's nodes and prints a few lines.
        name: hello
        command: ["/bin/sh", "-c", "echo hello from a sandboxed job; for i in 1 2 3; do echo working $i; sleep 1; done; echo done"]
        resources:
          gpu: { model: any, count: 1 }
          cpu: 1
          memory_gib: 1
        duration: 1m
        max_duration: 5m
        max_price: 3

        """

    /// Removes the devnet's folder (`--reset`); refuses a folder without the marker.
    func reset() throws {
        let files = FileManager.default
        guard files.fileExists(atPath: root.path) else { return }
        guard exists else {
            throw Failure(description: "\(root.path) is not a devnet's folder (no devnet.json): --reset removes only a devnet's folder")
        }
        do {
            try files.removeItem(at: root)
        } catch {
            throw Failure(description: "cannot remove \(root.path): \(error.localizedDescription)")
        }
    }

    /// Takes the folder's lock for as long as the returned descriptor stays open; a second
    /// devnet in the same folder is refused with a clear message.
    func lock() throws -> Int32 {
        let descriptor = open(lockFile.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(lockFile.path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw Failure(description: "another osg devnet is running in \(root.path); stop it (Ctrl-C) or choose another --data")
        }
        return descriptor
    }
}
