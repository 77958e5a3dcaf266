import OSGDomain
/// The line format of `osg ledger apply` (DESIGN.md §5, contract): one JSON object per line,
/// decoded into ``LedgerOperation``s, and the run that turns a whole stream into a
/// ``LedgerReport``. The CLI and the tests both go through here.
///
/// ```swift
/// let report = try LedgerScript.run("""
///     {"op":"create_account","id":1,"flags":[]}
///     {"op":"create_account","id":2,"flags":["debits_must_not_exceed_credits"]}
///     {"op":"transfer","id":1001,"debit":1,"credit":2,"amount":50}
///     """)
/// print(report.json)
/// ```
///
/// Blank lines are skipped (they give no result). Unknown keys are ignored; extensions beyond
/// the contract: an optional integer `"code"` on accounts and transfers, and `post`/`void`
/// events inside `linked`.
public enum LedgerScript {
    /// Decodes every non-blank line of `text`.
    ///
    /// - Throws: ``LedgerScriptError`` naming the first malformed line and what is wrong.
    public static func parse(_ text: String) throws(LedgerScriptError) -> [LedgerOperation] {
        try parseNumbered(text).map(\.operation)
    }

    /// Decodes every non-blank line of `text`, keeping each operation's 1-based line number.
    ///
    /// - Throws: ``LedgerScriptError`` naming the first malformed line and what is wrong.
    public static func parseNumbered(_ text: String) throws(LedgerScriptError) -> [(lineNumber: Int, operation: LedgerOperation)] {
        var operations: [(lineNumber: Int, operation: LedgerOperation)] = []
        var lineNumber = 0
        for line in TextLines.split(text) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            operations.append((lineNumber, try parseOperation(String(line), lineNumber: lineNumber)))
        }
        return operations
    }

    /// Applies every line of `text` to an empty ledger and reports results and balances.
    ///
    /// - Throws: ``LedgerScriptError`` for a malformed line; nothing is applied then.
    public static func run(_ text: String) throws(LedgerScriptError) -> LedgerReport {
        let operations = try parse(text)
        var ledger = DoubleEntryLedger()
        let results = ledger.apply(operations)
        return LedgerReport(results: results, accounts: ledger.accountsByID)
    }

    /// Decodes one line.
    ///
    /// - Throws: ``LedgerScriptError`` when the line is not a JSON object of a known `op` with
    ///   every required field as a non-negative integer (or the right type).
    public static func parseOperation(_ line: String, lineNumber: Int) throws(LedgerScriptError) -> LedgerOperation {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            throw LedgerScriptError(lineNumber: lineNumber, message: "not valid JSON: \(error.message)")
        }
        var fields = Fields(value: value, lineNumber: lineNumber, context: "")
        return try fields.operation(allowingNonEvents: true)
    }

    /// Typed access to the members of one operation object, with errors that name the field.
    struct Fields {
        let value: JSONValue
        let lineNumber: Int
        let context: String

        func fail(_ message: String) -> LedgerScriptError {
            LedgerScriptError(lineNumber: lineNumber, message: context + message)
        }

        mutating func operation(allowingNonEvents: Bool) throws(LedgerScriptError) -> LedgerOperation {
            guard case .object = value else { throw fail("expected a JSON object, got \(value.typeName)") }
            guard let opValue = value["op"] else { throw fail("missing field \"op\"") }
            guard case .string(let op) = opValue else { throw fail("field \"op\" must be a string, got \(opValue.typeName)") }
            switch op {
            case "create_account" where allowingNonEvents:
                var flags: AccountFlags = []
                if let flagsValue = value["flags"] {
                    switch flagsValue {
                    case .null: break
                    case .array(let items):
                        for item in items {
                            guard case .string(let name) = item else { throw fail("field \"flags\" must hold strings, got \(item.typeName)") }
                            guard let flag = AccountFlags(name: name) else {
                                throw fail("unknown flag \"\(name)\" (expected debits_must_not_exceed_credits or credits_must_not_exceed_debits)")
                            }
                            flags.insert(flag)
                        }
                    default: throw fail("field \"flags\" must be an array, got \(flagsValue.typeName)")
                    }
                }
                let code = try optionalInteger("code", max: UInt64(UInt16.max)) ?? 0
                return .createAccount(Account(id: try integer("id"), flags: flags, code: AccountCode(rawValue: UInt16(code))))
            case "transfer":
                let isPending = try optionalBool("pending") ?? false
                let code = try optionalInteger("code", max: UInt64(UInt16.max)) ?? 0
                return .transfer(TransferRequest(
                    id: try integer("id"), debitAccountID: try integer("debit"), creditAccountID: try integer("credit"),
                    amountMicroCredits: try integer("amount"), isPending: isPending,
                    timeoutSeconds: try optionalInteger("timeout_s") ?? 0, code: TransferCode(rawValue: UInt16(code))
                ))
            case "post":
                return .resolve(.post(id: try integer("id"), pendingID: try integer("pending_id"), amountMicroCredits: try optionalInteger("amount")))
            case "void":
                return .resolve(.void(id: try integer("id"), pendingID: try integer("pending_id")))
            case "tick" where allowingNonEvents:
                return .tick(nowSeconds: try integer("now_s"))
            case "linked" where allowingNonEvents:
                guard let opsValue = value["ops"] else { throw fail("missing field \"ops\"") }
                guard case .array(let items) = opsValue else { throw fail("field \"ops\" must be an array, got \(opsValue.typeName)") }
                var events: [LedgerEvent] = []
                for (index, item) in items.enumerated() {
                    var inner = Fields(value: item, lineNumber: lineNumber, context: "\(context)ops[\(index)]: ")
                    switch try inner.operation(allowingNonEvents: false) {
                    case .transfer(let request): events.append(.transfer(request))
                    case .resolve(let resolution): events.append(.resolve(resolution))
                    default: preconditionFailure("only events are decoded inside linked")
                    }
                }
                return .linked(events)
            case "create_account", "tick", "linked":
                throw fail("op \"\(op)\" is not allowed inside linked (only transfer, post, void)")
            default:
                throw fail("unknown op \"\(op)\" (expected create_account, transfer, post, void, tick or linked)")
            }
        }

        func integer(_ key: String) throws(LedgerScriptError) -> UInt64 {
            guard let result = try optionalInteger(key) else { throw fail("missing field \"\(key)\"") }
            return result
        }

        func optionalInteger(_ key: String, max: UInt64 = .max) throws(LedgerScriptError) -> UInt64? {
            guard let field = value[key] else { return nil }
            switch field {
            case .null: return nil
            case .number(let text):
                guard let number = UInt64(text), number <= max else {
                    if text.hasPrefix("-") { throw fail("field \"\(key)\" must be a non-negative integer, got \(text)") }
                    if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                        throw fail("field \"\(key)\" must be a whole number, got \(text)")
                    }
                    throw fail("field \"\(key)\" is too large: \(text) (at most \(max))")
                }
                return number
            default:
                throw fail("field \"\(key)\" must be a non-negative integer, got \(field.typeName)")
            }
        }

        func optionalBool(_ key: String) throws(LedgerScriptError) -> Bool? {
            guard let field = value[key] else { return nil }
            switch field {
            case .null: return nil
            case .bool(let flag): return flag
            default: throw fail("field \"\(key)\" must be true or false, got \(field.typeName)")
            }
        }
    }
}
