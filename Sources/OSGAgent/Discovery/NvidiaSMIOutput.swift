import OSGDomain

/// What one run of the agent's `nvidia-smi` query printed, and how it ended; ``inventory()``
/// reads it (pure: no I/O, so every failure the driver can show is a committed fixture).
///
/// The agent runs exactly `nvidia-smi` with ``arguments``: one CSV line per GPU,
/// `index, uuid, name, memory.total, power.limit, driver_version, pci.bus_id`, without
/// header or units:
///
/// ```
/// 0, GPU-4b3d…, NVIDIA H100 80GB HBM3, 81559, 700.00, 550.54.15, 00000000:18:00.0
/// ```
///
/// What each kind of output gives:
/// - a healthy line → a ``DiscoveredGPU``;
/// - a GPU the driver lost (`Unable to determine the device handle for GPU…`, `GPU is lost`)
///   or one with `[GPU requires reset]` or an error value (`[Unknown Error]`, `[N/A]`) in a
///   field the agent needs → left out, with a ``DiscoveryWarning``; the others are still offered;
/// - `power.limit` of `[N/A]`, `[Not Supported]` or any other bracketed value → `nil` (the
///   figure is informational, and many boards do not report it);
/// - the driver missing (exit status 9 or 12, "couldn't communicate with the NVIDIA driver")
///   → ``DiscoveryError/Code/driverUnavailable``; a driver/library mismatch →
///   ``DiscoveryError/Code/driverVersionMismatch``; `No devices were found` →
///   ``DiscoveryError/Code/noGPU``; only lost or unhealthy GPUs →
///   ``DiscoveryError/Code/noUsableGPU``;
/// - exit status 0 with no output → ``DiscoveryError/Code/emptyOutput``; with a line that is
///   not the expected CSV → ``DiscoveryError/Code/malformedOutput``;
/// - another failing exit status: its text becomes a ``DiscoveryWarning`` when healthy GPUs
///   were still listed, else ``DiscoveryError/Code/nvidiaSMIFailed``.
public struct NvidiaSMIOutput: Hashable, Sendable {
    /// The arguments the agent passes to `nvidia-smi`.
    public static let arguments = [
        "--query-gpu=index,uuid,name,memory.total,power.limit,driver_version,pci.bus_id",
        "--format=csv,noheader,nounits",
    ]
    /// The queried fields, in order.
    public static let fieldNames = ["index", "uuid", "name", "memory.total", "power.limit", "driver_version", "pci.bus_id"]
    /// Most output lines read (a host has at most a few dozen GPUs); more is malformed output.
    public static let maxLines = 1_024
    /// Longest field accepted, in bytes.
    public static let maxFieldBytes = 256

    /// Standard output.
    public var stdout: String
    /// Standard error.
    public var stderr: String
    /// The exit status (0: success; nvidia-smi documents 9 "driver not loaded", 12 "NVML not
    /// found", 15 "GPU fallen off the bus", 18 "driver/library version mismatch").
    public var exitStatus: Int32

    /// Creates an output record.
    public init(stdout: String, stderr: String = "", exitStatus: Int32) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitStatus = exitStatus
    }

    /// The GPUs this output lists, with warnings for the ones left out.
    ///
    /// - Returns: the healthy GPUs by index (at least one) and a warning per GPU left out.
    /// - Throws: ``DiscoveryError`` when the driver is unusable, no GPU is usable, or the output
    ///   is not what the query prints (see the type's documentation for each case).
    public func inventory() throws -> GPUInventory {
        try checkDriver()
        let lines = Self.lines(stdout)
        guard lines.count <= Self.maxLines else {
            throw DiscoveryError(.malformedOutput, "nvidia-smi printed \(lines.count) lines, more than the \(Self.maxLines) read; run `nvidia-smi \(Self.arguments.joined(separator: " "))` by hand and report its output")
        }
        var gpus: [DiscoveredGPU] = []
        var warnings: [DiscoveryWarning] = []
        var unrecognized: [String] = []
        for (offset, line) in lines.enumerated() {
            switch try Self.classify(line, lineNumber: offset + 1) {
            case .gpu(let gpu): gpus.append(gpu)
            case .leftOut(let warning): warnings.append(warning)
            case .unrecognized(let error):
                if exitStatus == 0 { throw error }
                unrecognized.append(line)
            }
        }
        // A lost GPU's message may come on standard error while the others are on standard output.
        for line in Self.lines(stderr) where Self.isLostGPULine(line) {
            warnings.append(Self.lostWarning(line))
        }
        try Self.checkUnique(gpus)
        if gpus.isEmpty {
            if !warnings.isEmpty {
                throw DiscoveryError(.noUsableGPU, "no usable GPU: every GPU nvidia-smi lists is lost or unhealthy (\(warnings.map(\.message).joined(separator: "; "))); repair or reset them, or use --simulate NxMODEL for a demo")
            }
            if exitStatus != 0 {
                throw DiscoveryError(.nvidiaSMIFailed, "nvidia-smi failed with exit status \(exitStatus): '\(Self.firstLine(of: unrecognized) ?? Self.firstLine(stderr) ?? "no output")'; run `nvidia-smi` by hand to see what the driver says, fix that, and restart the agent")
            }
            throw DiscoveryError(.emptyOutput, "nvidia-smi exited with status 0 but listed no GPU; run `nvidia-smi \(Self.arguments.joined(separator: " "))` by hand: it must print one line per GPU")
        }
        if exitStatus != 0 && warnings.isEmpty {
            let text = Self.firstLine(of: unrecognized) ?? Self.firstLine(stderr) ?? "no message"
            warnings.append(DiscoveryWarning(.nvidiaSMIExitStatus, "nvidia-smi exited with status \(exitStatus) ('\(text)') but listed \(gpus.count) healthy GPU(s); they are offered; run `nvidia-smi` by hand to see what failed"))
        }
        return GPUInventory(gpus: gpus.sorted { $0.index < $1.index }, warnings: warnings)
    }

    // MARK: - Driver-level failures

    /// Throws when the output is one of the driver-level failures, which list no GPU at all.
    func checkDriver() throws {
        let text = stdout + "\n" + stderr
        let said = Self.firstLine(stdout) ?? Self.firstLine(stderr) ?? "no output"
        if exitStatus == 9 || exitStatus == 12 || text.contains("couldn't communicate with the NVIDIA driver")
            || text.contains("NVML Shared Library Not Found")
        {
            throw DiscoveryError(.driverUnavailable, "nvidia-smi could not talk to the NVIDIA driver (exit status \(exitStatus)): '\(said)'; install or load the driver (`sudo modprobe nvidia`, check `dmesg`), then restart the agent; or use --simulate NxMODEL to advertise virtual GPUs for a demo")
        }
        if exitStatus == 18 || text.contains("Driver/library version mismatch") {
            throw DiscoveryError(.driverVersionMismatch, "the NVIDIA kernel driver and its library differ (exit status \(exitStatus)): '\(said)'; this follows a driver upgrade: reboot the host (or unload and reload the nvidia kernel modules), then restart the agent")
        }
        if exitStatus == 6 || text.contains("No devices were found") {
            throw DiscoveryError(.noGPU, "the NVIDIA driver is loaded but found no GPU (exit status \(exitStatus)): '\(said)'; check the GPUs are seated and visible (`lspci | grep -i nvidia`), or use --simulate NxMODEL for a demo")
        }
    }

    // MARK: - Lines

    /// What one line of output is.
    enum LineKind {
        case gpu(DiscoveredGPU)
        case leftOut(DiscoveryWarning)
        case unrecognized(DiscoveryError)
    }

    /// Reads one non-empty line. Throws only for a CSV line with a field of the wrong type
    /// (a driver bug or a different query, never a sick GPU).
    static func classify(_ line: String, lineNumber: Int) throws -> LineKind {
        if isLostGPULine(line) { return .leftOut(lostWarning(line)) }
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingASCIIWhitespace() }
        guard fields.count == fieldNames.count else {
            return .unrecognized(malformed(lineNumber, line, "has \(fields.count) comma-separated field(s), expected \(fieldNames.count) (\(fieldNames.joined(separator: ", ")))"))
        }
        if let field = fields.firstIndex(of: "[GPU requires reset]") {
            let who = gpuLabel(fields)
            return .leftOut(DiscoveryWarning(.gpuRequiresReset, "\(who) reports [GPU requires reset] in \(fieldNames[field]); it is left out; reset it (`nvidia-smi -r -i \(fields[0])` with no process on it) or reboot the host"))
        }
        for (field, value) in fields.enumerated() where field != powerLimitField && isErrorValue(value) {
            let who = gpuLabel(fields)
            return .leftOut(DiscoveryWarning(.gpuUnhealthy, "\(who) reports '\(value)' for \(fieldNames[field]); it is left out; check it with `nvidia-smi -q -i \(fields[0])` and `dmesg` (Xid errors)"))
        }
        if let tooLong = fields.firstIndex(where: { $0.utf8.count > maxFieldBytes || $0.isEmpty }) {
            return .unrecognized(malformed(lineNumber, line, "has an empty or over-long \(fieldNames[tooLong])"))
        }
        guard let index = Int(fields[0]), (0..<maxLines).contains(index) else {
            return .unrecognized(malformed(lineNumber, line, "has index '\(fields[0])', expected a GPU index from 0 to \(maxLines - 1)"))
        }
        guard let memoryMiB = Int(fields[3]), memoryMiB > 0, memoryMiB <= ComputeNode.Limits.maxVRAMGiB * 1_024 else {
            return .unrecognized(malformed(lineNumber, line, "has memory.total '\(fields[3])', expected whole MiB from 1 to \(ComputeNode.Limits.maxVRAMGiB * 1_024)"))
        }
        var powerLimitWatts: Int?
        if !isErrorValue(fields[powerLimitField]) {
            guard let watts = Double(fields[powerLimitField]), watts.isFinite, watts >= 0, watts < 100_000 else {
                return .unrecognized(malformed(lineNumber, line, "has power.limit '\(fields[powerLimitField])', expected watts such as 700.00 or [N/A]"))
            }
            powerLimitWatts = Int(watts.rounded())
        }
        return .gpu(DiscoveredGPU(
            index: index, uuid: fields[1], name: fields[2], model: NvidiaGPUName.catalogModel(forMarketingName: fields[2]),
            memoryMiB: memoryMiB, powerLimitWatts: powerLimitWatts, driverVersion: fields[5], pciBusID: fields[6]
        ))
    }

    static let powerLimitField = 4

    /// `[N/A]`, `[Unknown Error]`, `[Not Supported]`, … and the unbracketed `N/A` older drivers print.
    static func isErrorValue(_ value: String) -> Bool {
        (value.hasPrefix("[") && value.hasSuffix("]")) || value == "N/A"
    }

    /// Whether the line is the driver saying it cannot reach a GPU.
    static func isLostGPULine(_ line: String) -> Bool {
        line.contains("Unable to determine the device handle") || line.contains("GPU is lost")
            || line.contains("fallen off the bus")
    }

    static func lostWarning(_ line: String) -> DiscoveryWarning {
        DiscoveryWarning(.gpuLost, "nvidia-smi cannot reach a GPU ('\(clipped(line))'); it is left out; the GPU has fallen off the bus or hung: check `dmesg` for Xid 79, then reseat it or reboot the host")
    }

    /// `GPU 3 (00000000:3B:00.0)`, from whatever fields are readable.
    static func gpuLabel(_ fields: [String]) -> String {
        let index = isErrorValue(fields[0]) ? "?" : fields[0]
        let bus = isErrorValue(fields[6]) ? "" : " (\(fields[6]))"
        return "GPU \(index)\(bus)"
    }

    static func checkUnique(_ gpus: [DiscoveredGPU]) throws {
        var indices: Set<Int> = []
        var uuids: Set<String> = []
        for gpu in gpus {
            guard indices.insert(gpu.index).inserted, uuids.insert(gpu.uuid).inserted else {
                throw DiscoveryError(.malformedOutput, "nvidia-smi lists GPU index \(gpu.index) or UUID \(gpu.uuid) twice; run `nvidia-smi \(arguments.joined(separator: " "))` by hand and report its output")
            }
        }
    }

    static func malformed(_ lineNumber: Int, _ line: String, _ problem: String) -> DiscoveryError {
        DiscoveryError(.malformedOutput, "nvidia-smi output line \(lineNumber) '\(clipped(line))' \(problem); run `nvidia-smi \(arguments.joined(separator: " "))` by hand: it must print one such line per GPU (drivers older than 450 lack some fields: upgrade the driver)")
    }

    // MARK: - Text

    /// Non-empty lines, trimmed (Windows line ends and trailing spaces included).
    static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
    }

    static func firstLine(_ text: String) -> String? { firstLine(of: lines(text)) }

    static func firstLine(of lines: [String]) -> String? { lines.first.map(clipped) }

    /// At most 160 characters of `text`, for messages.
    static func clipped(_ text: String) -> String {
        text.count <= 160 ? text : String(text.prefix(160)) + "…"
    }
}
