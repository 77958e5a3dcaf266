/// A shape of lease an executor can build a sandbox for before the lease comes (see
/// ``LeaseExecutor/keepWarm(_:)``): one GPU of the node, by index, and the lease's memory.
///
/// A lease has a shape only if a sandbox built without knowing it can run it exactly as one built
/// for it: on the host's system (no image), with no network, no inputs and no secrets (those
/// change the sandbox's mounts), one GPU (its device nodes are mounted) and a memory figure (it
/// sizes the sandbox's `/tmp` and `/dev/shm`, and under rlimits the heap limit). Everything else of
/// the lease (its command, environment, CPU share, hard stop) reaches the sandbox when it starts.
public struct WarmLeaseShape: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The node's GPU the lease holds (its device nodes are the ones mounted).
    public var gpuIndex: Int
    /// The lease's memory, GiB.
    public var memoryGiB: Int

    public init(gpuIndex: Int, memoryGiB: Int) {
        precondition((0..<64).contains(gpuIndex) && memoryGiB >= 1, "a GPU index of 0...63 and at least 1 GiB")
        self.gpuIndex = gpuIndex
        self.memoryGiB = memoryGiB
    }

    /// The shape of `work`, or `nil` if a sandbox built ahead could not run it as asked.
    public init?(of work: LeaseWork) {
        guard work.image == nil, !work.networkAllowed, work.inputs.isEmpty, work.wantedInputs.isEmpty, work.secrets.isEmpty,
            work.secretNames.isEmpty, work.contents == nil, work.gpuIndices.count == 1, (0..<64).contains(work.gpuIndices[0]),
            work.memoryGiB >= 1, let program = work.command.first, !program.isEmpty,
            // The launcher runs the command through env(1), which would take a first word with
            // `=` for a variable.
            !program.contains("="),
            // The launcher exports the variables in bash: each name must be one bash exports as
            // given.
            work.environment.keys.allSatisfy(Self.isExportable)
        else { return nil }
        self.init(gpuIndex: work.gpuIndices[0], memoryGiB: work.memoryGiB)
    }

    /// Names bash keeps for itself: read-only, dynamic, or changing how it runs (`BASH*` too).
    static let bashNames: Set<String> = [
        "PWD", "OLDPWD", "SHLVL", "_", "UID", "EUID", "PPID", "GROUPS", "SHELLOPTS", "RANDOM", "SRANDOM", "SECONDS", "LINENO",
        "EPOCHSECONDS", "EPOCHREALTIME", "HISTCMD", "FUNCNAME", "DIRSTACK", "PIPESTATUS", "OPTIND", "OPTARG", "IFS", "ENV",
        "POSIXLY_CORRECT", "PS4", "COMP_WORDBREAKS",
    ]

    /// Whether bash exports `name` with the value given: a shell identifier that is none of
    /// ``bashNames`` and does not start with `BASH`.
    static func isExportable(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == 0x5F || (first | 0x20 >= 0x61 && first | 0x20 <= 0x7A) else { return false }
        let identifier = name.utf8.allSatisfy { $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
        return identifier && !bashNames.contains(name) && !name.hasPrefix("BASH")
    }

    /// One shape per offered GPU, each with the node's memory per GPU (what a one-GPU lease of
    /// an even share asks): the sandboxes an agent keeps ready for its nodes.
    /// - Parameter nodes: each node's memory (GiB), GPU count and offered GPU indices.
    public static func evenShares(of nodes: [(memoryGiB: Int, gpus: Int, gpuIndices: [Int])]) -> [WarmLeaseShape] {
        nodes.flatMap { node -> [WarmLeaseShape] in
            guard node.gpus > 0, node.memoryGiB / node.gpus >= 1 else { return [] }
            return node.gpuIndices.filter { (0..<64).contains($0) }.map { WarmLeaseShape(gpuIndex: $0, memoryGiB: node.memoryGiB / node.gpus) }
        }
    }

    public static func < (left: WarmLeaseShape, right: WarmLeaseShape) -> Bool {
        (left.gpuIndex, left.memoryGiB) < (right.gpuIndex, right.memoryGiB)
    }

    public var description: String { "GPU \(gpuIndex), \(memoryGiB) GiB" }
}
