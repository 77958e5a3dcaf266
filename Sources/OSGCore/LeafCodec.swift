import OSGDomain

/// The binary leaf encoding of a ``LogEntry`` (format 1): compact, canonical, and fast enough for
/// the durable write path and for audit replay (JSON was ten times slower). Documented byte by
/// byte in docs/TRANSPARENCY_LOG.md ("Leaves") so auditors in other languages can decode it.
///
/// Integers are big-endian: `u8`, `u16`, and `i64`/`u64` of 8 bytes (every `Int` field is an
/// `i64`); a string is a `u16` byte length then UTF-8; an optional is a `u8` 0 (absent) or 1
/// then the value; a list is a `u16` count then the elements; a boolean a `u8` 0 or 1; enums are
/// their text values as strings (`completed`, `set-aside`, `A100+`, …). Decoding is strict and
/// accepts only the one canonical encoding of each entry.
///
/// Fields added to a command after its first encoding are *trailing fields*: after the
/// command's fixed fields, each present one is a `u8` field number (rising) then its value, and
/// the leaf ends after the last. A trailing field is written only when it differs from its
/// default, so every leaf written before it existed keeps its bytes and its meaning.
enum LeafCodec {
    /// The first byte of a leaf without a proof (a command of the coordinator itself, or an
    /// entry written before proofs).
    static let formatVersion: UInt8 = 1
    /// The first byte of a leaf that carries its author's ``CommandProof`` after its time.
    static let provenFormatVersion: UInt8 = 2

    /// Command tags; a new command takes the next number, never a used one.
    enum Tag: UInt8 {
        case registerNode = 1, updateNodeAsk, withdrawNode, heartbeat, submitJob, cancelJob,
             definePool, grantSetAside, tick, clear, endLease, lockUp, deposit, recordCarbonSeries,
             reportBenchmark, reportUsage, fundPool, transferCredits, requestWithdrawal, settleWithdrawal,
             issueShares, transferShares, governed, rotateGovernance
    }

    /// Trailing field numbers (see the type's documentation), per command.
    enum TrailingField {
        /// `registerNode`: the node's GPUs are virtual (a `bool`, always 1).
        static let simulated: UInt8 = 1
        /// `submitJob`: the spec's `retries` (an `i64`, never 0).
        static let retries: UInt8 = 1
        /// `submitJob`: the spec allows the network (a `bool`, always 1).
        static let network: UInt8 = 2
        /// `submitJob`: the spec's environment (a `u16` count, then name and value strings,
        /// sorted by name; never empty).
        static let environment: UInt8 = 3
        /// `submitJob`: the spec's inputs (a `u16` count, then per input: path, sha256 and URL
        /// (empty for a blob) strings and an `i64` size; never empty).
        static let inputs: UInt8 = 4
        /// `submitJob`: the spec's outputs (a `u16` count, then per output: a path string and
        /// an `i64` cap in bytes; never empty).
        static let outputs: UInt8 = 5
        /// `submitJob`: the commitment to the job's private contents (a string: 64 hex digits).
        static let contents: UInt8 = 6
        /// `endLease`: the job's exit code (an `i64`).
        static let exitCode: UInt8 = 1
        /// `endLease`: what came back for each output (a `u16` count, then per output a `bool`
        /// present and, when present, a sha256 string, an `i64` size and a `bool` archive).
        static let leaseOutputs: UInt8 = 2
        /// `reportBenchmark`: the host's figures (`i64` CPU cores, `i64` CPU FP32 GFLOP/s,
        /// `i64` memory bandwidth MB/s).
        static let host: UInt8 = 1
        /// `reportUsage`: the GPUs' mean clock, per-mille of maximum (an `i64`).
        static let gpuClock: UInt8 = 1
        /// `reportUsage`: the lease's cumulative CPU time, milliseconds (an `i64`).
        static let cpuMilliseconds: UInt8 = 2
    }

    // MARK: Encoding

    /// The most bytes one leaf may take: an entry bundle stores each entry's length in 16 bits
    /// (OSGLog `EntryBundle.maximumEntryByteCount`), and every string and list length in a leaf
    /// is a `u16` too. The one rule every command is checked against before it is logged
    /// (``LogEntry/leafSizeProblem``).
    static let maximumLeafByteCount = 65_535

    static func encode(_ entry: LogEntry) -> [UInt8] {
        write(entry).bytes
    }

    /// Why `entry` cannot be a leaf (a length that does not fit its `u16`, or more than
    /// ``maximumLeafByteCount`` bytes in all), or `nil`.
    static func sizeProblem(of entry: LogEntry) -> String? {
        leafOrSizeProblem(of: entry).problem
    }

    /// The entry's leaf bytes, or why it cannot be logged (``sizeProblem(of:)``), from one
    /// encoding.
    static func leafOrSizeProblem(of entry: LogEntry) -> (leaf: [UInt8], problem: String?) {
        let writer = write(entry)
        return (writer.bytes, sizeProblem(of: writer))
    }

    private static func sizeProblem(of writer: Writer) -> String? {
        if let field = writer.overlong {
            return "\(field) is longer than \(maximumLeafByteCount) (bytes of a string, or items of a list), more than a log entry can hold"
        }
        guard writer.bytes.count <= maximumLeafByteCount else {
            return "the command takes \(writer.bytes.count) bytes as a log entry, more than the \(maximumLeafByteCount) an entry may take"
        }
        return nil
    }

    /// `str actor ‖ u8 tag ‖ fields`: what a participant signs (``CommandStatement``), and the
    /// bytes of its entry after the header (and the proof).
    static func commandBytes(actor: String, command: Command) -> [UInt8] {
        var writer = Writer()
        writer.string(actor)
        writeCommand(command, to: &writer)
        return writer.bytes
    }

    /// `u8 tag ‖ fields` of `command`: what governance keys approve (``GovernanceStatement``).
    static func commandBytes(_ command: Command) -> [UInt8] {
        var writer = Writer()
        writeCommand(command, to: &writer)
        return writer.bytes
    }

    /// The command whose `u8 tag ‖ fields` are `bytes`, all of them.
    static func command(fromBytes bytes: [UInt8]) throws(LeafDecodingError) -> Command {
        var reader = Reader(bytes: bytes)
        let command = try readCommand(&reader)
        guard reader.offset == bytes.count else {
            throw LeafDecodingError(description: "\(bytes.count - reader.offset) bytes after the end of the command")
        }
        assert(commandBytes(command) == bytes, "a decoded command re-encodes to itself")
        return command
    }

    private static func write(_ entry: LogEntry) -> Writer {
        var writer = Writer()
        writer.bytes.reserveCapacity(entry.proof == nil ? 96 : 224)
        writer.u8(entry.proof == nil ? formatVersion : provenFormatVersion)
        writer.u64(entry.sequence)
        writer.i64(entry.time.secondsSinceEpoch)
        if let proof = entry.proof {
            writer.bytes += proof.signer
            writer.i64(proof.signedAt)
            writer.string(proof.nonce)
            writer.bytes += proof.signature
        }
        writer.string(entry.actor)
        writeCommand(entry.command, to: &writer)
        return writer
    }

    /// `u8 tag ‖ fields` of `command` (a governed command's approved command follows its
    /// approvals this way).
    private static func writeCommand(_ command: Command, to writer: inout Writer) {
        switch command {
        case .registerNode(let node):
            writer.u8(Tag.registerNode.rawValue)
            writer.node(node)
            if node.isSimulated { writer.trailing(TrailingField.simulated) { $0.bool(true) } }
        case .updateNodeAsk(let nodeID, let ask):
            writer.u8(Tag.updateNodeAsk.rawValue)
            writer.string(nodeID)
            writer.i64(ask.rawValue)
        case .withdrawNode(let nodeID):
            writer.u8(Tag.withdrawNode.rawValue)
            writer.string(nodeID)
        case .heartbeat(let nodeIDs):
            writer.u8(Tag.heartbeat.rawValue)
            writer.strings(nodeIDs)
        case .submitJob(let spec, let pool):
            writer.u8(Tag.submitJob.rawValue)
            writer.spec(spec)
            writer.optional(pool) { $0.string($1) }
            if let retries = spec.retries { writer.trailing(TrailingField.retries) { $0.i64(Int64(retries)) } }
            if spec.allowsNetwork { writer.trailing(TrailingField.network) { $0.bool(true) } }
            if let env = spec.env {
                writer.trailing(TrailingField.environment) { writer in
                    writer.strings(env.flatMap { [$0.name, $0.value] })
                }
            }
            if let inputs = spec.inputs {
                writer.trailing(TrailingField.inputs) { writer in
                    writer.u16(inputs.count)
                    for input in inputs {
                        writer.string(input.path)
                        writer.string(input.sha256)
                        writer.string(input.url ?? "")
                        writer.i64(input.size)
                    }
                }
            }
            if let outputs = spec.outputs {
                writer.trailing(TrailingField.outputs) { writer in
                    writer.u16(outputs.count)
                    for output in outputs {
                        writer.string(output.path)
                        writer.i64(output.maxBytes)
                    }
                }
            }
            if let contents = spec.contents { writer.trailing(TrailingField.contents) { $0.string(contents) } }
        case .cancelJob(let orderID):
            writer.u8(Tag.cancelJob.rawValue)
            writer.string(orderID)
        case .definePool(let pool):
            writer.u8(Tag.definePool.rawValue)
            writer.string(pool.name)
            writer.i64(Int64(pool.sharePPM))
            writer.i64(pool.pricePerGPUHour.rawValue)
            // The ceiling only when the pool has one: a pool without one keeps the bytes it had
            // before pools had ceilings, so every older log replays to the same digest. The
            // pool's funding is never in the command (it is a ledger balance, `fundPool`).
            if let ceiling = pool.ceilingPerGPUHour { writer.i64(ceiling.rawValue) }
        case .grantSetAside(let grant):
            writer.u8(Tag.grantSetAside.rawValue)
            writer.string(grant.pool)
            writer.string(grant.tenantID)
            writer.i64(grant.quotaGPUSeconds)
            writer.i64(grant.usedGPUSeconds)
            writer.i64(grant.expires.secondsSinceEpoch)
        case .tick:
            writer.u8(Tag.tick.rawValue)
        case .clear:
            writer.u8(Tag.clear.rawValue)
        case .endLease(let leaseID, let reason, let exitCode, let outputs):
            writer.u8(Tag.endLease.rawValue)
            writer.string(leaseID)
            writer.string(reason.rawValue)
            if let exitCode { writer.trailing(TrailingField.exitCode) { $0.i64(Int64(exitCode)) } }
            if let outputs {
                writer.trailing(TrailingField.leaseOutputs) { writer in
                    writer.u16(outputs.count)
                    for output in outputs {
                        writer.bool(output != nil)
                        if let output {
                            writer.string(output.sha256)
                            writer.i64(output.size)
                            writer.bool(output.archive)
                        }
                    }
                }
            }
        case .lockUp(let nodeID, let gpus, let holderID, let until):
            writer.u8(Tag.lockUp.rawValue)
            writer.string(nodeID)
            writer.i64(Int64(gpus))
            writer.string(holderID)
            writer.i64(until.secondsSinceEpoch)
        case .deposit(let tenantID, let amount):
            writer.u8(Tag.deposit.rawValue)
            writer.string(tenantID)
            writer.i64(amount.rawValue)
        case .recordCarbonSeries(let zone, let firstHour, let values):
            writer.u8(Tag.recordCarbonSeries.rawValue)
            writer.string(zone)
            writer.i64(firstHour)
            writer.u16(values.count)
            for value in values { writer.i64(value) }
        case .reportBenchmark(let nodeID, let result):
            writer.u8(Tag.reportBenchmark.rawValue)
            writer.string(nodeID)
            writer.benchmark(result)
            if let host = result.host {
                writer.trailing(TrailingField.host) {
                    $0.i64(Int64(host.cpuCores))
                    $0.i64(host.cpuFP32GFLOPS)
                    $0.i64(host.memoryBandwidthMBps)
                }
            }
        case .reportUsage(let leaseID, let through, let counters):
            writer.u8(Tag.reportUsage.rawValue)
            writer.string(leaseID)
            writer.i64(through.secondsSinceEpoch)
            writer.optional(counters.gpuUtilisationPerMille) { $0.i64(Int64($1)) }
            writer.optional(counters.energyWh) { $0.i64($1) }
            if let clock = counters.gpuClockPerMille { writer.trailing(TrailingField.gpuClock) { $0.i64(Int64(clock)) } }
            if let cpu = counters.cpuMilliseconds { writer.trailing(TrailingField.cpuMilliseconds) { $0.i64(cpu) } }
        case .fundPool(let name, let amount):
            writer.u8(Tag.fundPool.rawValue)
            writer.string(name)
            writer.i64(amount.rawValue)
        case .transferCredits(let recipient, let amount):
            writer.u8(Tag.transferCredits.rawValue)
            writer.string(recipient)
            writer.i64(amount.rawValue)
        case .requestWithdrawal(let amount, let reference):
            writer.u8(Tag.requestWithdrawal.rawValue)
            writer.i64(amount.rawValue)
            writer.string(reference)
        case .settleWithdrawal(let withdrawalID, let paid):
            writer.u8(Tag.settleWithdrawal.rawValue)
            writer.string(withdrawalID)
            writer.bool(paid)
        case .issueShares(let nodeID, let shares):
            writer.u8(Tag.issueShares.rawValue)
            writer.string(nodeID)
            writer.i64(shares)
        case .transferShares(let nodeID, let recipient, let shares):
            writer.u8(Tag.transferShares.rawValue)
            writer.string(nodeID)
            writer.string(recipient)
            writer.i64(shares)
        case .governed(let governed):
            writer.u8(Tag.governed.rawValue)
            writer.u64(governed.counter)
            writer.u16(governed.approvals.count)
            for approval in governed.approvals {
                writer.bytes += approval.key
                writer.bytes += approval.signature
            }
            // The approved command is the last field: its own trailing fields end the entry.
            writeCommand(governed.command, to: &writer)
        case .rotateGovernance(let rules):
            writer.u8(Tag.rotateGovernance.rawValue)
            writer.strings(rules.keys)
            writer.i64(Int64(rules.quorum))
            writer.strings(rules.carbonFeeds)
        }
    }

    // MARK: Decoding

    /// The sequence, proof and actor of a format-2 leaf, read without decoding its command (an
    /// audit checks signatures on every core this way); `nil` for a format-1 leaf or bytes too
    /// short for a proof (the full decode reports those).
    static func provenHeader(of leaf: [UInt8]) -> (sequence: UInt64, proof: CommandProof, actor: String, commandOffset: Int)? {
        guard leaf.first == provenFormatVersion else { return nil }
        var reader = Reader(bytes: leaf)
        do {
            _ = try reader.u8("format")
            let sequence = try reader.u64("sequence")
            _ = try reader.i64("time")
            let proof = try reader.proof()
            let commandOffset = reader.offset
            let actor = try reader.string("actor")
            return (sequence, proof, actor, commandOffset)
        } catch {
            return nil
        }
    }

    static func decode(_ bytes: some Collection<UInt8>) throws(LeafDecodingError) -> LogEntry {
        let array = bytes as? [UInt8] ?? Array(bytes)
        var reader = Reader(bytes: array)
        let format = try reader.u8("format")
        guard format == formatVersion || format == provenFormatVersion else {
            throw LeafDecodingError(description: "byte 0: format \(format) is neither \(formatVersion) nor \(provenFormatVersion)")
        }
        let sequence = try reader.u64("sequence")
        let time = Timestamp(secondsSinceEpoch: try reader.i64("time"))
        var proof: CommandProof?
        if format == provenFormatVersion { proof = try reader.proof() }
        let actor = try reader.string("actor")
        let command = try readCommand(&reader)
        guard reader.offset == array.count else {
            throw LeafDecodingError(description: "\(array.count - reader.offset) bytes after the end of the entry")
        }
        let entry = LogEntry(sequence: sequence, time: time, actor: actor, command: command, proof: proof)
        // Canonical by construction: every field is read back exactly as written (strict flags,
        // known enumeration and model names, UTF-8 kept byte for byte, no trailing bytes), so
        // re-encoding gives the input. Checked in debug builds and by the tests.
        assert(encode(entry) == array, "a decoded leaf re-encodes to itself")
        return entry
    }

    /// Reads `u8 tag ‖ fields`: one command (`approved`: the command a governed command
    /// carries, which may not be governed itself).
    private static func readCommand(_ reader: inout Reader, approved: Bool = false) throws(LeafDecodingError) -> Command {
        let tagByte = try reader.u8("command tag")
        guard let tag = Tag(rawValue: tagByte) else {
            throw LeafDecodingError(description: "byte \(reader.offset - 1): unknown command tag \(tagByte)")
        }
        if approved, tag == .governed {
            throw LeafDecodingError(description: "byte \(reader.offset - 1): a governed command cannot hold another governed command")
        }
        let command: Command
        switch tag {
        case .registerNode:
            var node = try reader.node()
            try reader.trailingFields(known: [TrailingField.simulated]) { (_, reader: inout Reader) throws(LeafDecodingError) in
                guard try reader.bool("simulated") else { throw LeafDecodingError(description: "simulated is written only when true") }
                node.simulated = true
            }
            command = .registerNode(node)
        case .updateNodeAsk: command = .updateNodeAsk(nodeID: try reader.string("nodeID"), askPerGPUHour: MicroCredits(try reader.i64("askPerGPUHour")))
        case .withdrawNode: command = .withdrawNode(nodeID: try reader.string("nodeID"))
        case .heartbeat: command = .heartbeat(nodeIDs: try reader.strings("nodeIDs"))
        case .submitJob:
            var spec = try reader.spec()
            let pool = try reader.optional("pool") { (reader: inout Reader) throws(LeafDecodingError) in try reader.string("pool") }
            try reader.trailingFields(known: [TrailingField.retries, TrailingField.network, TrailingField.environment, TrailingField.inputs, TrailingField.outputs, TrailingField.contents]) { (number, reader: inout Reader) throws(LeafDecodingError) in
                if number == TrailingField.contents {
                    spec.contents = try reader.string("contents")
                } else if number == TrailingField.inputs {
                    let count = Int(try reader.u16("inputs count"))
                    guard count > 0 else { throw LeafDecodingError(description: "inputs are written only when there are some") }
                    var inputs: [JobInput] = []
                    for _ in 0..<count {
                        let path = try reader.string("input path"), digest = try reader.string("input sha256"), url = try reader.string("input url")
                        inputs.append(JobInput(path: path, sha256: digest, size: try reader.i64("input size"), url: url.isEmpty ? nil : url))
                    }
                    spec.inputs = inputs
                } else if number == TrailingField.outputs {
                    let count = Int(try reader.u16("outputs count"))
                    guard count > 0 else { throw LeafDecodingError(description: "outputs are written only when there are some") }
                    var outputs: [JobOutput] = []
                    for _ in 0..<count { outputs.append(JobOutput(path: try reader.string("output path"), maxBytes: try reader.i64("output cap"))) }
                    spec.outputs = outputs
                } else if number == TrailingField.retries {
                    let retries = try reader.int("retries")
                    guard retries != 0 else { throw LeafDecodingError(description: "retries is written only when not 0") }
                    spec.retries = retries
                } else if number == TrailingField.environment {
                    let flat = try reader.strings("env")
                    guard !flat.isEmpty, flat.count.isMultiple(of: 2) else { throw LeafDecodingError(description: "env must be name and value pairs, at least one") }
                    let env = stride(from: 0, to: flat.count, by: 2).map { EnvironmentVariable(name: flat[$0], value: flat[$0 + 1]) }
                    guard zip(env, env.dropFirst()).allSatisfy({ $0.name < $1.name }) else { throw LeafDecodingError(description: "env names must be sorted and unique") }
                    spec.env = env
                } else {
                    guard try reader.bool("network") else { throw LeafDecodingError(description: "network is written only when true") }
                    spec.network = true
                }
            }
            command = .submitJob(spec: spec, pool: pool)
        case .cancelJob: command = .cancelJob(orderID: try reader.string("orderID"))
        case .definePool:
            let name = try reader.string("pool name")
            let share = try reader.int("sharePPM")
            guard (0...1_000_000).contains(share) else {
                throw LeafDecodingError(description: "sharePPM \(share) is outside 0...1000000")
            }
            let price = MicroCredits(try reader.i64("pricePerGPUHour"))
            // definePool is the last field of its entry: bytes after the price are the ceiling.
            let ceiling = reader.isAtEnd ? nil : MicroCredits(try reader.i64("ceilingPerGPUHour"))
            command = .definePool(SetAsidePool(name: name, sharePPM: share, pricePerGPUHour: price, ceilingPerGPUHour: ceiling))
        case .grantSetAside:
            command = .grantSetAside(SetAsideGrant(
                pool: try reader.string("pool"), tenantID: try reader.string("tenantID"),
                quotaGPUSeconds: try reader.i64("quotaGPUSeconds"), usedGPUSeconds: try reader.i64("usedGPUSeconds"),
                expires: Timestamp(secondsSinceEpoch: try reader.i64("expires"))))
        case .tick: command = .tick
        case .clear: command = .clear
        case .endLease:
            let leaseID = try reader.string("leaseID")
            let reason = try reader.enumeration("reason", LeaseEndReason.self)
            var exitCode: Int?
            var outputs: [OutputBlob?]?
            try reader.trailingFields(known: [TrailingField.exitCode, TrailingField.leaseOutputs]) { (number, reader: inout Reader) throws(LeafDecodingError) in
                if number == TrailingField.exitCode {
                    exitCode = try reader.int("exitCode")
                } else {
                    let count = Int(try reader.u16("outputs count"))
                    var read: [OutputBlob?] = []
                    for _ in 0..<count {
                        if try reader.bool("output present") {
                            read.append(OutputBlob(sha256: try reader.string("output sha256"), size: try reader.i64("output size"), archive: try reader.bool("output archive")))
                        } else {
                            read.append(nil)
                        }
                    }
                    outputs = read
                }
            }
            command = .endLease(leaseID: leaseID, reason: reason, exitCode: exitCode, outputs: outputs)
        case .lockUp:
            command = .lockUp(
                nodeID: try reader.string("nodeID"), gpus: try reader.int("gpus"), holderID: try reader.string("holderID"),
                until: Timestamp(secondsSinceEpoch: try reader.i64("until")))
        case .deposit: command = .deposit(tenantID: try reader.string("tenantID"), amount: MicroCredits(try reader.i64("amount")))
        case .recordCarbonSeries:
            let zone = try reader.string("zone")
            let firstHour = try reader.i64("firstHour")
            let count = try reader.u16("hours")
            var values: [Int64] = []
            values.reserveCapacity(count)
            for index in 0..<count { values.append(try reader.i64("milligramsPerKWh[\(index)]")) }
            command = .recordCarbonSeries(zone: zone, firstHour: firstHour, milligramsPerKWh: values)
        case .reportBenchmark:
            let nodeID = try reader.string("nodeID")
            var result = try reader.benchmark()
            try reader.trailingFields(known: [TrailingField.host]) { (_, reader: inout Reader) throws(LeafDecodingError) in
                result.host = NodeBenchmark.HostMeasurement(
                    cpuCores: try reader.int("hostCPUCores"), cpuFP32GFLOPS: try reader.i64("hostCPUFP32GFLOPS"),
                    memoryBandwidthMBps: try reader.i64("hostMemoryBandwidthMBps"))
            }
            command = .reportBenchmark(nodeID: nodeID, result: result)
        case .reportUsage:
            let leaseID = try reader.string("leaseID")
            let through = Timestamp(secondsSinceEpoch: try reader.i64("through"))
            let utilisation = try reader.optional("gpuUtilisationPerMille") { (reader: inout Reader) throws(LeafDecodingError) in
                try reader.int("gpuUtilisationPerMille")
            }
            let energy = try reader.optional("energyWh") { (reader: inout Reader) throws(LeafDecodingError) in try reader.i64("energyWh") }
            var counters = UsageCounters(gpuUtilisationPerMille: utilisation, energyWh: energy)
            try reader.trailingFields(known: [TrailingField.gpuClock, TrailingField.cpuMilliseconds]) { (number, reader: inout Reader) throws(LeafDecodingError) in
                if number == TrailingField.gpuClock {
                    counters.gpuClockPerMille = try reader.int("gpuClockPerMille")
                } else {
                    counters.cpuMilliseconds = try reader.i64("cpuMilliseconds")
                }
            }
            command = .reportUsage(leaseID: leaseID, through: through, counters: counters)
        case .fundPool:
            command = .fundPool(name: try reader.string("pool name"), amount: MicroCredits(try reader.i64("amount")))
        case .transferCredits:
            command = .transferCredits(to: try reader.string("to"), amount: MicroCredits(try reader.i64("amount")))
        case .requestWithdrawal:
            command = .requestWithdrawal(amount: MicroCredits(try reader.i64("amount")), reference: try reader.string("reference"))
        case .settleWithdrawal:
            command = .settleWithdrawal(withdrawalID: try reader.string("withdrawalID"), paid: try reader.bool("paid"))
        case .issueShares:
            command = .issueShares(nodeID: try reader.string("nodeID"), shares: try reader.i64("shares"))
        case .transferShares:
            command = .transferShares(nodeID: try reader.string("nodeID"), to: try reader.string("to"), shares: try reader.i64("shares"))
        case .governed:
            let counter = try reader.u64("governance counter")
            let count = try reader.u16("approvals")
            var approvals: [GovernanceApproval] = []
            for _ in 0..<count {
                approvals.append(GovernanceApproval(key: try reader.raw(CommandProof.keyByteCount, "approval key"),
                                                    signature: try reader.raw(CommandProof.signatureByteCount, "approval signature")))
            }
            let approved = try readCommand(&reader, approved: true)
            command = .governed(GovernedCommand(counter: counter, command: approved, approvals: approvals))
        case .rotateGovernance:
            let keys = try reader.strings("governance keys")
            let quorum = try reader.int("quorum")
            let feeds = try reader.strings("carbon feeds")
            guard keys == keys.sorted(), feeds == feeds.sorted() else {
                throw LeafDecodingError(description: "governance keys and carbon feeds are written sorted")
            }
            command = .rotateGovernance(GovernanceRules(keys: keys, quorum: quorum, carbonFeeds: feeds))
        }
        return command
    }

    // MARK: Writer and reader

    struct Writer {
        var bytes: [UInt8] = []
        /// Set when a length or count did not fit its `u16` (and was clamped): `a string` or `a list`.
        var overlong: String?

        mutating func u8(_ value: UInt8) { bytes.append(value) }
        /// A length or count. Above 65,535 it is clamped and ``overlong`` says so: such an entry
        /// is refused before it is logged (``LeafCodec/sizeProblem(of:)``).
        mutating func u16(_ value: Int, _ what: String = "a list") {
            if value > Int(UInt16.max), overlong == nil { overlong = what }
            let clamped = min(max(0, value), Int(UInt16.max))
            bytes.append(UInt8(clamped >> 8))
            bytes.append(UInt8(clamped & 0xFF))
        }
        mutating func u64(_ value: UInt64) {
            withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        }
        mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
        mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }
        mutating func string(_ value: String) {
            var value = value
            value.withUTF8 { utf8 in
                u16(utf8.count, "a string")
                bytes.append(contentsOf: utf8)
            }
        }
        mutating func strings(_ values: [String]) {
            u16(values.count)
            for value in values { string(value) }
        }
        mutating func optional<T>(_ value: T?, _ write: (inout Writer, T) -> Void) {
            if let value {
                u8(1)
                write(&self, value)
            } else {
                u8(0)
            }
        }

        /// A trailing field: its number, then what `write` writes.
        mutating func trailing(_ number: UInt8, _ write: (inout Writer) -> Void) {
            u8(number)
            write(&self)
        }

        mutating func node(_ node: ComputeNode) {
            string(node.id)
            string(node.operatorID)
            string(node.gpuModel.name)
            i64(Int64(node.gpuCount))
            i64(Int64(node.vramGiB))
            i64(Int64(node.cpuCores))
            i64(Int64(node.memoryGiB))
            i64(Int64(node.diskGiB))
            string(node.region)
            string(node.jurisdiction)
            string(node.gridZone)
            string(node.powerSource.rawValue)
            i64(node.askPerGPUHour.rawValue)
            i64(node.stake.rawValue)
        }

        mutating func benchmark(_ result: NodeBenchmark) {
            string(result.tool)
            string(result.toolVersion)
            i64(result.durationSeconds)
            i64(Int64(result.gpusMeasured))
            i64(result.fp16DenseGFLOPS)
            i64(result.fp32GFLOPS)
            i64(result.memoryBandwidthMBps)
            i64(result.hostToDeviceMBps)
            i64(result.deviceToHostMBps)
        }

        mutating func spec(_ spec: JobSpec) {
            string(spec.name)
            optional(spec.image) { $0.string($1) }
            optional(spec.command) { $0.strings($1) }
            string(spec.resources.gpu.selector.description)
            i64(Int64(spec.resources.gpu.countPerNode))
            optional(spec.resources.gpu.minVRAMGiB) { $0.i64(Int64($1)) }
            i64(Int64(spec.resources.cpuCores))
            i64(Int64(spec.resources.memoryGiB))
            i64(Int64(spec.resources.diskGiB))
            i64(Int64(spec.nodeCount))
            i64(spec.durationSeconds)
            i64(spec.maxDurationSeconds)
            i64(spec.maxPricePerGPUHour.rawValue)
            optional(spec.deadline) { $0.i64($1.secondsSinceEpoch) }
            strings(spec.placement.regions)
            strings(spec.placement.jurisdictions)
            strings(spec.placement.excludedOperators)
            optional(spec.carbon.maxGCO2PerKWh) { $0.i64(Int64($1)) }
            bool(spec.carbon.shift)
            string(spec.jobClass.rawValue)
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        /// Whether every byte has been read.
        var isAtEnd: Bool { offset == bytes.count }

        private mutating func take(_ count: Int, _ field: String) throws(LeafDecodingError) -> ArraySlice<UInt8> {
            guard count <= bytes.count - offset else {
                throw LeafDecodingError(description: "\(field) at byte \(offset) needs \(count) bytes; the leaf ends at \(bytes.count)")
            }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func u8(_ field: String) throws(LeafDecodingError) -> UInt8 {
            try take(1, field).first!
        }
        mutating func raw(_ count: Int, _ field: String) throws(LeafDecodingError) -> [UInt8] {
            Array(try take(count, field))
        }
        /// A format-2 leaf's proof: key, signed-at time, nonce, signature.
        mutating func proof() throws(LeafDecodingError) -> CommandProof {
            let signer = try raw(CommandProof.keyByteCount, "proof key")
            let signedAt = try i64("proof time")
            let nonce = try string("proof nonce")
            return CommandProof(signer: signer, signedAt: signedAt, nonce: nonce, signature: try raw(CommandProof.signatureByteCount, "proof signature"))
        }
        mutating func u16(_ field: String) throws(LeafDecodingError) -> Int {
            let slice = try take(2, field)
            return Int(slice[slice.startIndex]) << 8 | Int(slice[slice.startIndex + 1])
        }
        mutating func u64(_ field: String) throws(LeafDecodingError) -> UInt64 {
            try take(8, field).reduce(0) { $0 << 8 | UInt64($1) }
        }
        mutating func i64(_ field: String) throws(LeafDecodingError) -> Int64 {
            Int64(bitPattern: try u64(field))
        }
        mutating func int(_ field: String) throws(LeafDecodingError) -> Int {
            Int(try i64(field))
        }
        mutating func bool(_ field: String) throws(LeafDecodingError) -> Bool {
            switch try u8(field) {
            case 0: return false
            case 1: return true
            case let other: throw LeafDecodingError(description: "\(field) at byte \(offset - 1): \(other) is not a boolean (0 or 1)")
            }
        }
        mutating func string(_ field: String) throws(LeafDecodingError) -> String {
            let length = try u16(field)
            let slice = try take(length, field)
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw LeafDecodingError(description: "\(field) at byte \(offset - length) is not UTF-8")
            }
            return text
        }
        mutating func strings(_ field: String) throws(LeafDecodingError) -> [String] {
            let count = try u16(field)
            var values: [String] = []
            values.reserveCapacity(count)
            for index in 0..<count { values.append(try string("\(field)[\(index)]")) }
            return values
        }
        mutating func optional<T>(_ field: String, _ read: (inout Reader) throws(LeafDecodingError) -> T) throws(LeafDecodingError) -> T? {
            switch try u8(field) {
            case 0: return nil
            case 1: return try read(&self)
            case let other: throw LeafDecodingError(description: "\(field) at byte \(offset - 1): presence flag \(other) is not 0 or 1")
            }
        }
        mutating func enumeration<T: RawRepresentable>(_ field: String, _ type: T.Type) throws(LeafDecodingError) -> T where T.RawValue == String {
            let text = try string(field)
            guard let value = T(rawValue: text) else {
                throw LeafDecodingError(description: "\(field) \"\(text)\" is not a known value")
            }
            return value
        }

        /// Reads the trailing fields up to the end of the leaf: `read` gets each field number,
        /// which must be in `known` and rise strictly.
        mutating func trailingFields(
            known: Set<UInt8>, _ read: (UInt8, inout Reader) throws(LeafDecodingError) -> Void
        ) throws(LeafDecodingError) {
            var previous: UInt8 = 0
            while !isAtEnd {
                let at = offset
                let number = try u8("trailing field number")
                guard known.contains(number), number > previous else {
                    throw LeafDecodingError(description: "byte \(at): trailing field \(number) is unknown here or out of order")
                }
                previous = number
                try read(number, &self)
            }
        }

        mutating func node() throws(LeafDecodingError) -> ComputeNode {
            let id = try string("node id")
            let operatorID = try string("operatorID")
            let modelName = try string("gpuModel")
            guard let model = GPUModel.named(modelName), model.name == modelName else {
                throw LeafDecodingError(description: "gpuModel \"\(modelName)\" is not a catalogued GPU model")
            }
            return ComputeNode(
                id: id, operatorID: operatorID, gpuModel: model, gpuCount: try int("gpuCount"), vramGiB: try int("vramGiB"),
                cpuCores: try int("cpuCores"), memoryGiB: try int("memoryGiB"), diskGiB: try int("diskGiB"),
                region: try string("region"), jurisdiction: try string("jurisdiction"), gridZone: try string("gridZone"),
                powerSource: try enumeration("powerSource", PowerSource.self),
                askPerGPUHour: MicroCredits(try i64("askPerGPUHour")), stake: MicroCredits(try i64("stake")))
        }

        mutating func benchmark() throws(LeafDecodingError) -> NodeBenchmark {
            NodeBenchmark(
                tool: try string("tool"), toolVersion: try string("toolVersion"), durationSeconds: try i64("durationSeconds"),
                gpusMeasured: try int("gpusMeasured"), fp16DenseGFLOPS: try i64("fp16DenseGFLOPS"), fp32GFLOPS: try i64("fp32GFLOPS"),
                memoryBandwidthMBps: try i64("memoryBandwidthMBps"), hostToDeviceMBps: try i64("hostToDeviceMBps"),
                deviceToHostMBps: try i64("deviceToHostMBps"))
        }

        mutating func spec() throws(LeafDecodingError) -> JobSpec {
            let name = try string("spec name")
            let image = try optional("image") { (reader: inout Reader) throws(LeafDecodingError) in try reader.string("image") }
            let command = try optional("command") { (reader: inout Reader) throws(LeafDecodingError) in try reader.strings("command") }
            let selectorText = try string("gpu selector")
            guard let selector = GPUSelector(text: selectorText), selector.description == selectorText else {
                throw LeafDecodingError(description: "gpu selector \"\(selectorText)\" is not any, a catalogued model or a class such as A100+")
            }
            let gpu = GPURequest(
                selector: selector, countPerNode: try int("countPerNode"),
                minVRAMGiB: try optional("minVRAMGiB") { (reader: inout Reader) throws(LeafDecodingError) in try reader.int("minVRAMGiB") })
            let resources = ResourceRequest(gpu: gpu, cpuCores: try int("cpuCores"), memoryGiB: try int("memoryGiB"), diskGiB: try int("diskGiB"))
            let nodeCount = try int("nodeCount")
            let duration = try i64("durationSeconds")
            let maxDuration = try i64("maxDurationSeconds")
            let maxPrice = MicroCredits(try i64("maxPricePerGPUHour"))
            let deadline = try optional("deadline") { (reader: inout Reader) throws(LeafDecodingError) in Timestamp(secondsSinceEpoch: try reader.i64("deadline")) }
            let placement = Placement(regions: try strings("regions"), jurisdictions: try strings("jurisdictions"), excludedOperators: try strings("excludedOperators"))
            let carbon = CarbonPolicy(
                maxGCO2PerKWh: try optional("maxGCO2PerKWh") { (reader: inout Reader) throws(LeafDecodingError) in try reader.int("maxGCO2PerKWh") },
                shift: try bool("shift"))
            return JobSpec(
                name: name, image: image, command: command, resources: resources, nodeCount: nodeCount,
                durationSeconds: duration, maxDurationSeconds: maxDuration, maxPricePerGPUHour: maxPrice, deadline: deadline,
                placement: placement, carbon: carbon, jobClass: try enumeration("jobClass", JobClass.self))
        }
    }
}
