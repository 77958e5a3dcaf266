/// What `osg ledger apply` prints: one result per operation and every account's balances.
public struct LedgerReport: Sendable, Hashable {
    /// One result per operation, in input order.
    public let results: [LedgerResult]
    /// Every account, ordered by id.
    public let accounts: [Account]

    /// Creates a report.
    public init(results: [LedgerResult], accounts: [Account]) {
        self.results = results
        self.accounts = accounts
    }

    /// The contract JSON: `{"results": [...], "balances": {"<id>": {debits_pending,
    /// debits_posted, credits_pending, credits_posted}}}`, one result or account per line.
    public var json: String {
        var out = "{\n  \"results\": ["
        for (index, result) in results.enumerated() {
            out += index == 0 ? "\n    " : ",\n    "
            switch result {
            case .single(let code):
                out += "\"\(code.name)\""
            case .chain(let codes):
                out += "[" + codes.map { "\"\($0.name)\"" }.joined(separator: ", ") + "]"
            }
        }
        out += results.isEmpty ? "],\n" : "\n  ],\n"
        out += "  \"balances\": {"
        for (index, account) in accounts.enumerated() {
            out += index == 0 ? "\n    " : ",\n    "
            out += "\"\(account.id)\": {\"debits_pending\": \(account.debitsPendingMicroCredits), "
                + "\"debits_posted\": \(account.debitsPostedMicroCredits), "
                + "\"credits_pending\": \(account.creditsPendingMicroCredits), "
                + "\"credits_posted\": \(account.creditsPostedMicroCredits)}"
        }
        out += accounts.isEmpty ? "}\n}" : "\n  }\n}"
        return out
    }

    /// A readable table: the results line by line, then the balances.
    public var table: String {
        var out = "line  result\n"
        for (index, result) in results.enumerated() {
            let text: String
            switch result {
            case .single(let code): text = code.name
            case .chain(let codes): text = "linked: " + codes.map(\.name).joined(separator: ", ")
            }
            out += pad(String(index + 1), 4) + "  " + text + "\n"
        }
        out += "\n" + pad("account", 10) + "  " + pad("debits_pending", 20) + "  " + pad("debits_posted", 20)
            + "  " + pad("credits_pending", 20) + "  " + pad("credits_posted", 20) + "  " + pad("balance", 21) + "\n"
        for account in accounts {
            out += pad(String(account.id), 10) + "  " + pad(String(account.debitsPendingMicroCredits), 20)
                + "  " + pad(String(account.debitsPostedMicroCredits), 20)
                + "  " + pad(String(account.creditsPendingMicroCredits), 20)
                + "  " + pad(String(account.creditsPostedMicroCredits), 20)
                + "  " + pad(String(account.postedBalanceMicroCredits), 21) + "\n"
        }
        let applied = results.filter(\.isApplied).count
        out += "\n\(results.count) operations, \(applied) applied, \(accounts.count) accounts"
        return out
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
