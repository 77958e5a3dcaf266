@testable import OSGLedger
import Testing

@Suite("The JSONL line format decodes exactly and names the broken line")
struct LedgerScriptTests {
    @Test("every op of the contract decodes")
    func decodesEveryOp() throws {
        let operations = try LedgerScript.parse("""
            {"op":"create_account","id":1,"flags":["debits_must_not_exceed_credits"]}
            {"op":"create_account","id":2,"flags":[]}

            {"op":"transfer","id":1001,"debit":1,"credit":2,"amount":50,"pending":true,"timeout_s":60}
            {"op":"post","id":1002,"pending_id":1001,"amount":20}
            {"op":"void","id":1003,"pending_id":1001}
            {"op":"tick","now_s":120}
            {"op":"linked","ops":[{"op":"transfer","id":1,"debit":1,"credit":2,"amount":1},{"op":"post","id":2,"pending_id":1}]}
            """)
        #expect(operations == [
            .createAccount(Account(id: 1, flags: .debitsMustNotExceedCredits)),
            .createAccount(Account(id: 2)),
            .transfer(TransferRequest(id: 1001, debitAccountID: 1, creditAccountID: 2, amountMicroCredits: 50, isPending: true, timeoutSeconds: 60)),
            .resolve(.post(id: 1002, pendingID: 1001, amountMicroCredits: 20)),
            .resolve(.void(id: 1003, pendingID: 1001)),
            .tick(nowSeconds: 120),
            .linked([
                .transfer(TransferRequest(id: 1, debitAccountID: 1, creditAccountID: 2, amountMicroCredits: 1)),
                .resolve(.post(id: 2, pendingID: 1)),
            ]),
        ])
    }

    @Test("a malformed line is refused with its line number and the problem", arguments: [
        ("{\"op\":\"transfer\",\"id\":1,\"debit\":1,\"credit\":2}", "missing field \"amount\""),
        ("{\"op\":\"transfer\",\"id\":1,\"debit\":1,\"credit\":2,\"amount\":-5}", "non-negative integer, got -5"),
        ("{\"op\":\"transfer\",\"id\":1,\"debit\":1,\"credit\":2,\"amount\":1.5}", "whole number, got 1.5"),
        ("{\"op\":\"transfer\",\"id\":1,\"debit\":1,\"credit\":2,\"amount\":18446744073709551616}", "too large"),
        ("{\"op\":\"transfer\",\"id\":1,\"debit\":1,\"credit\":2,\"amount\":\"5\"}", "got a string"),
        ("{\"op\":\"transfer\",\"id\":1,\"debit\":1,\"credit\":2,\"amount\":5,\"pending\":1}", "true or false"),
        ("{\"op\":\"create_account\",\"id\":3,\"flags\":[\"no_such_flag\"]}", "unknown flag \"no_such_flag\""),
        ("{\"op\":\"teleport\",\"id\":3}", "unknown op \"teleport\""),
        ("{\"id\":3}", "missing field \"op\""),
        ("[1,2]", "expected a JSON object"),
        ("{\"op\":\"transfer\",", "not valid JSON"),
        ("{\"op\":\"linked\",\"ops\":[{\"op\":\"tick\",\"now_s\":1}]}", "ops[0]: op \"tick\" is not allowed inside linked"),
        ("{\"op\":\"linked\",\"ops\":[{\"op\":\"void\",\"id\":1}]}", "ops[0]: missing field \"pending_id\""),
    ])
    func refusesMalformedLine(line: String, expectedMessage: String) {
        let text = "{\"op\":\"create_account\",\"id\":1,\"flags\":[]}\n\n" + line + "\n"
        #expect {
            try LedgerScript.parse(text)
        } throws: { error in
            guard let error = error as? LedgerScriptError else { return false }
            return error.lineNumber == 3 && error.message.contains(expectedMessage)
        }
    }

    @Test("results and balances encode as the contract JSON")
    func encodesReport() throws {
        let report = try LedgerScript.run("""
            {"op":"create_account","id":2,"flags":[]}
            {"op":"create_account","id":10,"flags":[]}
            {"op":"linked","ops":[{"op":"transfer","id":1,"debit":10,"credit":2,"amount":7},{"op":"transfer","id":2,"debit":2,"credit":2,"amount":1}]}
            {"op":"transfer","id":3,"debit":10,"credit":2,"amount":7,"pending":true}
            """)
        #expect(report.json == """
            {
              "results": [
                "ok",
                "ok",
                ["linked_event_failed", "same_account"],
                "ok"
              ],
              "balances": {
                "2": {"debits_pending": 0, "debits_posted": 0, "credits_pending": 7, "credits_posted": 0},
                "10": {"debits_pending": 7, "debits_posted": 0, "credits_pending": 0, "credits_posted": 0}
              }
            }
            """)
        #expect(report.table.contains("linked: linked_event_failed, same_account"))
    }

    @Test("JSON strings with escapes and unicode parse", arguments: [
        (#""a\"b\\c\/\n""#, "a\"b\\c/\n"), (#""\u00e9\ud83d\ude00""#, "é😀"), (#""plain""#, "plain"),
    ])
    func parsesStrings(text: String, expected: String) throws {
        #expect(try JSONValue.parse(text) == .string(expected))
    }
}
