extension DoubleEntryLedger {
    /// A deterministic 64-bit digest (FNV-1a) of the whole state: logical time, every account
    /// (sorted by id: flags, code, four balances) and every record in order (with its pending
    /// state). Two ledgers that applied the same operations have the same digest, whatever
    /// their dictionaries' hash seeds; replay after a crash must reproduce it.
    public var stateDigest: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: UInt64) {
            var value = value
            for _ in 0..<8 {
                hash ^= value & 0xff
                hash = hash &* 0x0000_0100_0000_01b3
                value >>= 8
            }
        }
        mix(nowSeconds)
        mix(UInt64(accounts.count))
        for account in accountsByID {
            mix(account.id)
            mix(UInt64(account.flags.rawValue) | UInt64(account.code.rawValue) << 8)
            mix(account.debitsPendingMicroCredits)
            mix(account.debitsPostedMicroCredits)
            mix(account.creditsPendingMicroCredits)
            mix(account.creditsPostedMicroCredits)
        }
        mix(UInt64(records.count))
        for record in records {
            mix(record.id)
            mix(UInt64(record.kind.rawValue) | UInt64(record.pendingState.rawValue) << 8 | UInt64(record.code.rawValue) << 16)
            mix(record.debitAccountID)
            mix(record.creditAccountID)
            mix(record.amountMicroCredits)
            mix(record.pendingID)
            mix(record.timeoutSeconds)
            mix(record.timestampSeconds)
            mix(record.requestedAmountMicroCredits.map { $0 } ?? 0)
            mix(record.requestedAmountMicroCredits == nil ? 0 : 1)
        }
        return hash
    }
}
