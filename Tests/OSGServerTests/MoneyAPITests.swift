import Foundation
import HummingbirdTesting
import OSGCore
import OSGDomain
import OSGServer
import Testing

/// A node body with a stake.
private func stakedNode(_ id: String, stake: String) -> String {
    Samples.node(id).replacingOccurrences(of: "\"ask_price\"", with: "\"stake\":\"\(stake)\",\"ask_price\"")
}

private func code(_ answer: (status: Int, json: [String: Any])) -> String? {
    (answer.json["error"] as? [String: Any])?["code"] as? String
}

@Suite("Money over HTTP: collateral, deposits, transfers, withdrawals, shares, valuations, the treasury")
struct MoneyAPITests {
    @Test("an operator locks its stake, a tenant transfers and withdraws, governance pays out; every refusal a 4xx with a stable code, nothing moved")
    func moneyFlow() async throws {
        let harness = try await Harness.make()
        let governance = Participant(key: harness.governance)
        let operatorKey = Participant(), tenant = Participant(), friend = Participant()
        let clock = harness.clock
        try await harness.test { client in
            // No credits: the stake cannot be locked.
            var r = try await client.signed(operatorKey, .post, "/v1/nodes", json: stakedNode("n1", stake: "100"), at: clock.now)
            #expect(r.status == 402 && code(r) == "insufficient_funds", "\(r.json)")
            // Governance's on-ramp; only governance.
            r = try await client.signed(tenant, .post, "/v1/deposits", json: #"{"tenant":"\#(operatorKey.id)","amount":"150"}"#, at: clock.now)
            #expect(r.status == 403 && code(r) == "not_governance", "\(r.json)")
            r = try await client.signed(governance, .post, "/v1/deposits", json: #"{"tenant":"nobody","amount":"150"}"#, at: clock.now)
            #expect(r.status == 422 && code(r) == "unknown_account", "\(r.json)")
            r = try await client.signed(governance, .post, "/v1/deposits", json: #"{"tenant":"\#(operatorKey.id)","amount":"150"}"#, at: clock.now)
            #expect(r.status == 201, "\(r.json)")
            r = try await client.signed(operatorKey, .post, "/v1/nodes", json: stakedNode("n1", stake: "100"), at: clock.now)
            #expect(r.status == 201, "\(r.json)")
            r = try await client.signed(operatorKey, .get, "/v1/account", at: clock.now)
            #expect(r.json["available"] as? String == "50" && r.json["collateral"] as? String == "100", "\(r.json)")
            let providers = try await client.get("/v1/providers")
            let provider = (providers.json["providers"] as? [[String: Any]])?.first
            #expect(provider?["stake"] as? String == "100" && provider?["faults"] as? Int == 0, "locked collateral, not a declared number: \(providers.json)")

            // Transfers: bad input refused with its code, nothing moved.
            r = try await client.signed(tenant, .post, "/v1/faucet", json: #"{"amount":"500"}"#, at: clock.now)
            #expect(r.status == 200, "\(r.json)")
            for (body, status, expected) in [
                (#"{"to":"\#(friend.id)","amount":"1.0000001"}"#, 400, "out_of_range"),
                (#"{"to":"\#(friend.id)","amount":"0"}"#, 400, "out_of_range"),
                (#"{"to":"\#(friend.id)","amount":"-3"}"#, 400, "out_of_range"),
                (#"{"to":"not-a-key","amount":"3"}"#, 422, "unknown_account"),
                (#"{"to":"\#(tenant.id)","amount":"3"}"#, 422, "same_account"),
                (#"{"to":"\#(friend.id)","amount":"501"}"#, 402, "insufficient_funds"),
            ] {
                r = try await client.signed(tenant, .post, "/v1/transfers", json: body, at: clock.now)
                #expect(r.status == status && (code(r) == expected || (status == 400 && r.status == 400)), "\(body): \(r.json)")
            }
            r = try await client.signed(tenant, .get, "/v1/account", at: clock.now)
            #expect(r.json["available"] as? String == "500", "nothing moved: \(r.json)")
            r = try await client.signed(tenant, .post, "/v1/transfers", json: #"{"to":"\#(friend.id)","amount":"120.5"}"#, at: clock.now)
            #expect(r.status == 201 && r.json["available"] as? String == "379.5", "\(r.json)")
            r = try await client.get("/v1/accounts/\(friend.id)")
            #expect(r.json["available"] as? String == "120.5", "balances are public: \(r.json)")

            // Withdrawals: held, then paid out by governance.
            r = try await client.signed(friend, .post, "/v1/withdrawals", json: #"{"amount":"200"}"#, at: clock.now)
            #expect(r.status == 402 && code(r) == "insufficient_funds", "\(r.json)")
            r = try await client.signed(friend, .post, "/v1/withdrawals", json: #"{"amount":"100","reference":"payout-42"}"#, at: clock.now)
            #expect(r.status == 201 && r.json["status"] as? String == "pending", "\(r.json)")
            let withdrawalID = try #require(r.json["id"] as? String)
            r = try await client.signed(friend, .get, "/v1/account", at: clock.now)
            #expect(r.json["available"] as? String == "20.5" && r.json["pending_withdrawals"] as? String == "100", "\(r.json)")
            r = try await client.signed(friend, .post, "/v1/withdrawals/\(withdrawalID)/settlement", json: #"{"paid":true}"#, at: clock.now)
            #expect(r.status == 403 && code(r) == "not_governance", "\(r.json)")
            r = try await client.signed(governance, .get, "/v1/withdrawals?status=pending", at: clock.now)
            #expect((r.json["withdrawals"] as? [[String: Any]])?.map { $0["id"] as? String } == [withdrawalID], "governance sees every pending one: \(r.json)")
            r = try await client.signed(governance, .post, "/v1/withdrawals/\(withdrawalID)/settlement", json: #"{"paid":true}"#, at: clock.now)
            #expect(r.status == 200 && r.json["status"] as? String == "paid", "\(r.json)")
            r = try await client.signed(governance, .post, "/v1/withdrawals/\(withdrawalID)/settlement", json: #"{"paid":false}"#, at: clock.now)
            #expect(r.status == 409 && code(r) == "withdrawal_already_settled", "\(r.json)")
            r = try await client.signed(governance, .post, "/v1/withdrawals/wd-999/settlement", json: #"{"paid":false}"#, at: clock.now)
            #expect(r.status == 404 && code(r) == "unknown_withdrawal", "\(r.json)")

            // Shares: issue, refuse a transfer of shares one does not hold, trade.
            r = try await client.signed(tenant, .post, "/v1/nodes/n1/shares", json: #"{"shares":1000}"#, at: clock.now)
            #expect(r.status == 403 && code(r) == "not_owner", "\(r.json)")
            r = try await client.signed(operatorKey, .post, "/v1/nodes/n1/shares", json: #"{"shares":0}"#, at: clock.now)
            #expect(r.status == 400 && code(r) == "out_of_range", "\(r.json)")
            r = try await client.signed(operatorKey, .post, "/v1/nodes/n1/shares", json: #"{"shares":1000}"#, at: clock.now)
            #expect(r.status == 201 && r.json["issued"] as? Int == 1000, "\(r.json)")
            r = try await client.signed(tenant, .post, "/v1/nodes/n1/shares/transfers", json: #"{"to":"\#(friend.id)","shares":1}"#, at: clock.now)
            #expect(r.status == 422 && code(r) == "insufficient_shares", "\(r.json)")
            r = try await client.signed(operatorKey, .post, "/v1/nodes/n1/shares/transfers", json: #"{"to":"\#(friend.id)","shares":250}"#, at: clock.now)
            #expect(r.status == 201, "\(r.json)")
            r = try await client.get("/v1/shares?holder=\(friend.id)")
            #expect((r.json["holdings"] as? [[String: Any]])?.first?["shares"] as? Int == 250, "\(r.json)")
            r = try await client.get("/v1/valuations")
            let valuation = (r.json["valuations"] as? [[String: Any]])?.first
            #expect(valuation?["node"] as? String == "n1" && valuation?["shares_issued"] as? Int == 1000 && valuation?["shareholders"] as? Int == 2, "\(r.json)")
            #expect((valuation?["windows"] as? [[String: Any]])?.map { $0["days"] as? Int } == [7, 30], "\(r.json)")

            r = try await client.get("/v1/treasury")
            let rules = r.json["rules"] as? [String: Any]
            #expect(rules?["protocol_fee_bps"] as? Int == 100, "\(r.json)")
            #expect(r.json["deposited"] as? String == "650" && r.json["withdrawn"] as? String == "100" && r.json["outstanding"] as? String == "550", "\(r.json)")
        }
        let state = await harness.coordinator.currentState()
        #expect(state.published == state.publishedByFullPass)
        #expect(state.ledger.checkInvariants().isEmpty)
    }
}
