import Foundation
@testable import OSGLedger
import Testing

@Suite("The contract's worked examples give exactly the expected output")
struct ContractExamplesTests {
    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/ledger-examples/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// JSON with objects' members sorted, so comparison ignores member order only.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            .object(members.map { ($0.key, canonical($0.value)) }.sorted { $0.key < $1.key })
        case .array(let values):
            .array(values.map(canonical))
        default:
            value
        }
    }

    @Test("a CRLF copy of ops-N.jsonl gives the same report, line numbers included", arguments: [1, 2, 3])
    func crlfExample(number: Int) throws {
        let text = try Self.fixture("ops-\(number).jsonl")
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try LedgerScript.run(crlf).json == LedgerScript.run(text).json)
        #expect(try LedgerScript.parseNumbered(crlf).map(\.lineNumber) == LedgerScript.parseNumbered(text).map(\.lineNumber))
    }

    @Test("ops-N.jsonl through LedgerScript.run equals expected-N.json", arguments: [1, 2, 3])
    func example(number: Int) throws {
        let report = try LedgerScript.run(Self.fixture("ops-\(number).jsonl"))
        let got = Self.canonical(try JSONValue.parse(report.json))
        let expected = Self.canonical(try JSONValue.parse(Self.fixture("expected-\(number).json")))
        #expect(got["results"] == expected["results"])
        #expect(got["balances"] == expected["balances"])
        // Line by line, to point at the first difference if there is one.
        if case .array(let gotResults) = got["results"], case .array(let expectedResults) = expected["results"] {
            #expect(gotResults.count == expectedResults.count)
            for (index, pair) in zip(gotResults, expectedResults).enumerated() where pair.0 != pair.1 {
                Issue.record("line \(index + 1): got \(pair.0), expected \(pair.1)")
                break
            }
        }
    }

    @Test("the examples keep every invariant and replay to the same digest", arguments: [1, 2, 3])
    func exampleInvariants(number: Int) throws {
        let operations = try LedgerScript.parse(Self.fixture("ops-\(number).jsonl"))
        var ledger = DoubleEntryLedger()
        for operation in operations {
            _ = ledger.apply(operation)
            #expect(ledger.checkInvariants().isEmpty)
        }
        var replayed = DoubleEntryLedger()
        _ = replayed.apply(operations)
        #expect(replayed.stateDigest == ledger.stateDigest)
    }
}
