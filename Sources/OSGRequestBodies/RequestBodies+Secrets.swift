/// `POST /v1/leases/{id}/secrets`: the node asking and the X25519 key to reseal the job's secrets to.
package struct SecretsRequest: Decodable {
    package var node: String
    package var recipient: String
    enum CodingKeys: String, CodingKey, CaseIterable { case node, recipient }

    package init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(in: decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        node = try c.decode(String.self, forKey: .node)
        recipient = try c.decode(String.self, forKey: .recipient)
    }
}
