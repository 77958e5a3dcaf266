import Foundation
import OSGCore
import OSGDomain
import OSGLog

/// `osg audit`: checks a published log end to end.
///
/// 1. The checkpoint parses and is signed by the trusted key (pinned, recorded, or fetched
///    and recorded on first use); the key is named after the origin.
/// 2. Every entry bundle and hash tile of the checkpoint's tree is fetched; tile lengths fit
///    their widths; the tree recomputed from the entries equals the tiles, tile by tile, and its
///    root equals the signed root.
/// 3. The log only grew since the last checkpoint this auditor verified: the root of the tree at
///    the old size equals the old root (and a consistency proof between them verifies).
/// 4. Every entry decodes and replays through the core from the published genesis.
/// 5. The published state at the checkpoint's size equals the recomputed one, field by field.
///
/// The first problem found ends the audit with a report naming it. Only a verified checkpoint
/// is remembered.
public struct LogAuditor<Source: LogSource>: Sendable {
    /// Where the log is read from.
    public let source: Source
    /// What the auditor remembers between runs.
    public let trustStore: AuditTrustStore
    /// A verifier key to trust instead of the recorded one (`--key`).
    public let pinnedKey: String?
    /// Witnesses whose cosignatures count towards ``quorum`` (`--witness`).
    public let witnesses: [CosignerKey]
    /// How many of ``witnesses`` must have cosigned the checkpoint (`--quorum`; 0: none).
    public let quorum: Int
    /// Cosignatures older than this many seconds (by their own timestamp, against
    /// ``unixSeconds``) do not count (`--max-cosignature-age`; `nil`: any age): a coordinator that
    /// keeps serving an old cosigned checkpoint (a frozen view) then fails the quorum.
    public let maxCosignatureAge: UInt64?
    /// Now, POSIX seconds.
    public let unixSeconds: @Sendable () -> UInt64

    public init(source: Source, trustStore: AuditTrustStore, pinnedKey: String? = nil, witnesses: [CosignerKey] = [], quorum: Int = 0,
                maxCosignatureAge: UInt64? = nil, unixSeconds: @escaping @Sendable () -> UInt64 = { UInt64(max(0, Date().timeIntervalSince1970)) }) {
        precondition(quorum >= 0 && quorum <= witnesses.count, "a quorum is at most the number of witnesses")
        self.source = source
        self.trustStore = trustStore
        self.pinnedKey = pinnedKey
        self.witnesses = witnesses
        self.quorum = quorum
        self.maxCosignatureAge = maxCosignatureAge
        self.unixSeconds = unixSeconds
    }

    /// Runs the audit.
    public func audit() async -> AuditReport {
        var report = AuditReport(verdict: .failed, code: "", reason: "", entriesReplayed: 0)
        do {
            try await run(&report)
        } catch {
            report.verdict = error.verdict
            report.code = error.code
            report.reason = error.reason
        }
        return report
    }

    private func run(_ report: inout AuditReport) async throws(AuditStop) {
        // 1. Checkpoint and signature.
        let noteBytes = try await fetch(LogLayout.checkpoint, missingIs: .malformed)
        let note: SignedNote
        let checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: noteBytes)
            checkpoint = try Checkpoint(parsing: note.text)
        } catch {
            throw .malformed(error.code.rawValue, "checkpoint: \(error.field): \(error.message)")
        }
        report.origin = checkpoint.origin
        report.treeSize = checkpoint.size
        report.rootHash = Base64.encode(checkpoint.rootHash)
        let (key, trust) = try await trustedKey(origin: checkpoint.origin)
        report.keyTrust = trust
        guard key.name == checkpoint.origin else {
            throw .failed("key_origin_mismatch", "the verifier key is named \(key.name) but the checkpoint's origin is \(checkpoint.origin)")
        }
        if case .rejected(let rejection) = note.verify(with: key) {
            let code = rejection.code == .invalidSignature ? "bad_signature" : rejection.code.rawValue
            throw .failed(code, "checkpoint signature: \(rejection.message)")
        }
        // A split view (another history shown to others) gets no cosignature from an honest
        // witness that saw this one: require enough of them.
        let (cosigners, shortfall) = CosignerKey.quorum(of: note, among: witnesses, quorum: quorum, maxAge: maxCosignatureAge, now: unixSeconds())
        report.cosigners = cosigners.map(\.name)
        if let shortfall { throw .failed("witness_quorum", shortfall) }
        let previous = try savedCheckpoint(origin: checkpoint.origin, key: key)
        report.previousTreeSize = previous?.size
        if let previous, previous.size > checkpoint.size {
            throw .failed("rollback", "the checkpoint has \(checkpoint.size) entries, fewer than the \(previous.size) of the checkpoint seen before: the log went back")
        }

        // 2. Entries, tiles and root.
        let genesis: Genesis
        do {
            genesis = try CanonicalEncoding.decode(Genesis.self, from: try await fetch(LogLayout.genesis, missingIs: .failed))
        } catch let stop as AuditStop {
            throw stop
        } catch {
            throw .failed("bad_genesis", "\(LogLayout.genesis) is not a genesis: \(error)")
        }
        let leaves = try await fetchLeaves(size: checkpoint.size)
        var tree = MerkleTree(reservingCapacityFor: leaves.count)
        for leaf in leaves { tree.append(entry: leaf) }
        try await checkTiles(of: tree, checkpoint: checkpoint)

        // 3. Consistency with the checkpoint seen before.
        if let previous, previous.size > 0 {
            let oldRoot: [UInt8]
            do {
                oldRoot = try tree.rootHash(size: previous.size)
            } catch {
                preconditionFailure("previous size was checked against the tree size: \(error)")
            }
            guard oldRoot == previous.rootHash else {
                throw .failed("forked_history", "forked history: the checkpoint seen before says the first \(previous.size) entries have root \(Base64.encode(previous.rootHash)); this log gives \(Base64.encode(oldRoot))")
            }
            do {
                let proof = try tree.consistencyProof(from: previous.size, to: checkpoint.size)
                try MerkleProof.verifyConsistency(size1: previous.size, size2: checkpoint.size, proof: proof, root1: previous.rootHash, root2: checkpoint.rootHash)
            } catch {
                throw .failed("forked_history", "no consistency between the checkpoint seen before (size \(previous.size)) and this one: \(error)")
            }
        }

        // 4. Proofs and replay: the participants' signatures are checked on every core while
        // the entries replay in order (with the proof rules that depend on order).
        var state = CoordinatorState(genesis: genesis)
        let clock = ContinuousClock()
        let replayStart = clock.now
        let replayCPUStart = Self.processCPUSeconds()
        let signatureRules = CommandProofCheck(genesis: genesis, origin: checkpoint.origin)
        var proofRules = signatureRules
        // The entries of the checkpoint seen before are the ones verified then (step 3 proved
        // it): their signatures are not checked again, when this auditor checked them then.
        let alreadyVerified = try proofsAlreadyVerified(origin: checkpoint.origin, previous: previous)
        report.proofsVerifiedBefore = alreadyVerified
        async let signatureProblem = Self.firstSignatureProblem(in: leaves, from: Int(alreadyVerified), check: signatureRules)
        var orderProblem: CommandProofCheck.Problem?
        for (index, leaf) in leaves.enumerated() {
            let entry: LogEntry
            do {
                entry = try LogEntry(leafBytes: leaf)
            } catch {
                throw .failed("bad_entry", "entry \(index) (\(Self.bundlePath(ofEntry: UInt64(index), size: checkpoint.size))): \(error)")
            }
            guard entry.sequence == UInt64(index), state.accepts(entry) else {
                throw .failed("entry_out_of_order", "entry \(index) carries sequence \(entry.sequence) and time \(entry.time); expected sequence \(index) at or after \(state.lastTime.map(String.init(describing:)) ?? "the start")")
            }
            if let problem = proofRules.orderProblem(of: entry) {
                orderProblem = problem
                break
            }
            let events = state.apply(entry)
            if case .governed = entry.command {
                // A governance command counts only with a quorum's approvals, for this counter:
                // the core refuses it first otherwise (its own checks come after the approval).
                if case .rejected(let rejection)? = events.first {
                    orderProblem = CommandProofCheck.Problem(code: rejection.code.rawValue, sequence: entry.sequence, message: rejection.message)
                    break
                }
                report.governedEntries += 1
            }
            if entry.proof != nil { report.entriesWithProofs += 1 }
            report.entriesReplayed += 1
        }
        // The first broken proof in log order, of either kind.
        if let problem = [await signatureProblem, orderProblem].compactMap({ $0 }).min(by: { $0.sequence < $1.sequence }) {
            throw .failed(problem.code, "entry \(problem.sequence) (\(Self.bundlePath(ofEntry: problem.sequence, size: checkpoint.size))): \(problem.message)")
        }
        report.proofsRequired = genesis.signedCommands != nil
        let replaySeconds = Self.seconds(clock.now - replayStart)
        if !leaves.isEmpty, replaySeconds > 0 { report.replayEntriesPerSecond = Double(leaves.count) / replaySeconds }
        if !leaves.isEmpty, let start = replayCPUStart, let end = Self.processCPUSeconds(), end > start {
            report.replayEntriesPerCPUSecond = Double(leaves.count) / (end - start)
        }

        // 5. Published state.
        let statePath = LogLayout.state(treeSize: checkpoint.size)
        let published: PublishedState
        do {
            published = try CanonicalEncoding.decode(PublishedState.self, from: try await fetch(statePath, missingIs: .failed))
        } catch let stop as AuditStop {
            throw stop
        } catch {
            throw .failed("bad_state", "\(statePath) is not a published state: \(error)")
        }
        if let difference = published.firstDifference(from: state.published) {
            throw .failed("state_divergence", "\(statePath) differs from the replay at \(difference)")
        }

        // Remember what was verified.
        do {
            try trustStore.saveCheckpoint(noteBytes, origin: checkpoint.origin)
            try trustStore.recordProofsVerified(through: checkpoint.size, origin: checkpoint.origin)
            if trust != "recorded" { try trustStore.trust(key: key.description, origin: checkpoint.origin) }
        } catch {
            throw .malformed("state_dir", "cannot record the verified checkpoint: \(error)")
        }
        report.verdict = .verified
        report.code = "verified"
        var reason = "\(checkpoint.origin) at size \(checkpoint.size): signature by \(key.description) (\(trust)), \(leaves.count) entries match the tiles and root"
        if let previous { reason += ", consistent with the checkpoint seen before (size \(previous.size))" }
        reason += report.proofsRequired == true
            ? ", every participant's command carries its verified signature (\(report.entriesWithProofs) proofs)"
            : (report.entriesWithProofs > 0 ? ", the \(report.entriesWithProofs) command proofs present verify (this log's genesis does not require them)" : ", the log's genesis predates command proofs")
        if report.governedEntries > 0 { reason += ", each of the \(report.governedEntries) governance commands approved by a quorum" }
        reason += ", replay reproduces \(statePath)"
        report.reason = reason
    }

    // MARK: Steps

    /// How many first entries need no signature check: those of the checkpoint seen before,
    /// when this auditor verified their proofs then (0 otherwise).
    private func proofsAlreadyVerified(origin: String, previous: Checkpoint?) throws(AuditStop) -> UInt64 {
        guard let previous else { return 0 }
        do {
            return min(previous.size, try trustStore.proofsVerifiedThrough(origin: origin) ?? 0)
        } catch {
            throw .malformed("state_dir", "\(error)")
        }
    }

    /// The signature problem of the lowest sequence among `leaves` from index `first`, checked in contiguous
    /// chunks on every core.
    private static func firstSignatureProblem(in leaves: [[UInt8]], from first: Int, check: CommandProofCheck) async -> CommandProofCheck.Problem? {
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunk = max(1_024, (leaves.count - first + workers - 1) / workers)
        return await withTaskGroup(of: CommandProofCheck.Problem?.self) { group in
            for start in stride(from: first, to: leaves.count, by: chunk) {
                group.addTask {
                    for index in start..<min(start + chunk, leaves.count) {
                        if let problem = check.signatureProblem(ofLeaf: leaves[index]) { return problem }
                    }
                    return nil
                }
            }
            var first: CommandProofCheck.Problem?
            for await problem in group {
                if let problem, problem.sequence < first?.sequence ?? .max { first = problem }
            }
            return first
        }
    }

    private func trustedKey(origin: String) async throws(AuditStop) -> (NoteVerifierKey, String) {
        func parse(_ text: String, _ what: String) throws(AuditStop) -> NoteVerifierKey {
            do {
                return try NoteVerifierKey(parsing: text)
            } catch {
                throw .malformed(error.code.rawValue, "\(what): \(error.field): \(error.message)")
            }
        }
        if let pinnedKey {
            return (try parse(pinnedKey, "--key"), "pinned")
        }
        let recorded: String?
        do {
            recorded = try trustStore.trustedKey(origin: origin)
        } catch {
            throw .malformed("state_dir", "\(error)")
        }
        if let recorded {
            return (try parse(recorded, "the recorded key in \(trustStore.folder(origin: origin))"), "recorded")
        }
        let fetched = String(decoding: try await fetch(LogLayout.verifierKey, missingIs: .malformed), as: UTF8.self)
        return (try parse(fetched.trimmingCharacters(in: .newlines), LogLayout.verifierKey), "first_use")
    }

    private func savedCheckpoint(origin: String, key: NoteVerifierKey) throws(AuditStop) -> Checkpoint? {
        let bytes: [UInt8]?
        do {
            bytes = try trustStore.savedCheckpoint(origin: origin)
        } catch {
            throw .malformed("state_dir", "\(error)")
        }
        guard let bytes else { return nil }
        do {
            let note = try SignedNote(parsing: bytes)
            guard note.verify(with: key).isVerified else {
                throw AuditStop.failed("bad_signature", "the checkpoint seen before (in \(trustStore.folder(origin: origin))) is not signed by \(key.description): the key changed")
            }
            return try Checkpoint(parsing: note.text)
        } catch let stop as AuditStop {
            throw stop
        } catch {
            throw .malformed("state_dir", "the checkpoint seen before (in \(trustStore.folder(origin: origin))) does not parse: \(error)")
        }
    }

    /// Every entry of the tree of `size` leaves, from the entry bundles.
    private func fetchLeaves(size: UInt64) async throws(AuditStop) -> [[UInt8]] {
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(Int(size))
        let tiles = TileCoordinate.tiles(forTreeSize: size).filter { $0.level == 0 }
        let bundles = try await fetchAll(tiles.map(\.entriesPath), missingIs: .failed)
        for (tile, bytes) in zip(tiles, bundles) {
            let entries: [[UInt8]]
            do {
                entries = try EntryBundle.decode(bytes)
            } catch {
                throw .failed("bad_entry_bundle", "\(tile.entriesPath): \(error.field): \(error.message)")
            }
            guard entries.count == tile.width else {
                throw .failed("bad_entry_bundle", "\(tile.entriesPath) holds \(entries.count) entries; the checkpoint needs \(tile.width)")
            }
            leaves += entries
        }
        return leaves
    }

    /// Fetches every hash tile and compares it with the tree recomputed from the entries; then
    /// compares the roots. Names the first tile, and within level 0 the first entry, that differs.
    private func checkTiles(of tree: MerkleTree, checkpoint: Checkpoint) async throws(AuditStop) {
        var fetched: [TileCoordinate: [UInt8]] = [:]
        let tiles = TileCoordinate.tiles(forTreeSize: checkpoint.size)
        let contents = try await fetchAll(tiles.map(\.path), missingIs: .failed)
        for (tile, bytes) in zip(tiles, contents) {
            let expected = tile.width * RFC6962.hashByteCount
            guard bytes.count == expected else {
                let kind = bytes.count < expected ? "truncated" : "too long"
                throw .failed("bad_tile", "\(tile.path) has \(bytes.count) bytes; a tile of \(tile.width) hashes has \(expected) (\(kind))")
            }
            fetched[tile] = bytes
        }
        // Are the tiles themselves the signed tree? Then any difference is in the entries.
        let tilesRoot: [UInt8]?
        do {
            tilesRoot = try TiledTree(treeSize: checkpoint.size) { (tile: TileCoordinate) throws(LogFormatError) -> [UInt8] in
                guard let bytes = fetched[tile] else { throw LogFormatError(.badTile, field: tile.path, "not fetched") }
                return bytes
            }.rootHash()
        } catch {
            tilesRoot = nil
        }
        let tilesAreSigned = tilesRoot == checkpoint.rootHash
        for tile in fetched.keys.sorted() {
            let recomputed: [UInt8]
            do {
                recomputed = try tree.tileContents(tile)
            } catch {
                preconditionFailure("the recomputed tree has every tile of its size: \(error)")
            }
            let tileBytes = fetched[tile]!
            guard tileBytes != recomputed else { continue }
            let hash = Self.firstDifferentHash(tileBytes, recomputed)
            let firstIndex = tile.index * UInt64(TileCoordinate.fullWidth) + UInt64(hash)
            if tile.level == 0 {
                if tilesAreSigned {
                    throw .failed("tampered_entry", "entry \(firstIndex) in \(tile.entriesPath) does not hash to leaf \(firstIndex) of the signed tree (\(tile.path)): the entry was altered")
                }
                throw .failed("bad_tile", "\(tile.path): hash \(hash) is not the leaf hash of entry \(firstIndex), and the tiles do not give the signed root")
            }
            throw .failed("bad_tile", "\(tile.path): hash \(hash) (tree level \(tile.level * TileCoordinate.height), subtree \(firstIndex)) differs from the tree of the entries")
        }
        guard tree.rootHash() == checkpoint.rootHash else {
            throw .failed("root_mismatch", "the entries and tiles give root \(Base64.encode(tree.rootHash())), the signed checkpoint says \(Base64.encode(checkpoint.rootHash))")
        }
    }

    /// Fetches `paths` with up to ``maximumConcurrentFetches`` requests in flight (a large log
    /// is tens of thousands of files), returning the contents in path order. On a failure the
    /// rest is cancelled and the lowest-numbered failure seen is reported.
    private func fetchAll(_ paths: [String], missingIs verdict: AuditReport.Verdict) async throws(AuditStop) -> [[UInt8]] {
        let source = source
        let results = await withTaskGroup(of: (Int, Result<[UInt8], AuditStop>).self) { group in
            var results = [Result<[UInt8], AuditStop>?](repeating: nil, count: paths.count)
            var next = 0
            while next < min(paths.count, Self.maximumConcurrentFetches) {
                let index = next
                group.addTask { (index, await Self.fetchResult(paths[index], from: source, missingIs: verdict)) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if case .failure = result {
                    group.cancelAll()
                    break
                }
                if next < paths.count {
                    let index = next
                    group.addTask { (index, await Self.fetchResult(paths[index], from: source, missingIs: verdict)) }
                    next += 1
                }
            }
            return results
        }
        var contents: [[UInt8]] = []
        contents.reserveCapacity(paths.count)
        for result in results {
            guard let result else { break }
            contents.append(try result.get())
        }
        // A failure cancels the rest; the first missing result means an earlier one failed.
        if contents.count < paths.count, let failure = results.lazy.compactMap({ $0 }).first(where: { if case .failure = $0 { true } else { false } }) {
            _ = try failure.get()
        }
        return contents
    }

    /// Requests in flight at once while fetching tiles and bundles.
    static var maximumConcurrentFetches: Int { 16 }

    private func fetch(_ path: String, missingIs verdict: AuditReport.Verdict) async throws(AuditStop) -> [UInt8] {
        try await Self.fetchResult(path, from: source, missingIs: verdict).get()
    }

    private static func fetchResult(_ path: String, from source: Source, missingIs verdict: AuditReport.Verdict) async -> Result<[UInt8], AuditStop> {
        do {
            return .success(try await source.fetch(path))
        } catch {
            switch error.kind {
            case .notFound:
                return .failure(AuditStop(verdict: verdict, code: "missing_file", reason: "\(source.location) has no \(path) (\(error.message))"))
            case .unreachable:
                return .failure(.malformed("unreachable", "\(source.location): \(error)"))
            }
        }
    }

    private static func firstDifferentHash(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        let index = zip(lhs, rhs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(lhs.count, rhs.count)
        return index / RFC6962.hashByteCount
    }

    private static func bundlePath(ofEntry index: UInt64, size: UInt64) -> String {
        TileCoordinate.containing(level: 0, hashIndex: index, treeSize: size).entriesPath
    }

    /// User and system CPU time of this process so far, in seconds.
    private static func processCPUSeconds() -> Double? {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A problem that ends an audit (outside the generic auditor: typed throws of a type nested in
/// a generic context crash the 6.3 optimiser).
struct AuditStop: Error {
    var verdict: AuditReport.Verdict
    var code: String
    var reason: String

    static func failed(_ code: String, _ reason: String) -> AuditStop { AuditStop(verdict: .failed, code: code, reason: reason) }
    static func malformed(_ code: String, _ reason: String) -> AuditStop { AuditStop(verdict: .malformed, code: code, reason: reason) }
}
