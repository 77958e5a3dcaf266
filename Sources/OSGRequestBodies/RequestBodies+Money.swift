import OSGCore
import OSGDomain

/// `POST /v1/nodes/{id}/shares`.
package struct ShareIssueBody: Decodable {
    package var shares: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case shares }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        shares = try decoder.container(keyedBy: CodingKeys.self).decodeShares(forKey: .shares)
    }
}

/// `POST /v1/nodes/{id}/shares/transfers`.
package struct ShareTransferBody: Decodable {
    package var to: String
    package var shares: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case to, shares }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        to = try c.decode(String.self, forKey: .to)
        shares = try c.decodeShares(forKey: .shares)
    }
}

extension KeyedDecodingContainer {
    /// A count of shares: a whole number from 1 to ``CoordinatorState/maximumShares``.
    package func decodeShares(forKey key: Key) throws -> Int64 {
        guard let shares = try? decode(Int64.self, forKey: key) else {
            throw APIError.badRequest(contains(key) ? "wrong_type" : "missing_field", "\(key.stringValue) must be a whole number of shares", field: key.stringValue)
        }
        guard (1...CoordinatorState.maximumShares).contains(shares) else {
            throw APIError.badRequest("out_of_range", "\(key.stringValue) must be 1 to \(CoordinatorState.maximumShares), got \(shares)", field: key.stringValue)
        }
        return shares
    }
}

/// `POST /v1/transfers`.
package struct TransferRequestBody: Decodable {
    package var to: String
    package var amount: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case to, amount }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        to = try c.decode(String.self, forKey: .to)
        amount = try c.decodeAmount(forKey: .amount)
    }
}

/// `POST /v1/deposits` (governance: the on-ramp).
package struct DepositRequestBody: Decodable {
    package var tenant: String
    package var amount: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case tenant, amount }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenant = try c.decode(String.self, forKey: .tenant)
        guard Identity(hex: tenant) != nil else {
            throw APIError(.unprocessableContent, "unknown_account", "tenant must be a participant's hex Ed25519 public key", field: "tenant")
        }
        amount = try c.decodeAmount(forKey: .amount)
    }
}

/// `POST /v1/withdrawals`.
package struct WithdrawalRequestBody: Decodable {
    package var amount: Int64
    package var reference: String
    enum CodingKeys: String, CodingKey, CaseIterable { case amount, reference }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        amount = try c.decodeAmount(forKey: .amount)
        reference = try c.decodeIfPresent(String.self, forKey: .reference) ?? ""
    }
}

/// `POST /v1/withdrawals/{id}/settlement` (governance).
package struct WithdrawalSettlementBody: Decodable {
    package var paid: Bool
    enum CodingKeys: String, CodingKey, CaseIterable { case paid }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        paid = try decoder.container(keyedBy: CodingKeys.self).decode(Bool.self, forKey: .paid)
    }
}
