import OSGDomain
import Testing
@testable import OSGCore

/// One rule bounds a log entry's size (``LogEntry/maximumLeafByteCount``, the entry bundles'
/// 16-bit length), checked before anything is logged; entries within it encode as before.
@Suite("A command too large for a log entry is found before it is logged")
struct LeafSizeLimitTests {
    static let time = Timestamp(secondsSinceEpoch: 1_795_000_000)

    static func deposit(tenant: String) -> LogEntry {
        LogEntry(sequence: 7, time: time, actor: "gov", command: .deposit(tenantID: tenant, amount: MicroCredits(5)))
    }

    @Test("an entry of exactly the maximum is fine and one byte more is refused")
    func boundary() throws {
        let overhead = Self.deposit(tenant: "").leafBytes.count
        let fits = Self.deposit(tenant: String(repeating: "t", count: LogEntry.maximumLeafByteCount - overhead))
        #expect(fits.leafBytes.count == LogEntry.maximumLeafByteCount)
        #expect(fits.leafSizeProblem == nil)
        #expect(try LogEntry(leafBytes: fits.leafBytes) == fits, "an entry at the limit still decodes")
        let over = Self.deposit(tenant: String(repeating: "t", count: LogEntry.maximumLeafByteCount - overhead + 1))
        let problem = try #require(over.leafSizeProblem)
        #expect(problem.contains("65536 bytes") && problem.contains("65535"), "\(problem)")
    }

    @Test("a string or a list longer than 65,535 is named")
    func overlongLengths() throws {
        let string = try #require(Self.deposit(tenant: String(repeating: "x", count: 70_000)).leafSizeProblem)
        #expect(string.hasPrefix("a string is longer than 65535"), "\(string)")
        let ids = (0..<70_000).map { _ in "" }
        let list = try #require(LogEntry.leafSizeProblem(of: .heartbeat(nodeIDs: ids), actor: "op"))
        #expect(list.hasPrefix("a list is longer than 65535"), "\(list)")
        // Many short ids: every length fits, the whole does not.
        let whole = try #require(LogEntry.leafSizeProblem(of: .heartbeat(nodeIDs: (0..<10_000).map { "node-\($0)" }), actor: "op"))
        #expect(whole.hasPrefix("the command takes"), "\(whole)")
    }

    @Test("every entry of a generated log is within the limit and encodes as before")
    func ordinaryEntries() {
        var workload = CommandLogWorkload(seed: 4, operators: 3, nodesPerOperator: 2, tenants: 5)
        for entry in workload.entries(count: 500) {
            #expect(entry.leafSizeProblem == nil)
            #expect(LeafCodec.encode(entry) == entry.leafBytes)
        }
    }
}
